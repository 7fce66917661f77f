import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the local VTN keeps the private key that signs its tokens, readable by its owner only. */
export const SIGNING_KEY_FILE = 'token-signing-key.pem';

/**
 * The local VTN's token signing key: RSA 2048 (RS256, as KMS signs in AWS), made on first
 * start and kept in the data directory so that tokens outlive a restart; made afresh each start
 * without one (`memory`).
 */
export function localSigningKeyIn(dataDir: string | undefined): KeyObject {
  const file = dataDir && join(dataDir, SIGNING_KEY_FILE);
  if (file && existsSync(file)) return createPrivateKey(readFileSync(file));
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  if (file) writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  return privateKey;
}
