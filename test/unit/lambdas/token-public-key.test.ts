import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { GetPublicKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { handler } from '../../../lambdas/token-public-key';

const kms = mockClient(KMSClient);
const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/k';
const event = (RequestType: 'Create' | 'Update' | 'Delete') =>
  ({ RequestType, PhysicalResourceId: KEY, ResourceProperties: { ServiceToken: 'x', KeyId: KEY } }) as unknown as CloudFormationCustomResourceEvent;

test("answers the key's public half as base64 DER, which is what the functions import", async () => {
  const der = createPublicKey(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey).export({ format: 'der', type: 'spki' });
  kms.on(GetPublicKeyCommand, { KeyId: KEY }).resolves({ PublicKey: new Uint8Array(der), SigningAlgorithms: ['RSASSA_PKCS1_V1_5_SHA_256', 'RSASSA_PSS_SHA_256'] });
  for (const type of ['Create', 'Update'] as const) {
    const answer = await handler(event(type));
    expect(answer).toEqual({ PhysicalResourceId: KEY, Data: { PublicKey: der.toString('base64') } });
    expect(createPublicKey({ key: Buffer.from(answer.Data!.PublicKey, 'base64'), format: 'der', type: 'spki' }).asymmetricKeyType).toBe('rsa');
  }
});

test('a key that cannot sign RS256 fails the deploy; a delete asks nothing of KMS', async () => {
  kms.reset();
  kms.on(GetPublicKeyCommand).resolves({ PublicKey: new Uint8Array(10), SigningAlgorithms: ['ECDSA_SHA_256'] });
  await expect(handler(event('Create'))).rejects.toThrow(/cannot sign RS256/);
  kms.reset();
  expect(await handler(event('Delete'))).toEqual({ PhysicalResourceId: KEY });
  expect(kms.calls()).toHaveLength(0);
});
