import { createPublicKey, sign, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { ConfigError, type AuthConfig } from '../config';
import type { Signer } from './tokens';

/**
 * The key pair that signs the VTN's access tokens. In AWS the private half stays in KMS and the
 * stack hands the functions the public half (VTN_TOKEN_PUBLIC_KEY); locally the key pair lives
 * in the data directory and the local VTN hands it over here. Either way the public key is read
 * from memory: verifying a token fetches nothing.
 */

export interface PublicTokenKey {
  /** RFC 7638 thumbprint: the same key gets the same id everywhere. */
  kid: string;
  /** As served in the key set (kid, alg, use included). */
  jwk: JWK;
}

let localPrivateKey: KeyObject | undefined;

/** The local VTN's (or a test's) signing key; undefined forgets it. */
export function useLocalSigningKey(key: KeyObject | undefined): void {
  localPrivateKey = key;
}

export function localSigningKey(): KeyObject | undefined {
  return localPrivateKey;
}

export async function publicTokenKey(config: AuthConfig): Promise<PublicTokenKey> {
  const key = config.publicKey ? publicKeyOf(config.publicKey) : localPrivateKey && createPublicKey(localPrivateKey);
  if (!key) throw new ConfigError('no token key: set VTN_TOKEN_PUBLIC_KEY (base64 DER), or run the local VTN, which keeps one in its data directory');
  if (key.asymmetricKeyType !== 'rsa') throw new ConfigError(`the token key must be an RSA key, got ${key.asymmetricKeyType}`);
  const { kty, n, e } = key.export({ format: 'jwk' });
  const kid = await calculateJwkThumbprint({ kty, n, e });
  return { kid, jwk: { kty, n, e, kid, alg: 'RS256', use: 'sig' } };
}

function publicKeyOf(base64Der: string): KeyObject {
  try {
    return createPublicKey({ key: Buffer.from(base64Der, 'base64'), format: 'der', type: 'spki' });
  } catch (error) {
    throw new ConfigError(`VTN_TOKEN_PUBLIC_KEY must be a public key, base64 DER (SPKI): ${(error as Error).message}`);
  }
}

/** RS256 with a private key in this process: RSASSA-PKCS1-v1_5 over SHA-256. */
export function localSigner(privateKey: KeyObject, kid: string): Signer {
  return { kid, sign: async (input) => sign('sha256', input, privateKey) };
}
