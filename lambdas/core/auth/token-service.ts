import type { JWK } from 'jose';
import { ConfigError, readConfig } from '../config';
import { dynamoClientFor } from '../dynamodb-client';
import { NotImplementedError, OAuthError } from '../errors';
import { metrics } from '../metrics';
import { DynamoClientStore } from '../storage/dynamo/clients';
import { DynamoGateway } from '../storage/dynamo/gateway';
import { kmsClient, kmsSigner } from './kms-signer';
import { localSigner, localSigningKey, publicTokenKey } from './token-keys';
import { TokenExchange, type TokenGrant, type TokenRequest } from './token-exchange';
import type { Signer } from './tokens';

/** What the token entry serves: the client credentials grant and the public key set. */
export interface TokenService {
  exchange(request: TokenRequest): Promise<TokenGrant>;
  keySet(): { keys: JWK[] };
}

let current: Promise<TokenService> | undefined;

/** Built on first use and kept for the instance's warm invocations; resettable for tests. */
export function tokenService(): Promise<TokenService> {
  current ??= buildTokenService();
  return current;
}

export function resetTokenService(): void {
  current = undefined;
}

async function buildTokenService(): Promise<TokenService> {
  const config = readConfig();
  const { auth } = config;
  if (!auth.enabled) throw new NotImplementedError('authentication is off on this VTN (VTN_AUTH=off): it issues no tokens');
  const key = await publicTokenKey(auth);
  const clients = new DynamoClientStore(new DynamoGateway(dynamoClientFor(config), config.tableName));
  const exchange = new TokenExchange(clients, signer(auth.kmsKeyId, key.kid), {
    issuer: auth.issuer,
    audience: auth.audience,
    lifetimeSeconds: auth.tokenLifetimeSeconds,
  });
  return { exchange: (request) => exchange.exchange(request), keySet: () => ({ keys: [key.jwk] }) };
}

/**
 * Counts a token issued, or refused by its OAuth error code (four values, so a bounded
 * dimension), whether the request was refused as read or at the exchange.
 */
export async function countedGrant(grant: () => Promise<TokenGrant>): Promise<TokenGrant> {
  try {
    const granted = await grant();
    metrics().count('TokensIssued', {});
    return granted;
  } catch (error) {
    if (error instanceof OAuthError) metrics().count('TokensRefused', { Reason: error.error });
    throw error;
  }
}

/** KMS in AWS; the local VTN's key in its data directory. */
function signer(kmsKeyId: string | undefined, kid: string): Signer {
  if (kmsKeyId) return kmsSigner(kmsClient(), kmsKeyId, kid);
  const privateKey = localSigningKey();
  if (!privateKey) throw new ConfigError('no signing key: set VTN_TOKEN_KMS_KEY_ID, or run the local VTN, which keeps one in its data directory');
  return localSigner(privateKey, kid);
}
