import { GetPublicKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';

/**
 * A deploy-time custom resource (behind the CDK's Provider framework): the public half of the
 * KMS key that signs access tokens, base64 DER (SPKI), which the stack hands every API function
 * in its environment. Verifying a token then needs neither KMS nor a fetch.
 */
const kms = new KMSClient({ maxAttempts: 5 });

export async function handler(event: CloudFormationCustomResourceEvent): Promise<{ PhysicalResourceId: string; Data?: { PublicKey: string } }> {
  const keyId = String(event.ResourceProperties.KeyId);
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };
  const { PublicKey, SigningAlgorithms } = await kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
  if (!PublicKey || !SigningAlgorithms?.includes('RSASSA_PKCS1_V1_5_SHA_256')) throw new Error(`key ${keyId} cannot sign RS256 tokens`);
  return { PhysicalResourceId: keyId, Data: { PublicKey: Buffer.from(PublicKey).toString('base64') } };
}
