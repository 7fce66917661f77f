import { ConfigError, readConfig } from '../../../lambdas/core/config';

describe('readConfig', () => {
  test('defaults', () => {
    expect(readConfig({})).toEqual({
      tableName: 'openadr3-vtn',
      dynamodbEndpoint: undefined,
      programCacheTtlMs: 3_600_000,
      eventCacheTtlMs: 300_000,
      eventCacheMaxBytes: 32 * 1024 * 1024,
      cacheCoherenceMs: 1_000,
      indexSettleMs: 3_000,
      logLevel: 'info',
      metrics: { enabled: false, namespace: 'OpenADR3VTN', service: 'openadr3-vtn' },
      webhooks: { timeoutMs: 10_000, allowPrivate: false, retryBaseMs: 10_000, maxAttempts: 5, concurrency: 128, notifyInline: false },
      auth: { enabled: true, issuer: 'openadr3-vtn', audience: 'openadr3-vtn', tokenLifetimeSeconds: 3_600, publicKey: undefined, kmsKeyId: undefined, external: undefined },
      mqtt: { topicPrefix: 'openadr3' },
    });
  });

  test('reads every setting', () => {
    expect(
      readConfig({
        TABLE_NAME: 'vtn-prod',
        DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
        VTN_PROGRAM_CACHE_TTL_MS: '60000',
        VTN_EVENT_CACHE_TTL_MS: '0',
        VTN_EVENT_CACHE_MAX_BYTES: '1000000',
        VTN_CACHE_COHERENCE_MS: '250',
        VTN_INDEX_SETTLE_MS: '0',
        VTN_LOG_LEVEL: 'warn',
        VTN_WEBHOOK_TIMEOUT_MS: '1500',
        VTN_WEBHOOK_ALLOW_PRIVATE: 'true',
        VTN_WEBHOOK_RETRY_BASE_MS: '50',
        VTN_WEBHOOK_MAX_ATTEMPTS: '3',
        VTN_WEBHOOK_CONCURRENCY: '16',
        VTN_NOTIFY_INLINE: 'true',
      }),
    ).toEqual({
      tableName: 'vtn-prod',
      dynamodbEndpoint: 'http://127.0.0.1:8000',
      programCacheTtlMs: 60_000,
      eventCacheTtlMs: 0,
      eventCacheMaxBytes: 1_000_000,
      cacheCoherenceMs: 250,
      indexSettleMs: 0,
      logLevel: 'warn',
      metrics: expect.anything(),
      webhooks: { timeoutMs: 1_500, allowPrivate: true, retryBaseMs: 50, maxAttempts: 3, concurrency: 16, notifyInline: true },
      auth: expect.anything(),
      mqtt: expect.anything(),
    });
  });

  test('reads the MQTT binding: broker URIs, trimmed, and a topic prefix', () => {
    expect(readConfig({ VTN_MQTT_URIS: 'mqtts://broker.example.com:8883, wss://broker.example.com/mqtt', VTN_MQTT_TOPIC_PREFIX: 'vtn-7' }).mqtt).toEqual({
      uris: ['mqtts://broker.example.com:8883', 'wss://broker.example.com/mqtt'],
      topicPrefix: 'vtn-7',
    });
    expect(readConfig({ VTN_MQTT_URIS: '' }).mqtt.uris).toBeUndefined();
  });

  test('reads every authentication setting', () => {
    expect(
      readConfig({
        VTN_AUTH: 'off',
        VTN_TOKEN_ISSUER: 'https://vtn.example.com/openadr3/3.1.0',
        VTN_TOKEN_AUDIENCE: 'openadr3',
        VTN_TOKEN_LIFETIME_S: '900',
        VTN_TOKEN_PUBLIC_KEY: 'MIIB',
        VTN_TOKEN_KMS_KEY_ID: 'arn:aws:kms:eu-west-1:123456789012:key/k',
        VTN_EXTERNAL_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc',
        VTN_EXTERNAL_JWKS_URL: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc/.well-known/jwks.json',
        VTN_EXTERNAL_AUDIENCE: 'vtn',
        VTN_EXTERNAL_SCOPE_PREFIX: 'openadr/',
        VTN_EXTERNAL_CLIENT_ID_CLAIM: 'client_id',
        VTN_EXTERNAL_SCOPE_CLAIM: 'scp',
      }).auth,
    ).toEqual({
      enabled: false,
      issuer: 'https://vtn.example.com/openadr3/3.1.0',
      audience: 'openadr3',
      tokenLifetimeSeconds: 900,
      publicKey: 'MIIB',
      kmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/k',
      external: {
        issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc',
        jwksUrl: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc/.well-known/jwks.json',
        audience: 'vtn',
        scopePrefix: 'openadr/',
        clientIdClaim: 'client_id',
        scopeClaim: 'scp',
      },
    });
    expect(() => readConfig({ VTN_EXTERNAL_ISSUER: 'https://idp.example.com' })).toThrow(/VTN_EXTERNAL_JWKS_URL/);
  });

  test.each([
    ['TABLE_NAME', 'a b'],
    ['DYNAMODB_ENDPOINT', 'localhost:8000'],
    ['VTN_EVENT_CACHE_TTL_MS', '5m'],
    ['VTN_CACHE_COHERENCE_MS', '-1'],
    ['VTN_LOG_LEVEL', 'verbose'],
    ['VTN_WEBHOOK_ALLOW_PRIVATE', 'yes'],
    ['VTN_WEBHOOK_CONCURRENCY', 'many'],
    ['VTN_AUTH', 'no'],
    ['VTN_TOKEN_LIFETIME_S', '10'],
    ['VTN_EXTERNAL_JWKS_URL', 'idp.example.com/keys'],
    ['VTN_MQTT_URIS', 'https://broker.example.com'],
    ['VTN_MQTT_URIS', 'mqtt://broker.example.com,'],
    ['VTN_MQTT_URIS', 'broker.example.com:1883'],
    ['VTN_MQTT_TOPIC_PREFIX', 'a/b'],
    ['VTN_MQTT_TOPIC_PREFIX', '$SYS'],
  ])('a bad %s fails naming it', (name, value) => {
    expect(() => readConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => readConfig({ [name]: value })).toThrow(name);
  });
});
