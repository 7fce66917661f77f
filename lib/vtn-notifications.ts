import { Duration, Validations, type RemovalPolicy } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption, type IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { NOTIFIED_TYPES } from '../lambdas/core/notifications/stream-records';
import { TABLE_LAYOUT } from '../lambdas/core/storage/dynamo/table-layout';
import { vtnFunction } from './vtn-function';

export interface VtnNotificationsProps {
  /** The table, with its stream of new and old images. */
  table: ITable;
  cacheEnvironment: Record<string, string>;
  webhookTimeoutMs: number;
  logRetention: RetentionDays;
  logRemovalPolicy: RemovalPolicy;
  /**
   * Concurrency reserved for the notifier, so that API traffic cannot take all of it (and the
   * notifier not all of the API's); at least 4. None by default: see the README before go-live.
   */
  reservedConcurrency?: number;
}

/** Seconds a notifier may run: room for a batch of deliveries, each bounded by its timeout. */
export const NOTIFIER_TIMEOUT = Duration.seconds(60);

/**
 * What a notifier reads: subscriptions, programs and cache counters from the table itself, and
 * for a VEN's grant its ven's resources, found by the parent index; no write.
 */
export function notifierTableReads(table: ITable): PolicyStatement[] {
  return [
    new PolicyStatement({ effect: Effect.ALLOW, actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'], resources: [table.tableArn] }),
    new PolicyStatement({ effect: Effect.ALLOW, actions: ['dynamodb:Query'], resources: [`${table.tableArn}/index/${TABLE_LAYOUT.indexes.programID.indexName}`] }),
  ];
}

/**
 * The table's stream as a notifier consumes it: each notifier has its own mapping, so each
 * retries on its own. A failing batch is split to find the failing record, retried 3 times and
 * then recorded in `failureQueue`; records older than an hour are given up the same way.
 */
export function notifierStreamSource(table: ITable, failureQueue: IQueue): DynamoEventSource {
  return new DynamoEventSource(table, {
    startingPosition: StartingPosition.LATEST,
    batchSize: 25,
    bisectBatchOnError: true,
    retryAttempts: 3,
    maxRecordAge: Duration.hours(1),
    reportBatchItemFailures: true,
    onFailure: new SqsDlq(failureQueue),
    // Only objects; name claims, purge markers and cache counters notify nobody.
    filters: [FilterCriteria.filter({ dynamodb: { Keys: { objectType: { S: FilterRule.or(...NOTIFIED_TYPES) } } } })],
  });
}

/**
 * Webhook notifications in AWS: the table's stream feeds the notifier function; deliveries that
 * fail are retried through a delay queue and, once out of attempts, kept in a dead-letter queue
 * from which they can be moved back to replay them. Stream batches that cannot be handled at all
 * are recorded (shard and sequence numbers) in their own queue.
 */
export class VtnNotifications extends Construct {
  readonly function: NodejsFunction;
  readonly retryQueue: Queue;
  readonly deadLetterQueue: Queue;
  readonly streamFailureQueue: Queue;

  constructor(scope: Construct, id: string, props: VtnNotificationsProps) {
    super(scope, id);
    const queue = (name: string, extra: Partial<ConstructorParameters<typeof Queue>[2]> = {}) =>
      new Queue(this, name, { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14), ...extra });
    this.deadLetterQueue = queue('DeadLetterQueue');
    this.streamFailureQueue = queue('StreamFailureQueue');
    this.retryQueue = queue('RetryQueue', {
      // Lambda's advice for queue event sources: six times the function timeout.
      visibilityTimeout: Duration.seconds(NOTIFIER_TIMEOUT.toSeconds() * 6),
      // A message whose handling keeps crashing ends up with the given-up deliveries.
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
    });

    this.function = vtnFunction(this, 'Webhooks', {
      entry: 'webhooks',
      table: props.table,
      environment: {
        ...props.cacheEnvironment,
        VTN_WEBHOOK_TIMEOUT_MS: String(props.webhookTimeoutMs),
        WEBHOOK_RETRY_QUEUE_URL: this.retryQueue.queueUrl,
        WEBHOOK_DEAD_LETTER_QUEUE_URL: this.deadLetterQueue.queueUrl,
      },
      memorySize: 512,
      timeout: NOTIFIER_TIMEOUT,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      reservedConcurrency: props.reservedConcurrency,
    });
    for (const statement of notifierTableReads(props.table)) this.function.addToRolePolicy(statement);
    this.retryQueue.grantSendMessages(this.function);
    this.deadLetterQueue.grantSendMessages(this.function);

    this.function.addEventSource(notifierStreamSource(props.table, this.streamFailureQueue));
    this.function.addEventSource(
      new SqsEventSource(this.retryQueue, {
        batchSize: 10,
        reportBatchItemFailures: true,
        // Queue pollers ignore reserved concurrency: beyond it, their batches are throttled and
        // come back until the dead-letter queue takes them. Half is left for the stream's shards.
        maxConcurrency: props.reservedConcurrency === undefined ? undefined : Math.max(2, Math.floor(props.reservedConcurrency / 2)),
      }),
    );

    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'dynamodb:ListStreams, granted by the stream event source, has no resource-level permissions; every other grant names its table, stream or queue.',
    });
    Validations.of(this.streamFailureQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself a dead-letter queue: the on-failure destination of the stream event sources.',
    });
  }
}
