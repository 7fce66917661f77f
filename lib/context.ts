import { RemovalPolicy } from 'aws-cdk-lib';
import { TOPIC_PREFIX_PATTERN } from '../lambdas/core/notifications/mqtt/topics';
import type { VtnMqttSettings, VtnStackProps } from './vtn-stack';

export class ContextError extends Error {}

/**
 * Stack settings from CDK context (`-c key=value` or cdk.json), each checked with a message
 * naming the key: stage, tableName, destroyOnRemoval, firstDeploy, tableIndexes, programCacheTtlMs,
 * eventCacheTtlMs, cacheCoherenceMs, throttleRate, throttleBurst, corsOrigins (comma-separated),
 * webhookTimeoutMs, notifierConcurrency, samLocal; access tokens: tokenIssuer, tokenAudience, tokenLifetimeSeconds,
 * tokenThrottleRate, tokenThrottleBurst, externalIssuer, externalJwksUrl, externalAudience,
 * externalScopePrefix, externalClientIdClaim, externalScopeClaim; alarms: alarmEmail,
 * alarm5xxRatePercent, alarmMinRequests, alarmP99LatencyMs, alarmFunctionErrors, alarmIteratorAgeMs,
 * alarmRetryAgeSeconds, alarmTokensRefused; MQTT: mqtt (on, off), mqttTopicPrefix, mqttDomainName, mqttCertificateArn.
 */
export function vtnStackProps(context: (key: string) => unknown): VtnStackProps {
  const text = (key: string) => {
    const value = context(key);
    return value === undefined || value === null || value === '' ? undefined : String(value);
  };
  const count = (key: string) => {
    const value = text(key);
    if (value === undefined) return undefined;
    const number = Number(value);
    if (!Number.isInteger(number) || number < 0) throw new ContextError(`context ${key} must be a whole number >= 0, got "${value}"`);
    return number;
  };
  const flag = (key: string) => {
    const value = text(key);
    if (value !== undefined && value !== 'true' && value !== 'false') throw new ContextError(`context ${key} must be true or false, got "${value}"`);
    return value === 'true';
  };
  const between = (key: string, min: number, max: number) => {
    const value = count(key);
    if (value !== undefined && (value < min || value > max)) throw new ContextError(`context ${key} must be ${min} to ${max}, got ${value}`);
    return value;
  };
  const stage = text('stage') ?? 'dev';
  if (!/^[a-zA-Z0-9-]{1,20}$/.test(stage)) throw new ContextError(`context stage must be 1-20 letters, digits or -, got "${stage}"`);
  const notifierConcurrency = count('notifierConcurrency');
  if (notifierConcurrency !== undefined && (notifierConcurrency < 4 || notifierConcurrency > 2001)) {
    // Half goes to the retry queue's pollers, which SQS takes between 2 and 1,000.
    throw new ContextError(`context notifierConcurrency must be 4 to 2001 (half goes to the retry queue, 2 to 1,000), got ${notifierConcurrency}`);
  }
  const webhookTimeoutMs = count('webhookTimeoutMs');
  // Deliveries must fit the notifier's invocation; echo challenges, API Gateway's 30 s.
  if (webhookTimeoutMs !== undefined && (webhookTimeoutMs < 1_000 || webhookTimeoutMs > 30_000)) {
    throw new ContextError(`context webhookTimeoutMs must be 1000 to 30000, got ${webhookTimeoutMs}`);
  }
  const rateLimit = count('throttleRate');
  const burstLimit = count('throttleBurst');
  const tokenLifetimeSeconds = count('tokenLifetimeSeconds');
  if (tokenLifetimeSeconds !== undefined && (tokenLifetimeSeconds < 60 || tokenLifetimeSeconds > 86_400)) {
    throw new ContextError(`context tokenLifetimeSeconds must be 60 to 86400, got ${tokenLifetimeSeconds}`);
  }
  const tokenRate = count('tokenThrottleRate');
  const tokenBurst = count('tokenThrottleBurst');
  const externalIssuer = text('externalIssuer');
  const externalJwksUrl = text('externalJwksUrl');
  if (Boolean(externalIssuer) !== Boolean(externalJwksUrl)) throw new ContextError('context externalIssuer and externalJwksUrl must be given together');
  const alarmEmail = text('alarmEmail');
  if (alarmEmail !== undefined && !/^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/.test(alarmEmail)) throw new ContextError(`context alarmEmail must be one e-mail address, got "${alarmEmail}"`);
  const rateText = text('alarm5xxRatePercent');
  const serverErrorRatePercent = rateText === undefined ? undefined : Number(rateText);
  if (serverErrorRatePercent !== undefined && !(serverErrorRatePercent > 0 && serverErrorRatePercent <= 100)) {
    throw new ContextError(`context alarm5xxRatePercent must be a number above 0 and at most 100, got "${rateText}"`);
  }
  return {
    stage,
    mqtt: mqttSettings(text),
    tableName: text('tableName'),
    removalPolicy: flag('destroyOnRemoval') ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    firstDeploy: flag('firstDeploy'),
    tableIndexes: count('tableIndexes'),
    programCacheTtlMs: count('programCacheTtlMs'),
    eventCacheTtlMs: count('eventCacheTtlMs'),
    cacheCoherenceMs: count('cacheCoherenceMs'),
    throttle: rateLimit !== undefined || burstLimit !== undefined ? { rateLimit: rateLimit ?? 500, burstLimit: burstLimit ?? 1000 } : undefined,
    corsOrigins: text('corsOrigins')?.split(',').map((origin) => origin.trim()).filter(Boolean),
    webhookTimeoutMs,
    notifierConcurrency,
    samLocal: flag('samLocal'),
    monitoring: {
      email: alarmEmail,
      serverErrorRatePercent,
      minRequests: between('alarmMinRequests', 1, 1_000_000),
      // API Gateway gives up on a request after 30 s.
      p99LatencyMs: between('alarmP99LatencyMs', 1, 30_000),
      functionErrors: between('alarmFunctionErrors', 1, 1_000_000),
      // Records older than the stream mapping's 1 hour are dropped: a later alarm comes too late.
      iteratorAgeMs: between('alarmIteratorAgeMs', 1_000, 3_600_000),
      // The retry queue keeps messages 14 days.
      retryAgeSeconds: between('alarmRetryAgeSeconds', 60, 1_209_600),
      tokensRefused: between('alarmTokensRefused', 1, 1_000_000),
    },
    auth: {
      tokenIssuer: text('tokenIssuer'),
      tokenAudience: text('tokenAudience'),
      tokenLifetimeSeconds,
      tokenThrottle: tokenRate !== undefined || tokenBurst !== undefined ? { rateLimit: tokenRate ?? 10, burstLimit: tokenBurst ?? 20 } : undefined,
      external:
        externalIssuer && externalJwksUrl
          ? {
              issuer: externalIssuer,
              jwksUrl: externalJwksUrl,
              audience: text('externalAudience'),
              scopePrefix: text('externalScopePrefix'),
              clientIdClaim: text('externalClientIdClaim'),
              scopeClaim: text('externalScopeClaim'),
            }
          : undefined,
    },
  };
}

/** The MQTT binding: on unless `mqtt=off`; a custom domain needs its certificate, and the other way round. */
function mqttSettings(text: (key: string) => string | undefined): VtnMqttSettings | false {
  const mode = text('mqtt') ?? 'on';
  if (mode !== 'on' && mode !== 'off') throw new ContextError(`context mqtt must be on or off, got "${mode}"`);
  if (mode === 'off') return false;
  const topicPrefix = text('mqttTopicPrefix');
  if (topicPrefix !== undefined && !TOPIC_PREFIX_PATTERN.test(topicPrefix)) {
    throw new ContextError(`context mqttTopicPrefix must be one topic level of 1-64 letters, digits, _ or -, got "${topicPrefix}"`);
  }
  const domainName = text('mqttDomainName');
  const certificateArn = text('mqttCertificateArn');
  if (Boolean(domainName) !== Boolean(certificateArn)) throw new ContextError('context mqttDomainName and mqttCertificateArn must be given together');
  if (domainName !== undefined && !/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i.test(domainName)) {
    throw new ContextError(`context mqttDomainName must be a host name, got "${domainName}"`);
  }
  if (certificateArn !== undefined && !/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[\w-]+$/.test(certificateArn)) {
    throw new ContextError(`context mqttCertificateArn must be an ACM certificate ARN, got "${certificateArn}"`);
  }
  return { topicPrefix, customDomain: domainName && certificateArn ? { domainName, certificateArn } : undefined };
}
