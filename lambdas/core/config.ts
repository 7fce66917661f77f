import { TOPIC_PREFIX_PATTERN } from './notifications/mqtt/topics';
import { DEFAULT_TABLE_NAME } from './storage/dynamo/table-layout';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Runtime settings, read once from the environment; a bad value fails at start, naming it. */
export interface VtnConfig {
  tableName: string;
  /** Talk to DynamoDB Local, dynalite or another endpoint instead of AWS. */
  dynamodbEndpoint?: string;
  programCacheTtlMs: number;
  eventCacheTtlMs: number;
  /** Approximate bytes of event pages an instance keeps cached. */
  eventCacheMaxBytes: number;
  cacheCoherenceMs: number;
  /** How long a write waits for the GSIs to show it; 0 does not wait. */
  indexSettleMs: number;
  logLevel: LogLevel;
  metrics: MetricsConfig;
  webhooks: WebhookConfig;
  auth: AuthConfig;
  mqtt: MqttConfig;
}

/** The MQTT notifier binding; without broker URIs the VTN offers none. */
export interface MqttConfig {
  /** The brokers clients connect to, as `GET /notifiers` advertises them; undefined: no MQTT binding. */
  uris?: string[];
  /** The first level of every topic name. */
  topicPrefix: string;
}

/** Business metrics, written as CloudWatch embedded metric format lines (see metrics.ts). */
export interface MetricsConfig {
  /** Off unless VTN_METRICS=on (the stack sets it): locally the lines would only crowd the console. */
  enabled: boolean;
  namespace: string;
  /** The `Service` dimension of every metric: the stack's name in AWS. */
  service: string;
}

export interface AuthConfig {
  /** false only with VTN_AUTH=off: every caller is anonymous and holds every scope. */
  enabled: boolean;
  /** `iss` and `aud` of the VTN's own tokens. */
  issuer: string;
  audience: string;
  tokenLifetimeSeconds: number;
  /** The signing key's public half, base64 DER (SPKI), as the stack sets it; locally the key is in the data directory. */
  publicKey?: string;
  /** The KMS key that signs tokens (the token function only). */
  kmsKeyId?: string;
  /** Tokens of another identity provider that are accepted too. */
  external?: ExternalIssuerConfig;
}

export interface ExternalIssuerConfig {
  issuer: string;
  jwksUrl: string;
  /** Checked when set; Cognito's access tokens carry no `aud`. */
  audience?: string;
  /** Stripped from each scope, e.g. Cognito's `<resource server identifier>/`; scopes without it are ignored. */
  scopePrefix: string;
  /** The claim naming the client. */
  clientIdClaim: string;
  /** The claim holding the scopes: a space-separated string or a list (Entra ID app tokens: `roles`). */
  scopeClaim: string;
}

export interface WebhookConfig {
  timeoutMs: number;
  /** Allow callbacks to loopback, private and link-local addresses (local development). */
  allowPrivate: boolean;
  retryBaseMs: number;
  maxAttempts: number;
  /** Deliveries in flight at once per instance. */
  concurrency: number;
  /** Notify from the process that wrote (the local VTN); in AWS the table's stream does it. */
  notifyInline: boolean;
}

export class ConfigError extends Error {}

function wholeNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new ConfigError(`${name} must be a whole number >= 0, got "${raw}"`);
  }
  return value;
}

function url(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^https?:\/\/[^\s]+$/.test(raw)) throw new ConfigError(`${name} must be an http(s) URL, got "${raw}"`);
  return raw;
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): VtnConfig {
  const tableName = env.TABLE_NAME || DEFAULT_TABLE_NAME;
  if (!/^[a-zA-Z0-9_.-]{3,255}$/.test(tableName)) {
    throw new ConfigError(`TABLE_NAME must be 3-255 characters of a-z, A-Z, 0-9, _ - . , got "${tableName}"`);
  }
  const endpoint = url(env, 'DYNAMODB_ENDPOINT');
  const logLevel = (env.VTN_LOG_LEVEL || 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`VTN_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  return {
    tableName,
    dynamodbEndpoint: endpoint,
    programCacheTtlMs: wholeNumber(env, 'VTN_PROGRAM_CACHE_TTL_MS', 3_600_000),
    eventCacheTtlMs: wholeNumber(env, 'VTN_EVENT_CACHE_TTL_MS', 300_000),
    eventCacheMaxBytes: wholeNumber(env, 'VTN_EVENT_CACHE_MAX_BYTES', 32 * 1024 * 1024),
    cacheCoherenceMs: wholeNumber(env, 'VTN_CACHE_COHERENCE_MS', 1_000),
    indexSettleMs: wholeNumber(env, 'VTN_INDEX_SETTLE_MS', 3_000),
    logLevel,
    metrics: readMetricsConfig(env),
    webhooks: {
      timeoutMs: wholeNumber(env, 'VTN_WEBHOOK_TIMEOUT_MS', 10_000),
      allowPrivate: flag(env, 'VTN_WEBHOOK_ALLOW_PRIVATE'),
      retryBaseMs: wholeNumber(env, 'VTN_WEBHOOK_RETRY_BASE_MS', 10_000),
      maxAttempts: Math.max(1, wholeNumber(env, 'VTN_WEBHOOK_MAX_ATTEMPTS', 5)),
      concurrency: Math.max(1, wholeNumber(env, 'VTN_WEBHOOK_CONCURRENCY', 128)),
      notifyInline: flag(env, 'VTN_NOTIFY_INLINE'),
    },
    auth: readAuthConfig(env),
    mqtt: readMqttConfig(env),
  };
}

export const DEFAULT_METRICS_NAMESPACE = 'OpenADR3VTN';
export const DEFAULT_METRICS_SERVICE = 'openadr3-vtn';

function readMetricsConfig(env: NodeJS.ProcessEnv): MetricsConfig {
  const mode = env.VTN_METRICS || 'off';
  if (mode !== 'on' && mode !== 'off') throw new ConfigError(`VTN_METRICS must be on or off, got "${mode}"`);
  const namespace = env.VTN_METRICS_NAMESPACE || DEFAULT_METRICS_NAMESPACE;
  // CloudWatch's rule for namespaces; AWS/ is reserved for AWS's own.
  if (!/^[A-Za-z0-9 .\-_/#:]{1,255}$/.test(namespace) || namespace.startsWith('AWS/')) {
    throw new ConfigError(`VTN_METRICS_NAMESPACE must be 1-255 characters of A-Z, a-z, 0-9, space and . - _ / # :, not starting with AWS/, got "${namespace}"`);
  }
  const service = env.VTN_METRICS_SERVICE || DEFAULT_METRICS_SERVICE;
  if (!/^[\x21-\x7e]{1,255}$/.test(service)) throw new ConfigError(`VTN_METRICS_SERVICE must be 1-255 printable ASCII characters without spaces, got "${service}"`);
  return { enabled: mode === 'on', namespace, service };
}

const BROKER_SCHEMES = ['mqtt:', 'mqtts:', 'ws:', 'wss:'];

function readMqttConfig(env: NodeJS.ProcessEnv): MqttConfig {
  const topicPrefix = env.VTN_MQTT_TOPIC_PREFIX || 'openadr3';
  if (!TOPIC_PREFIX_PATTERN.test(topicPrefix)) {
    throw new ConfigError(`VTN_MQTT_TOPIC_PREFIX must be one topic level of 1-64 letters, digits, _ or -, got "${topicPrefix}"`);
  }
  const raw = env.VTN_MQTT_URIS;
  if (raw === undefined || raw.trim() === '') return { topicPrefix };
  const uris = raw.split(',').map((uri) => uri.trim());
  for (const uri of uris) {
    if (!isBrokerUri(uri)) throw new ConfigError(`VTN_MQTT_URIS must be comma-separated mqtt://, mqtts://, ws:// or wss:// URIs with a host, got "${uri}"`);
  }
  return { uris, topicPrefix };
}

function isBrokerUri(uri: string): boolean {
  try {
    const parsed = new URL(uri);
    return BROKER_SCHEMES.includes(parsed.protocol) && parsed.hostname !== '' && !/\s/.test(uri);
  } catch {
    return false;
  }
}

export const DEFAULT_TOKEN_ISSUER = 'openadr3-vtn';

function readAuthConfig(env: NodeJS.ProcessEnv): AuthConfig {
  const mode = env.VTN_AUTH || 'on';
  if (mode !== 'on' && mode !== 'off') throw new ConfigError(`VTN_AUTH must be on or off, got "${mode}"`);
  const issuer = env.VTN_TOKEN_ISSUER || DEFAULT_TOKEN_ISSUER;
  const tokenLifetimeSeconds = wholeNumber(env, 'VTN_TOKEN_LIFETIME_S', 3_600);
  if (tokenLifetimeSeconds < 60 || tokenLifetimeSeconds > 86_400) {
    throw new ConfigError(`VTN_TOKEN_LIFETIME_S must be 60 to 86400 seconds, got "${env.VTN_TOKEN_LIFETIME_S}"`);
  }
  const externalIssuer = env.VTN_EXTERNAL_ISSUER || undefined;
  const jwksUrl = url(env, 'VTN_EXTERNAL_JWKS_URL');
  if (Boolean(externalIssuer) !== Boolean(jwksUrl)) {
    throw new ConfigError('VTN_EXTERNAL_ISSUER and VTN_EXTERNAL_JWKS_URL must be set together');
  }
  return {
    enabled: mode === 'on',
    issuer,
    audience: env.VTN_TOKEN_AUDIENCE || issuer,
    tokenLifetimeSeconds,
    publicKey: env.VTN_TOKEN_PUBLIC_KEY || undefined,
    kmsKeyId: env.VTN_TOKEN_KMS_KEY_ID || undefined,
    external:
      externalIssuer && jwksUrl
        ? {
            issuer: externalIssuer,
            jwksUrl,
            audience: env.VTN_EXTERNAL_AUDIENCE || undefined,
            scopePrefix: env.VTN_EXTERNAL_SCOPE_PREFIX ?? '',
            clientIdClaim: env.VTN_EXTERNAL_CLIENT_ID_CLAIM || 'sub',
            scopeClaim: env.VTN_EXTERNAL_SCOPE_CLAIM || 'scope',
          }
        : undefined,
  };
}
