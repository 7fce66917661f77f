import { createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { DynamoDBClient, GetItemCommand, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { resetAuthentication } from '../../../../lambdas/core/auth/authentication';
import { registration } from '../../../../lambdas/core/auth/clients';
import { useLocalSigningKey } from '../../../../lambdas/core/auth/token-keys';
import { resetTokenService } from '../../../../lambdas/core/auth/token-service';
import { resetRuntime } from '../../../../lambdas/core/runtime';
import { DynamoClientStore } from '../../../../lambdas/core/storage/dynamo/clients';
import { DynamoGateway } from '../../../../lambdas/core/storage/dynamo/gateway';
import { invokeApi } from '../../../../local/api-gateway';

/**
 * The token function as it runs in AWS: the private key only in KMS (here a mocked KMS client
 * that signs with a key of its own), the public key in the environment, as the stack puts it.
 * Tokens it issues verify with the key set it serves, and with the other entries' verifier.
 */
const KEY_ID = 'arn:aws:kms:eu-west-1:123456789012:key/0000-token';
const ISSUER = 'https://abc123.execute-api.eu-west-1.amazonaws.com/openadr3/3.1.0';
const kmsKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const kms = mockClient(KMSClient);
const dynamo = mockClient(DynamoDBClient);

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  url: '/openadr3/3.1.0/auth/token',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});
const json = (result: APIGatewayProxyStructuredResultV2) => JSON.parse(result.body ?? 'null');

beforeAll(async () => {
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    VTN_TOKEN_ISSUER: ISSUER,
    VTN_TOKEN_KMS_KEY_ID: KEY_ID,
    VTN_TOKEN_PUBLIC_KEY: createPublicKey(kmsKey).export({ format: 'der', type: 'spki' }).toString('base64'),
  });
  useLocalSigningKey(undefined);
  resetRuntime();
  resetAuthentication();
  resetTokenService();
  let stored: Record<string, AttributeValue> | undefined;
  dynamo.on(PutItemCommand).callsFake((input) => void (stored = input.Item));
  const { record } = await registration({ clientID: 'ven-7', clientSecret: 'ven-7-secret', role: 'VEN' }, '2026-01-01T00:00:00Z');
  await new DynamoClientStore(new DynamoGateway(new DynamoDBClient({}), 'openadr3-vtn')).put(record);
  dynamo.on(GetItemCommand).callsFake(() => ({ Item: stored }));
});

beforeEach(() => {
  kms.reset();
  kms.on(SignCommand).callsFake((input) => {
    expect(input).toMatchObject({ KeyId: KEY_ID, MessageType: 'RAW', SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256' });
    return { Signature: sign('sha256', input.Message, kmsKey), KeyId: KEY_ID };
  });
});

test('KMS signs the token; it verifies with the served key set and opens the API', async () => {
  const result = await invokeApi(form({ grant_type: 'client_credentials', client_id: 'ven-7', client_secret: 'ven-7-secret' }));
  expect(result.statusCode).toBe(200);
  const { access_token: token } = json(result);
  expect(kms.commandCalls(SignCommand)).toHaveLength(1);

  const keySet = json(await invokeApi({ method: 'GET', url: '/openadr3/3.1.0/.well-known/jwks.json' }));
  expect(keySet.keys).toEqual([expect.objectContaining({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: expect.any(String) })]);
  expect(keySet.keys[0]).not.toHaveProperty('d');
  const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(keySet), { issuer: ISSUER, audience: ISSUER });
  expect(protectedHeader).toEqual({ alg: 'RS256', typ: 'at+jwt', kid: keySet.keys[0].kid });
  expect(payload).toMatchObject({ sub: 'ven-7', client_id: 'ven-7', scope: 'read_all read_targets read_ven_objects write_reports write_subscriptions write_vens' });
  expect(payload.exp! - payload.iat!).toBe(3_600);

  // Another entry verifies it from the public key in its environment, with no KMS call.
  const notifiers = await invokeApi({ method: 'GET', url: '/openadr3/3.1.0/notifiers', headers: { authorization: `Bearer ${token}` } });
  expect(notifiers.statusCode).toBe(200);
  expect(kms.commandCalls(SignCommand)).toHaveLength(1);
});

test('KMS throttling is a retryable 503', async () => {
  kms.on(SignCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $retryable: { throttling: true } }));
  const result = await invokeApi(form({ grant_type: 'client_credentials', client_id: 'ven-7', client_secret: 'ven-7-secret' }));
  expect(result.statusCode).toBe(503);
  expect(result.headers?.['retry-after']).toBe('1');
});
