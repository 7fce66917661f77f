import type { TokenRequest } from '../auth/token-exchange';
import { OAuthError } from '../errors';
import type { HttpRequest } from './router';

/**
 * A token request as RFC 6749 has it: form-encoded parameters, none repeated; the client's
 * credentials as form fields or HTTP Basic (each part form-encoded), not both.
 */
export function tokenRequest(request: HttpRequest): TokenRequest {
  const type = request.header('content-type')?.split(';')[0].trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') throw new OAuthError('invalid_request', 'send the token request as application/x-www-form-urlencoded');
  const form = new URLSearchParams(request.text());
  const names = [...form.keys()];
  const repeated = [...new Set(names.filter((name, index) => names.indexOf(name) !== index))];
  if (repeated.length > 0) throw new OAuthError('invalid_request', `parameters may not repeat: ${repeated.join(', ')}`);
  const field = (name: string) => form.get(name) ?? undefined;
  const basic = basicCredentials(request.header('authorization'));
  if (basic && (form.has('client_secret') || (form.has('client_id') && field('client_id') !== basic.clientID))) {
    throw new OAuthError('invalid_request', 'send client credentials either as HTTP Basic or as form fields, not both');
  }
  return {
    grantType: field('grant_type'),
    clientID: basic?.clientID ?? field('client_id'),
    clientSecret: basic?.clientSecret ?? field('client_secret'),
    scope: field('scope'),
  };
}

function basicCredentials(header: string | undefined): { clientID: string; clientSecret: string } | undefined {
  if (header === undefined) return undefined;
  const encoded = /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(header)?.[1];
  const decoded = encoded === undefined ? '' : Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  try {
    if (colon < 0) throw new Error('no colon');
    const formDecoded = (part: string) => decodeURIComponent(part.replace(/\+/g, ' '));
    return { clientID: formDecoded(decoded.slice(0, colon)), clientSecret: formDecoded(decoded.slice(colon + 1)) };
  } catch {
    throw new OAuthError('invalid_client', 'the Authorization header holds no HTTP Basic client credentials');
  }
}
