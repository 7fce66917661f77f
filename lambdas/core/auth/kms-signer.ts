import { KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { DependencyUnavailableError } from '../errors';
import type { Signer } from './tokens';

/**
 * RS256 by KMS: RSASSA_PKCS1_V1_5_SHA_256 over the raw signing input is exactly a JWS RS256
 * signature. The private key never leaves KMS; only the token function may use it.
 */
export function kmsSigner(client: KMSClient, keyId: string, kid: string): Signer {
  return {
    kid,
    async sign(input) {
      try {
        const { Signature } = await client.send(new SignCommand({ KeyId: keyId, Message: input, MessageType: 'RAW', SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256' }));
        if (!Signature) throw new Error('KMS answered without a signature');
        return Buffer.from(Signature);
      } catch (error) {
        const failure = error as { $retryable?: unknown; $fault?: string };
        if (failure?.$retryable || failure?.$fault === 'server') throw new DependencyUnavailableError('the signing key is temporarily unavailable; retry');
        throw error;
      }
    },
  };
}

export function kmsClient(): KMSClient {
  return new KMSClient({ maxAttempts: 3 });
}
