import { OAuthError } from '../errors';
import type { ClientStore } from '../storage/port';
import { CLIENT_ID, MAX_CREDENTIAL_LENGTH } from './clients';
import { secretMatches } from './secrets';
import { issueAccessToken, type Signer, type TokenSettings } from './tokens';

/** A token request's parameters, wherever the client put them (form fields or HTTP Basic). */
export interface TokenRequest {
  grantType?: string;
  clientID?: string;
  clientSecret?: string;
  scope?: string;
}

/** RFC 6749 §5.1, as openadr3.yaml's clientCredentialResponse has it. */
export interface TokenGrant {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

/**
 * The client credentials grant: the client proves its secret (a slow hash, compared in constant
 * time; an unknown client costs the same) and gets a token for the scopes it asks for, which
 * must be among its own (all of them when it asks for none).
 */
export class TokenExchange {
  constructor(
    private readonly clients: ClientStore,
    private readonly signer: Signer,
    private readonly settings: TokenSettings,
  ) {}

  async exchange(request: TokenRequest): Promise<TokenGrant> {
    const { grantType, clientID, clientSecret, scope = '' } = request;
    if (!grantType) throw new OAuthError('invalid_request', 'grant_type is required');
    if (grantType !== 'client_credentials') throw new OAuthError('unsupported_grant_type', 'the only grant type is client_credentials');
    if (!clientID || !clientSecret) throw new OAuthError('invalid_request', 'client_id and client_secret are required, as form fields or HTTP Basic credentials');
    if ([clientID, clientSecret, scope].some((value) => value.length > MAX_CREDENTIAL_LENGTH)) {
      throw new OAuthError('invalid_request', `client_id, client_secret and scope are at most ${MAX_CREDENTIAL_LENGTH} characters`);
    }
    const client = CLIENT_ID.test(clientID) ? await this.clients.get(clientID) : undefined;
    const authenticated = await secretMatches(clientSecret, client?.secretHash);
    if (!client || !authenticated) throw new OAuthError('invalid_client', 'unknown client or wrong secret');
    const requested = [...new Set(scope.split(' ').filter(Boolean))];
    const refused = requested.filter((name) => !(client.scopes as string[]).includes(name));
    if (refused.length > 0) throw new OAuthError('invalid_scope', `this client may not ask for ${refused.join(' ')}`);
    const granted = requested.length > 0 ? requested : client.scopes;
    return {
      access_token: await issueAccessToken(this.signer, client.clientID, granted, this.settings),
      token_type: 'Bearer',
      expires_in: this.settings.lifetimeSeconds,
      scope: granted.join(' '),
    };
  }
}
