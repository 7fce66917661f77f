import { CfnOutput, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { BASE_PATH } from '../lambdas/routes';
import { VtnApi } from './vtn-api';
import { VtnNotifications } from './vtn-notifications';
import { VtnTable } from './vtn-table';

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
  programCacheTtlMs?: number;
  eventCacheTtlMs?: number;
  cacheCoherenceMs?: number;
  throttle?: { rateLimit: number; burstLimit: number };
  corsOrigins?: string[];
  logRetention?: RetentionDays;
  webhookTimeoutMs?: number;
  /** Concurrency reserved for the webhook notifier (see VtnNotifications); none by default. */
  notifierConcurrency?: number;
}

export class VtnStack extends Stack {
  readonly table: VtnTable;
  readonly api: VtnApi;
  readonly notifications: VtnNotifications;

  constructor(scope: Construct, id: string, props: VtnStackProps) {
    super(scope, id, props);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;
    this.table = new VtnTable(this, 'Storage', {
      tableName: props.tableName ?? `openadr3-vtn-${props.stage}`,
      removalPolicy,
      firstDeploy: props.firstDeploy,
    });
    const cacheEnvironment = {
      VTN_PROGRAM_CACHE_TTL_MS: String(props.programCacheTtlMs ?? 3_600_000),
      VTN_EVENT_CACHE_TTL_MS: String(props.eventCacheTtlMs ?? 300_000),
      VTN_CACHE_COHERENCE_MS: String(props.cacheCoherenceMs ?? 1_000),
    };
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;
    this.api = new VtnApi(this, 'Api', {
      table: this.table.table,
      cacheEnvironment,
      throttle: props.throttle ?? { rateLimit: 500, burstLimit: 1000 },
      corsOrigins: props.corsOrigins ?? [],
      logRetention,
      logRemovalPolicy: removalPolicy,
    });
    this.notifications = new VtnNotifications(this, 'Notifications', {
      table: this.table.table,
      cacheEnvironment,
      webhookTimeoutMs: props.webhookTimeoutMs ?? 5_000,
      logRetention,
      logRemovalPolicy: removalPolicy,
      reservedConcurrency: props.notifierConcurrency,
    });
    new CfnOutput(this, 'ApiUrl', {
      description: 'Base URL of the OpenADR 3.1.0 API',
      value: `${this.api.api.apiEndpoint}${BASE_PATH}`,
    });
    new CfnOutput(this, 'TableName', { description: 'The DynamoDB table', value: this.table.table.tableName });
    acknowledgeNagFindings(this);
  }
}

/** cdk-nag AwsSolutions findings this stack accepts, each with its reason. */
function acknowledgeNagFindings(stack: Stack): void {
  Validations.of(stack).acknowledge(
    {
      id: 'AwsSolutions-APIG4',
      reason:
        'OpenADR 3 client authentication (OAuth2 bearer tokens) is not implemented yet; the README tells operators to keep the API private until it is.',
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
