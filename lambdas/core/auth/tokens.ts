import { randomUUID } from 'node:crypto';

/** Signs a JWS signing input with RS256: a key in this process, or in KMS. */
export interface Signer {
  kid: string;
  sign(input: Buffer): Promise<Buffer>;
}

export interface TokenSettings {
  issuer: string;
  audience: string;
  lifetimeSeconds: number;
}

/** The `typ` of the VTN's access tokens (RFC 9068), so that no other JWT passes for one. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

/**
 * An access token: a JWT whose signature comes from `signer` (KMS signs the same bytes a local
 * key would, so both yield the same token format). `scope` is space-separated, as in OAuth2.
 */
export async function issueAccessToken(
  signer: Signer,
  clientID: string,
  scopes: readonly string[],
  settings: TokenSettings,
  now = Date.now(),
): Promise<string> {
  const iat = Math.floor(now / 1000);
  const header = { alg: 'RS256', typ: ACCESS_TOKEN_TYPE, kid: signer.kid };
  const claims = {
    iss: settings.issuer,
    sub: clientID,
    aud: settings.audience,
    client_id: clientID,
    scope: scopes.join(' '),
    iat,
    exp: iat + settings.lifetimeSeconds,
    jti: randomUUID(),
  };
  const input = `${base64url(header)}.${base64url(claims)}`;
  const signature = await signer.sign(Buffer.from(input));
  return `${input}.${signature.toString('base64url')}`;
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
