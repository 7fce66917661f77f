import { CfnOutput, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { BASE_PATH } from '../lambdas/routes';
import { VtnApi } from './vtn-api';
import { VtnMonitoring, type VtnMonitoringSettings } from './vtn-monitoring';
import { VtnMqtt, type MqttCustomDomain } from './vtn-mqtt';
import { VtnNotifications } from './vtn-notifications';
import { VtnTable } from './vtn-table';
import { VtnTokenKey } from './vtn-token-key';

export interface VtnStackProps extends StackProps {
  /** Names the deployment (dev, test, prod); part of the table name when none is given. */
  stage: string;
  tableName?: string;
  /**
   * RETAIN_ON_UPDATE_OR_DELETE (default) keeps the table, with deletion protection, and the log
   * groups when the stack is deleted, but not when the deploy that created them rolls back.
   */
  removalPolicy?: RemovalPolicy;
  /** The table is created without deletion protection (see VtnTable). */
  firstDeploy?: boolean;
  /** How many of the table's indexes to declare (see VtnTable); all by default. */
  tableIndexes?: number;
  programCacheTtlMs?: number;
  eventCacheTtlMs?: number;
  cacheCoherenceMs?: number;
  throttle?: { rateLimit: number; burstLimit: number };
  corsOrigins?: string[];
  logRetention?: RetentionDays;
  webhookTimeoutMs?: number;
  /** Concurrency reserved for the webhook notifier (see VtnNotifications); none by default. */
  notifierConcurrency?: number;
  auth?: VtnAuthSettings;
  /** Alarm thresholds and an e-mail address for alarms (see VtnMonitoring). */
  monitoring?: VtnMonitoringSettings;
  /** A template for `sam local`, never to be deployed (see declareForSamLocal). */
  samLocal?: boolean;
  /** The MQTT binding in IoT Core (see VtnMqtt); on by default, `false` leaves every IoT piece out. */
  mqtt?: VtnMqttSettings | false;
}

export interface VtnMqttSettings {
  /** The first level of every topic; `openadr3` by default. */
  topicPrefix?: string;
  /** A domain of your own for the broker; an AWS-managed one by default. */
  customDomain?: MqttCustomDomain;
}

/** Access tokens: what the functions' VTN_TOKEN_* and VTN_EXTERNAL_* settings say (README, Configuration). */
export interface VtnAuthSettings {
  /** `iss` and `aud` of the VTN's tokens; the API's URL by default (set them for a custom domain). */
  tokenIssuer?: string;
  tokenAudience?: string;
  tokenLifetimeSeconds?: number;
  /** The token endpoint's own throttle: 10 requests a second, bursts of 20, by default. */
  tokenThrottle?: { rateLimit: number; burstLimit: number };
  /** Another identity provider whose tokens are accepted too. */
  external?: { issuer: string; jwksUrl: string; audience?: string; scopePrefix?: string; clientIdClaim?: string; scopeClaim?: string };
}

export class VtnStack extends Stack {
  readonly table: VtnTable;
  readonly api: VtnApi;
  readonly notifications: VtnNotifications;
  readonly tokenKey: VtnTokenKey;
  readonly monitoring: VtnMonitoring;
  readonly mqtt?: VtnMqtt;

  constructor(scope: Construct, id: string, props: VtnStackProps) {
    super(scope, id, props);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;
    this.table = new VtnTable(this, 'Storage', {
      tableName: props.tableName ?? `openadr3-vtn-${props.stage}`,
      removalPolicy,
      firstDeploy: props.firstDeploy,
      indexCount: props.tableIndexes,
    });
    const cacheEnvironment = {
      VTN_PROGRAM_CACHE_TTL_MS: String(props.programCacheTtlMs ?? 3_600_000),
      VTN_EVENT_CACHE_TTL_MS: String(props.eventCacheTtlMs ?? 300_000),
      VTN_CACHE_COHERENCE_MS: String(props.cacheCoherenceMs ?? 1_000),
    };
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;
    // The Definition recommends 10 to 30 s.
    const webhookTimeoutMs = props.webhookTimeoutMs ?? 10_000;
    this.tokenKey = new VtnTokenKey(this, 'TokenKey', { table: this.table.table, logRetention, logRemovalPolicy: removalPolicy });
    this.api = new VtnApi(this, 'Api', {
      table: this.table.table,
      cacheEnvironment,
      throttle: props.throttle ?? { rateLimit: 500, burstLimit: 1000 },
      corsOrigins: props.corsOrigins ?? [],
      logRetention,
      logRemovalPolicy: removalPolicy,
      tokenKey: this.tokenKey,
      authEnvironment: authEnvironment(props.auth ?? {}),
      tokenThrottle: props.auth?.tokenThrottle ?? { rateLimit: 10, burstLimit: 20 },
      webhookTimeoutMs,
    });
    this.notifications = new VtnNotifications(this, 'Notifications', {
      table: this.table.table,
      cacheEnvironment,
      webhookTimeoutMs,
      logRetention,
      logRemovalPolicy: removalPolicy,
      reservedConcurrency: props.notifierConcurrency,
    });
    if (props.mqtt !== false) {
      this.mqtt = new VtnMqtt(this, 'Mqtt', {
        table: this.table.table,
        topicPrefix: props.mqtt?.topicPrefix ?? 'openadr3',
        authEnvironment: this.api.authEnvironment,
        cacheEnvironment,
        streamFailureQueue: this.notifications.streamFailureQueue,
        notifiersFunction: this.api.functions.notifiers,
        customDomain: props.mqtt?.customDomain,
        logRetention,
        logRemovalPolicy: removalPolicy,
      });
    }
    this.monitoring = new VtnMonitoring(this, 'Monitoring', {
      ...props.monitoring,
      api: this.api.api,
      apiFunctions: this.api.functions,
      table: this.table.table,
      notifier: this.notifications.function,
      retryQueue: this.notifications.retryQueue,
      deadLetterQueue: this.notifications.deadLetterQueue,
      streamFailureQueue: this.notifications.streamFailureQueue,
      mqtt: this.mqtt && { publisher: this.mqtt.publisherFunction, authorizer: this.mqtt.authorizerFunction },
    });
    new CfnOutput(this, 'ApiUrl', {
      description: 'Base URL of the OpenADR 3.1.0 API',
      value: `${this.api.api.apiEndpoint}${BASE_PATH}`,
    });
    new CfnOutput(this, 'TableName', { description: 'The DynamoDB table', value: this.table.table.tableName });
    new CfnOutput(this, 'AlarmTopicArn', { description: 'Where the alarms go: subscribe to it', value: this.monitoring.topic.topicArn });
    new CfnOutput(this, 'JwksUrl', { description: "The public keys that verify the VTN's access tokens", value: `${this.api.api.apiEndpoint}${BASE_PATH}/.well-known/jwks.json` });
    acknowledgeNagFindings(this);
    if (props.samLocal) declareForSamLocal(this);
  }
}

/** Where the functions under `sam local` find DynamoDB Local, unless its --env-vars file says otherwise. */
export const SAM_LOCAL_DYNAMODB_ENDPOINT = 'http://host.docker.internal:8000';

/**
 * `sam local` sets only the environment variables a function's template declares, and blanks
 * those CloudFormation would resolve: a template synthesised for it also declares the database
 * endpoint and VTN_AUTH, for its --env-vars file to set. Not for deploying: Lambda cannot reach
 * DynamoDB Local.
 */
function declareForSamLocal(stack: Stack): void {
  for (const fn of stack.node.findAll().filter((construct): construct is NodejsFunction => construct instanceof NodejsFunction)) {
    fn.addEnvironment('DYNAMODB_ENDPOINT', SAM_LOCAL_DYNAMODB_ENDPOINT);
    fn.addEnvironment('VTN_AUTH', 'on');
  }
}

/** The settings given, as the functions' environment names them. */
function authEnvironment(auth: VtnAuthSettings): Record<string, string> {
  const settings: Record<string, string | number | undefined> = {
    VTN_TOKEN_ISSUER: auth.tokenIssuer,
    VTN_TOKEN_AUDIENCE: auth.tokenAudience,
    VTN_TOKEN_LIFETIME_S: auth.tokenLifetimeSeconds,
    VTN_EXTERNAL_ISSUER: auth.external?.issuer,
    VTN_EXTERNAL_JWKS_URL: auth.external?.jwksUrl,
    VTN_EXTERNAL_AUDIENCE: auth.external?.audience,
    VTN_EXTERNAL_SCOPE_PREFIX: auth.external?.scopePrefix,
    VTN_EXTERNAL_CLIENT_ID_CLAIM: auth.external?.clientIdClaim,
    VTN_EXTERNAL_SCOPE_CLAIM: auth.external?.scopeClaim,
  };
  return Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined).map(([name, value]) => [name, String(value)]));
}

/** cdk-nag AwsSolutions findings this stack accepts, each with its reason. */
function acknowledgeNagFindings(stack: Stack): void {
  Validations.of(stack).acknowledge(
    {
      id: 'AwsSolutions-APIG4',
      reason:
        "Authorization is enforced in the functions: every route but the spec's /auth routes and the public key set verifies the OAuth2 bearer token and the operation's scope, answering 401 and 403 as OpenADR problems, which API Gateway authorizers cannot.",
    },
    {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'The AWS managed basic execution role grants only CloudWatch Logs writes, which every function needs.',
    },
    {
      id: 'AwsSolutions-L1',
      reason: 'Node.js 22 is the runtime the handlers are built and tested for; a newer one is adopted once tested.',
    },
  );
}
