import { LOG_LEVELS, type LogLevel } from './logger';
import { DEFAULT_TABLE_NAME } from './storage/dynamo/table-layout';

/** Runtime settings, read once from the environment; a bad value fails at start, naming it. */
export interface VtnConfig {
  tableName: string;
  /** Talk to DynamoDB Local, dynalite or another endpoint instead of AWS. */
  dynamodbEndpoint?: string;
  programCacheTtlMs: number;
  eventCacheTtlMs: number;
  cacheCoherenceMs: number;
  /** How long a write waits for the GSIs to show it; 0 does not wait. */
  indexSettleMs: number;
  logLevel: LogLevel;
}

export class ConfigError extends Error {}

function milliseconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new ConfigError(`${name} must be a whole number of milliseconds >= 0, got "${raw}"`);
  }
  return value;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): VtnConfig {
  const tableName = env.TABLE_NAME || DEFAULT_TABLE_NAME;
  if (!/^[a-zA-Z0-9_.-]{3,255}$/.test(tableName)) {
    throw new ConfigError(`TABLE_NAME must be 3-255 characters of a-z, A-Z, 0-9, _ - . , got "${tableName}"`);
  }
  const endpoint = env.DYNAMODB_ENDPOINT || undefined;
  if (endpoint && !/^https?:\/\/[^\s]+$/.test(endpoint)) {
    throw new ConfigError(`DYNAMODB_ENDPOINT must be an http(s) URL, got "${endpoint}"`);
  }
  const logLevel = (env.VTN_LOG_LEVEL || 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`VTN_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  return {
    tableName,
    dynamodbEndpoint: endpoint,
    programCacheTtlMs: milliseconds(env, 'VTN_PROGRAM_CACHE_TTL_MS', 3_600_000),
    eventCacheTtlMs: milliseconds(env, 'VTN_EVENT_CACHE_TTL_MS', 300_000),
    cacheCoherenceMs: milliseconds(env, 'VTN_CACHE_COHERENCE_MS', 1_000),
    indexSettleMs: milliseconds(env, 'VTN_INDEX_SETTLE_MS', 3_000),
    logLevel,
  };
}
