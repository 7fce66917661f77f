import { Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TreatMissingData,
  type IMetric,
  type IWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Operation, type ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEFAULT_METRICS_NAMESPACE } from '../lambdas/core/config';
import { dimensionSetsOf, SERVICE_DIMENSION, type MetricName } from '../lambdas/core/metrics';
import { RESOURCES } from '../lambdas/routes';

/** Alarm thresholds and where alarms go; every field has a default (MONITORING_DEFAULTS). */
export interface VtnMonitoringSettings {
  /** An address subscribed to the alarm topic; none by default. */
  email?: string;
  /** API 5xx responses, in percent of requests over 5 minutes. */
  serverErrorRatePercent?: number;
  /** Requests in 5 minutes below which the 5xx rate is not judged. */
  minRequests?: number;
  /** API p99 latency over 5 minutes. */
  p99LatencyMs?: number;
  /** Errors of one function in 5 minutes. */
  functionErrors?: number;
  /** How far a notifier (webhooks, MQTT) may lag behind the table's stream. */
  iteratorAgeMs?: number;
  /** Age of the oldest message in the retry queue. */
  retryAgeSeconds?: number;
  /** Token requests refused in 5 minutes. */
  tokensRefused?: number;
}

export const MONITORING_DEFAULTS = {
  serverErrorRatePercent: 5,
  minRequests: 20,
  p99LatencyMs: 3_000,
  functionErrors: 1,
  // Well before the stream mapping's 1 hour maximum record age, past which changes go unnotified.
  iteratorAgeMs: 300_000,
  // SQS delays a message 15 minutes at most, so no scheduled retry reaches this by its delay alone.
  retryAgeSeconds: 900,
  // A client with a wrong secret retrying every 3 s, or guessing: the token route's own throttle
  // (10 a second) lets through up to 3,000 in 5 minutes.
  tokensRefused: 100,
} satisfies Required<Omit<VtnMonitoringSettings, 'email'>>;

export interface VtnMonitoringProps extends VtnMonitoringSettings {
  api: HttpApi;
  /** The API's functions by resource name. */
  apiFunctions: Record<string, IFunction>;
  table: ITable;
  notifier: IFunction;
  retryQueue: IQueue;
  deadLetterQueue: IQueue;
  streamFailureQueue: IQueue;
  /** The MQTT binding's functions, when the stack has it. */
  mqtt?: { publisher: IFunction; authorizer: IFunction };
}

const PERIOD = Duration.minutes(5);

/** The operations the functions call on the table (from the route table), as DynamoDB metrics name them. */
const TABLE_OPERATIONS = [...new Set(RESOURCES.flatMap((resource) => resource.tableActions))].map((action) => action.replace(/^dynamodb:/, '') as Operation);

/**
 * Alarms on the API, the functions, the notifier's stream and queues and the table, all sent to one
 * encrypted SNS topic (alarm and back to OK), and one dashboard of the same signals.
 */
export class VtnMonitoring extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: VtnMonitoringProps) {
    super(scope, id);
    const settings = {
      serverErrorRatePercent: props.serverErrorRatePercent ?? MONITORING_DEFAULTS.serverErrorRatePercent,
      minRequests: props.minRequests ?? MONITORING_DEFAULTS.minRequests,
      p99LatencyMs: props.p99LatencyMs ?? MONITORING_DEFAULTS.p99LatencyMs,
      functionErrors: props.functionErrors ?? MONITORING_DEFAULTS.functionErrors,
      iteratorAgeMs: props.iteratorAgeMs ?? MONITORING_DEFAULTS.iteratorAgeMs,
      retryAgeSeconds: props.retryAgeSeconds ?? MONITORING_DEFAULTS.retryAgeSeconds,
      tokensRefused: props.tokensRefused ?? MONITORING_DEFAULTS.tokensRefused,
    };
    const stackName = Stack.of(this).stackName;

    // CloudWatch cannot publish to a topic encrypted with the AWS managed SNS key: it needs a key
    // whose policy lets it use the key.
    const key = new Key(this, 'TopicKey', {
      description: `Encrypts the alarm topic of ${stackName}`,
      enableKeyRotation: true,
      // Holds nothing but messages in flight.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    const cloudWatch = new ServicePrincipal('cloudwatch.amazonaws.com');
    const fromOwnAlarms = {
      StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
      ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*` },
    };
    key.addToResourcePolicy(new PolicyStatement({ principals: [cloudWatch], actions: ['kms:Decrypt', 'kms:GenerateDataKey*'], resources: ['*'], conditions: fromOwnAlarms }));
    this.topic = new Topic(this, 'AlarmTopic', { displayName: `${stackName} alarms`, masterKey: key, enforceSSL: true });
    this.topic.addToResourcePolicy(new PolicyStatement({ principals: [cloudWatch], actions: ['sns:Publish'], resources: [this.topic.topicArn], conditions: fromOwnAlarms }));
    if (props.email) this.topic.addSubscription(new EmailSubscription(props.email));
    const action = new SnsAction(this.topic);

    const alarm = (name: string, metric: IMetric, threshold: number, description: string, options: { evaluationPeriods?: number; datapointsToAlarm?: number } = {}) => {
      const created = new Alarm(this, name, {
        alarmName: `${stackName}-${name}`,
        alarmDescription: description,
        metric,
        threshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: options.evaluationPeriods ?? 1,
        datapointsToAlarm: options.datapointsToAlarm,
        // Every metric here is absent when nothing happens (no requests, invocations, throttles,
        // messages): that is quiet, not trouble.
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(action);
      created.addOkAction(action);
      this.alarms.push(created);
      return created;
    };

    // API: the 5xx rate, judged only on enough requests that one failure on a quiet night is not 5%.
    const apiErrors = props.api.metricServerError({ period: PERIOD, label: '5xx' });
    const apiRequests = props.api.metricCount({ period: PERIOD, label: 'requests' });
    const serverErrorRate = new MathExpression({
      expression: `IF(FILL(requests, 0) >= ${settings.minRequests}, 100 * FILL(errors, 0) / FILL(requests, 1), 0)`,
      usingMetrics: { errors: apiErrors, requests: apiRequests },
      label: '5xx rate (%)',
      period: PERIOD,
    });
    alarm('Api5xxRate', serverErrorRate, settings.serverErrorRatePercent, `At least ${settings.serverErrorRatePercent}% of API requests answered 5xx in 5 minutes (of at least ${settings.minRequests}), twice in 15 minutes. See the functions' errors and logs.`, {
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
    });
    const p99 = props.api.metricLatency({ period: PERIOD, statistic: 'p99', label: 'p99' });
    alarm('ApiP99Latency', p99, settings.p99LatencyMs, `API p99 latency at least ${settings.p99LatencyMs} ms over 5 minutes, twice in 15 minutes.`, { evaluationPeriods: 3, datapointsToAlarm: 2 });

    // Functions: the handlers answer the failures they know of with problems, so an error is a
    // crash or a timeout; any throttle is a request or batch turned away for want of concurrency.
    const functions: [string, IFunction][] = [
      ...Object.entries(props.apiFunctions).map(([name, fn]) => [pascal(name), fn] as [string, IFunction]),
      ['Webhooks', props.notifier],
      // A throttled authorizer is a VEN that cannot connect.
      ...(props.mqtt ? ([['MqttPublisher', props.mqtt.publisher], ['MqttAuthorizer', props.mqtt.authorizer]] as [string, IFunction][]) : []),
    ];
    for (const [name, fn] of functions) {
      alarm(`${name}Errors`, fn.metricErrors({ period: PERIOD, statistic: 'Sum' }), settings.functionErrors, `The ${name} function failed at least ${settings.functionErrors} time(s) in 5 minutes (crash or timeout); see its logs.`);
      alarm(`${name}Throttles`, fn.metricThrottles({ period: PERIOD, statistic: 'Sum' }), 1, `The ${name} function was throttled in the last 5 minutes: the account's or its reserved concurrency is exhausted.`);
    }

    // Notifications: how far behind the stream the notifier is, and what it gave up on.
    const iteratorAge = props.notifier.metric('IteratorAge', { period: PERIOD, statistic: 'Maximum', label: 'iterator age' });
    alarm('WebhookIteratorAge', iteratorAge, settings.iteratorAgeMs, `The webhook notifier is at least ${settings.iteratorAgeMs} ms behind the table's stream; records older than 1 hour are dropped to the stream-failure queue.`);
    const mqttIteratorAge = props.mqtt?.publisher.metric('IteratorAge', { period: PERIOD, statistic: 'Maximum', label: 'MQTT iterator age' });
    if (mqttIteratorAge) {
      alarm('MqttIteratorAge', mqttIteratorAge, settings.iteratorAgeMs, `The MQTT publisher is at least ${settings.iteratorAgeMs} ms behind the table's stream; records older than 1 hour are dropped to the stream-failure queue.`);
    }
    const deadLetters = props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum', label: 'dead-letter' });
    alarm('WebhookDeadLetters', deadLetters, 1, 'Webhook deliveries were given up and wait in the dead-letter queue; move them back to the retry queue to replay them.');
    const streamFailures = props.streamFailureQueue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum', label: 'stream failures' });
    alarm('WebhookStreamFailures', streamFailures, 1, 'Stream batches a notifier (webhooks or MQTT) could not handle were recorded in the stream-failure queue: their changes were not notified.');
    const retryAge = props.retryQueue.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: 'Maximum', label: 'oldest retry' });
    alarm('WebhookRetryAge', retryAge, settings.retryAgeSeconds, `A webhook retry has waited at least ${settings.retryAgeSeconds} s: the notifier is not taking them from the retry queue, or keeps failing on one.`);

    // Table: DynamoDB publishes these per operation and only when non-zero, so each is filled
    // with 0 before summing; a plain sum would be missing whenever one operation had none.
    const throttles = filledSum(props.table.metricThrottledRequestsForOperations({ operations: TABLE_OPERATIONS, period: PERIOD }), 'throttled', 'throttled requests');
    alarm('TableThrottles', throttles, 1, 'DynamoDB throttled requests to the table in the last 5 minutes.');
    const systemErrors = filledSum(props.table.metricSystemErrorsForOperations({ operations: [...TABLE_OPERATIONS, Operation.GET_RECORDS], period: PERIOD }), 'errors', 'system errors');
    alarm('TableSystemErrors', systemErrors, 1, 'DynamoDB answered requests to the table (or its stream) with server errors in the last 5 minutes.');

    // Business metrics, as the functions write them (lambdas/core/metrics.ts).
    const business = (name: MetricName, label: string, dimensions: Record<string, string> = {}) => businessMetric(stackName, name, label, dimensions);
    const tokensRefused = business('TokensRefused', 'refused');
    alarm('TokensRefused', tokensRefused, settings.tokensRefused, `At least ${settings.tokensRefused} token requests were refused in 5 minutes: a client with a wrong secret or scope, or someone guessing; the dashboard shows the OAuth error codes.`);

    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: stackName, defaultInterval: Duration.hours(6) });
    const graph = (title: string, left: IMetric[], width = 8): IWidget => new GraphWidget({ title, left, width, height: 6 });
    const perFunction = (metric: (fn: IFunction) => Metric) => functions.map(([name, fn]) => metric(fn).with({ label: name }));
    this.dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 4 }));
    this.dashboard.addWidgets(
      graph('API requests and 5xx', [apiRequests, apiErrors]),
      graph('API 5xx rate (%)', [serverErrorRate]),
      graph('API latency (ms)', [props.api.metricLatency({ period: PERIOD, statistic: 'p50', label: 'p50' }), p99]),
    );
    this.dashboard.addWidgets(
      graph('Function errors', perFunction((fn) => fn.metricErrors({ period: PERIOD, statistic: 'Sum' })), 12),
      graph('Function throttles', perFunction((fn) => fn.metricThrottles({ period: PERIOD, statistic: 'Sum' })), 12),
    );
    this.dashboard.addWidgets(
      graph('Notifier iterator age (ms)', mqttIteratorAge ? [iteratorAge, mqttIteratorAge] : [iteratorAge], 6),
      graph('Dead-letter and stream-failure messages', [deadLetters, streamFailures], 6),
      graph('Oldest retry (s)', [retryAge], 6),
      graph('Table throttles and system errors', [throttles, systemErrors], 6),
    );
    this.dashboard.addWidgets(
      graph('Requests by status class', ['2xx', '4xx', '5xx'].map((statusClass) => business('Requests', statusClass, { StatusClass: statusClass })), 6),
      graph('Requests by route and method', [search(stackName, 'Requests', ['Method', 'Route'])], 6),
      graph('Webhook attempts and given up', [business('WebhookDelivered', 'delivered'), business('WebhookFailed', 'failed'), business('WebhookGivenUp', 'given up')], 6),
      graph('Tokens issued and refused', [business('TokensIssued', 'issued'), tokensRefused, search(stackName, 'TokensRefused', ['Reason'])], 6),
    );
  }
}

/** A business metric of this stack, summed over 5 minutes. */
function businessMetric(service: string, name: MetricName, label: string, dimensions: Record<string, string>): Metric {
  const dimensionsMap = { [SERVICE_DIMENSION]: service, ...dimensions };
  expectWritten(name, Object.keys(dimensionsMap));
  return new Metric({ namespace: DEFAULT_METRICS_NAMESPACE, metricName: name, dimensionsMap, statistic: 'Sum', period: PERIOD, label });
}

/** One series per value of these dimensions (a route, an error code), found by a search, so the dashboard needs no list of them. */
function search(service: string, name: MetricName, dimensions: string[]): MathExpression {
  const set = [SERVICE_DIMENSION, ...dimensions];
  expectWritten(name, set);
  return new MathExpression({
    expression: `SEARCH('{${DEFAULT_METRICS_NAMESPACE},${set.join(',')}} MetricName="${name}" ${SERVICE_DIMENSION}="${service}"', 'Sum', ${PERIOD.toSeconds()})`,
    usingMetrics: {},
    // Each series named by its own dimension values (a dynamic label).
    label: dimensions.map((dimension) => `\${PROP('Dim.${dimension}')}`).join(' '),
    period: PERIOD,
  });
}

/** The same per-operation metrics, each filled with 0, summed; ids prefixed so that sums can share a graph. */
function filledSum(metric: IMetric, prefix: string, label: string): MathExpression {
  if (!(metric instanceof MathExpression)) throw new Error('expected a sum of per-operation metrics');
  const usingMetrics = Object.fromEntries(Object.entries(metric.usingMetrics).map(([id, used]) => [`${prefix}_${id}`, used]));
  return new MathExpression({
    expression: Object.keys(usingMetrics).map((id) => `FILL(${id}, 0)`).join(' + '),
    usingMetrics,
    label,
    period: PERIOD,
  });
}

function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** Fails the synth unless the functions write `name` under exactly these dimensions: its graph would stay empty. */
function expectWritten(name: MetricName, dimensions: string[]): void {
  const sorted = (set: readonly string[]) => JSON.stringify([...set].sort());
  if (!dimensionSetsOf(name).some((set) => sorted(set) === sorted(dimensions))) throw new Error(`the functions do not write ${name} with the dimensions ${dimensions.join(', ')}`);
}
