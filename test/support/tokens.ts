import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { resetAuthentication } from '../../lambdas/core/auth/authentication';
import { DEFAULT_SCOPES, type Role } from '../../lambdas/core/auth/scopes';
import { localSigner, localSigningKey, publicTokenKey, useLocalSigningKey } from '../../lambdas/core/auth/token-keys';
import { resetTokenService } from '../../lambdas/core/auth/token-service';
import { issueAccessToken, type TokenSettings } from '../../lambdas/core/auth/tokens';
import { readConfig } from '../../lambdas/core/config';

let key: KeyObject | undefined;

/**
 * The signing key in use in this process (a local VTN's), or one made once per test file and
 * handed to the handlers, as the local VTN hands over the key in its data directory.
 */
export function useTestSigningKey(): KeyObject {
  const inUse = localSigningKey();
  if (inUse) return inUse;
  key ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  useLocalSigningKey(key);
  resetAuthentication();
  resetTokenService();
  return key;
}

/** A token signed as the VTN signs them, for the issuer and audience the environment names. */
export async function tokenFor(clientID: string, scopes: readonly string[], settings: Partial<TokenSettings> = {}, now?: number): Promise<string> {
  const signingKey = useTestSigningKey();
  const { auth } = readConfig();
  const { kid } = await publicTokenKey({ ...auth, publicKey: undefined });
  return issueAccessToken(localSigner(signingKey, kid), clientID, scopes, { issuer: auth.issuer, audience: auth.audience, lifetimeSeconds: 3_600, ...settings }, now);
}

/** The Authorization header of a client of `role` with its default scopes. */
export async function bearer(role: Role, clientID = role === 'BL' ? 'bl-test' : 'ven-test'): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await tokenFor(clientID, DEFAULT_SCOPES[role])}` };
}
