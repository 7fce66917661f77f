import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { RESOURCES } from '../../lambdas/routes';
import { ContextError, vtnStackProps } from '../../lib/context';
import { MONITORING_DEFAULTS } from '../../lib/vtn-monitoring';
import { METRICS, Metrics, type DimensionsOf, type MetricName } from '../../lambdas/core/metrics';
import { readConfig } from '../../lambdas/core/config';
import { readEmf } from '../support/emf';
import { VtnStack, type VtnStackProps } from '../../lib/vtn-stack';

// The template is what is asserted; bundling the functions here would only slow the tests down.
const testApp = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });

function synth(props: Partial<VtnStackProps> = {}) {
  const stack = new VtnStack(testApp(), 'Test', { stage: 'test', ...props });
  return Template.fromStack(stack);
}

type Resources = Record<string, { Type: string; Properties: any }>;
const template = synth();
const resources = template.toJSON().Resources as Resources;
const idOf = (type: string, prefix: string, from: Resources = resources) => {
  const id = Object.keys(from).find((key) => from[key].Type === type && key.startsWith(prefix));
  if (!id) throw new Error(`no ${type} ${prefix}`);
  return id;
};
const topic = idOf('AWS::SNS::Topic', 'MonitoringAlarmTopic');
const table = idOf('AWS::DynamoDB::Table', 'StorageTable');
const api = idOf('AWS::ApiGatewayV2::Api', 'ApiHttpApi');
const notifier = idOf('AWS::Lambda::Function', 'NotificationsWebhooksFunction');
const queue = (name: string) => idOf('AWS::SQS::Queue', `Notifications${name}`);
const pascal = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);
const mqttPublisher = idOf('AWS::Lambda::Function', 'MqttPublisherFunction');
const functions: Record<string, string> = {
  ...Object.fromEntries(RESOURCES.map((resource) => [pascal(resource.name), idOf('AWS::Lambda::Function', `Api${pascal(resource.name)}Function`)])),
  Webhooks: notifier,
  MqttPublisher: mqttPublisher,
  MqttAuthorizer: idOf('AWS::Lambda::Function', 'MqttAuthorizerFunction'),
};

function alarmsOf(from: Resources): Record<string, any> {
  return Object.fromEntries(
    Object.values(from)
      .filter((resource) => resource.Type === 'AWS::CloudWatch::Alarm')
      .map((resource) => [resource.Properties.AlarmName.replace(/^Test-/, ''), resource.Properties]),
  );
}
const alarms = alarmsOf(resources);

/** What the functions write, read back from their EMF lines: namespace, metric, each dimension set, Service. */
const written = (() => {
  const lines: string[] = [];
  const { metrics: settings } = readConfig({ VTN_METRICS: 'on', VTN_METRICS_SERVICE: 'Test' });
  const counter = new Metrics(settings, (line) => lines.push(line));
  for (const name of Object.keys(METRICS) as MetricName[]) {
    const dimensions = Object.fromEntries(METRICS[name].flat().map((dimension) => [dimension, 'x'])) as DimensionsOf<typeof name>;
    counter.count(name, dimensions);
  }
  counter.flush();
  return readEmf(lines).flatMap((datum) =>
    datum.dimensionSets.map((set) => ({ namespace: datum.namespace, name: datum.name, dimensions: [...set].sort(), service: datum.dimensions.Service as string })),
  );
})();

/** The one metric an alarm watches, in either of the forms CloudFormation takes (a labelled metric comes as `Metrics`). */
function singleMetric(alarm: any) {
  if (alarm.Metrics) {
    expect(alarm.Metrics).toHaveLength(1);
    const { Metric, Stat, Period } = alarm.Metrics[0].MetricStat;
    return { Metric: { Namespace: Metric.Namespace, MetricName: Metric.MetricName }, Stat, Period, dimensions: Object.fromEntries(Metric.Dimensions.map((d: any) => [d.Name, d.Value])) };
  }
  return {
    Metric: { Namespace: alarm.Namespace, MetricName: alarm.MetricName },
    Stat: alarm.Statistic ?? alarm.ExtendedStatistic,
    Period: alarm.Period,
    dimensions: Object.fromEntries(alarm.Dimensions.map((d: any) => [d.Name, d.Value])),
  };
}

/** The expression an alarm watches, and its metrics by id. */
function expression(alarm: any) {
  const returned = alarm.Metrics.filter((metric: any) => metric.ReturnData !== false);
  expect(returned).toHaveLength(1);
  const used = Object.fromEntries(
    alarm.Metrics.filter((metric: any) => metric.MetricStat).map((metric: any) => [
      metric.Id,
      {
        namespace: metric.MetricStat.Metric.Namespace,
        name: metric.MetricStat.Metric.MetricName,
        stat: metric.MetricStat.Stat,
        period: metric.MetricStat.Period,
        dimensions: Object.fromEntries(metric.MetricStat.Metric.Dimensions.map((d: any) => [d.Name, d.Value])),
      },
    ]),
  );
  return { expression: returned[0].Expression as string, used };
}

function expectNotifiesTopic(alarm: any) {
  expect(alarm.AlarmActions).toEqual([{ Ref: topic }]);
  expect(alarm.OKActions).toEqual([{ Ref: topic }]);
  expect(alarm.InsufficientDataActions).toBeUndefined();
  expect(alarm.TreatMissingData).toBe('notBreaching');
}

function expectRule(alarm: any, threshold: number, evaluationPeriods: number, datapointsToAlarm?: number) {
  expect(alarm).toMatchObject({ Threshold: threshold, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: evaluationPeriods });
  expect(alarm.DatapointsToAlarm).toBe(datapointsToAlarm);
  expectNotifiesTopic(alarm);
}

const TABLE_OPERATIONS = ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem'];

describe('alarms', () => {
  test('exactly these, each notifying the topic on alarm and on recovery', () => {
    const perFunction = Object.keys(functions).flatMap((name) => [`${name}Errors`, `${name}Throttles`]);
    expect(Object.keys(alarms).sort()).toEqual(
      ['Api5xxRate', 'ApiP99Latency', ...perFunction, 'WebhookIteratorAge', 'MqttIteratorAge', 'WebhookDeadLetters', 'WebhookStreamFailures', 'WebhookRetryAge', 'TableThrottles', 'TableSystemErrors', 'TokensRefused'].sort(),
    );
    expect(Object.keys(functions)).toHaveLength(RESOURCES.length + 3);
    for (const alarm of Object.values(alarms)) expectNotifiesTopic(alarm);
  });

  test('API 5xx rate: 5xx / requests in percent, judged from 20 requests in 5 minutes, 5% twice in 15 minutes', () => {
    const alarm = alarms.Api5xxRate;
    expectRule(alarm, 5, 3, 2);
    const { expression: math, used } = expression(alarm);
    expect(math).toBe('IF(FILL(requests, 0) >= 20, 100 * FILL(errors, 0) / FILL(requests, 1), 0)');
    expect(used).toEqual({
      errors: { namespace: 'AWS/ApiGateway', name: '5xx', stat: 'Sum', period: 300, dimensions: { ApiId: { Ref: api } } },
      requests: { namespace: 'AWS/ApiGateway', name: 'Count', stat: 'SampleCount', period: 300, dimensions: { ApiId: { Ref: api } } },
    });
  });

  test('API p99 latency: 3000 ms twice in 15 minutes', () => {
    const alarm = alarms.ApiP99Latency;
    expectRule(alarm, 3000, 3, 2);
    expect(singleMetric(alarm)).toMatchObject({ Metric: { Namespace: 'AWS/ApiGateway', MetricName: 'Latency' }, Stat: 'p99', Period: 300, dimensions: { ApiId: { Ref: api } } });
  });

  test("every function's errors (1 in 5 minutes) and throttles (1 in 5 minutes)", () => {
    for (const [name, id] of Object.entries(functions)) {
      expectRule(alarms[`${name}Errors`], 1, 1);
      expect(singleMetric(alarms[`${name}Errors`])).toMatchObject({ Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors' }, Stat: 'Sum', Period: 300, dimensions: { FunctionName: { Ref: id } } });
      expectRule(alarms[`${name}Throttles`], 1, 1);
      expect(singleMetric(alarms[`${name}Throttles`])).toMatchObject({ Metric: { Namespace: 'AWS/Lambda', MetricName: 'Throttles' }, Stat: 'Sum', Period: 300, dimensions: { FunctionName: { Ref: id } } });
    }
  });

  test("the notifier's iterator age on the table's stream: 5 minutes behind", () => {
    const alarm = alarms.WebhookIteratorAge;
    expectRule(alarm, 300_000, 1);
    expect(singleMetric(alarm)).toMatchObject({ Metric: { Namespace: 'AWS/Lambda', MetricName: 'IteratorAge' }, Stat: 'Maximum', Period: 300, dimensions: { FunctionName: { Ref: notifier } } });
  });

  test("the MQTT publisher's iterator age on the table's stream: the same 5 minutes", () => {
    const alarm = alarms.MqttIteratorAge;
    expectRule(alarm, 300_000, 1);
    expect(singleMetric(alarm)).toMatchObject({ Metric: { Namespace: 'AWS/Lambda', MetricName: 'IteratorAge' }, Stat: 'Maximum', Period: 300, dimensions: { FunctionName: { Ref: mqttPublisher } } });
  });

  test('without MQTT, none of its alarms', () => {
    const without = Object.keys(alarmsOf(synth({ mqtt: false }).toJSON().Resources));
    expect(without.filter((name) => name.startsWith('Mqtt'))).toEqual([]);
    expect(without).toHaveLength(Object.keys(alarms).length - 5);
  });

  test('any message in the dead-letter or the stream-failure queue', () => {
    for (const [name, queueName] of [['WebhookDeadLetters', 'DeadLetterQueue'], ['WebhookStreamFailures', 'StreamFailureQueue']]) {
      expectRule(alarms[name], 1, 1);
      expect(singleMetric(alarms[name])).toMatchObject({
        Metric: { Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible' },
        Stat: 'Maximum',
        Period: 300,
        dimensions: { QueueName: { 'Fn::GetAtt': [queue(queueName), 'QueueName'] } },
      });
    }
  });

  test("the retry queue's oldest message: 900 s, beyond SQS's longest delay", () => {
    const alarm = alarms.WebhookRetryAge;
    expectRule(alarm, 900, 1);
    expect(singleMetric(alarm)).toMatchObject({
      Metric: { Namespace: 'AWS/SQS', MetricName: 'ApproximateAgeOfOldestMessage' },
      Stat: 'Maximum',
      Period: 300,
      dimensions: { QueueName: { 'Fn::GetAtt': [queue('RetryQueue'), 'QueueName'] } },
    });
  });

  test("the table's throttled requests and system errors: any, summed over the operations the functions use, each filled with 0", () => {
    for (const [name, metricName, prefix, operations] of [
      ['TableThrottles', 'ThrottledRequests', 'throttled', TABLE_OPERATIONS],
      ['TableSystemErrors', 'SystemErrors', 'errors', [...TABLE_OPERATIONS, 'GetRecords']],
    ] as const) {
      const alarm = alarms[name];
      expectRule(alarm, 1, 1);
      const { expression: math, used } = expression(alarm);
      const ids = operations.map((operation) => `${prefix}_${operation.toLowerCase()}`);
      expect(math).toBe(ids.map((id) => `FILL(${id}, 0)`).join(' + '));
      expect(used).toEqual(
        Object.fromEntries(
          operations.map((operation, i) => [ids[i], { namespace: 'AWS/DynamoDB', name: metricName, stat: 'Sum', period: 300, dimensions: { TableName: { Ref: table }, Operation: operation } }]),
        ),
      );
    }
    // The operations are those the route table grants: a new one would go unwatched.
    expect([...new Set(RESOURCES.flatMap((resource) => resource.tableActions))].map((action) => action.replace('dynamodb:', '')).sort()).toEqual([...TABLE_OPERATIONS].sort());
  });

  test('thresholds from settings', () => {
    const changed = alarmsOf(
      synth({ monitoring: { serverErrorRatePercent: 2.5, minRequests: 100, p99LatencyMs: 1500, functionErrors: 5, iteratorAgeMs: 60_000, retryAgeSeconds: 1800, tokensRefused: 40 } }).toJSON().Resources,
    );
    expect(changed.Api5xxRate.Threshold).toBe(2.5);
    expect(expression(changed.Api5xxRate).expression).toContain('>= 100,');
    expect(changed.ApiP99Latency.Threshold).toBe(1500);
    expect(changed.EventsErrors.Threshold).toBe(5);
    expect(changed.WebhooksErrors.Threshold).toBe(5);
    expect(changed.EventsThrottles.Threshold).toBe(1);
    expect(changed.WebhookIteratorAge.Threshold).toBe(60_000);
    expect(changed.MqttIteratorAge.Threshold).toBe(60_000);
    expect(changed.MqttPublisherErrors.Threshold).toBe(5);
    expect(changed.WebhookRetryAge.Threshold).toBe(1800);
    expect(changed.TokensRefused.Threshold).toBe(40);
  });

  test('token requests refused: 100 in 5 minutes, from the metric the token function writes', () => {
    const alarm = alarms.TokensRefused;
    expectRule(alarm, 100, 1);
    expect(singleMetric(alarm)).toEqual({ Metric: { Namespace: 'OpenADR3VTN', MetricName: 'TokensRefused' }, Stat: 'Sum', Period: 300, dimensions: { Service: 'Test' } });
    expect(written).toContainEqual({ namespace: 'OpenADR3VTN', name: 'TokensRefused', dimensions: ['Service'], service: 'Test' });
  });
});

describe('the alarm topic', () => {
  test('encrypted with a rotated key that CloudWatch alarms of this account may use; TLS only; CloudWatch may publish', () => {
    const key = resources[topic].Properties.KmsMasterKeyId['Fn::GetAtt'][0];
    expect(resources[key].Properties.EnableKeyRotation).toBe(true);
    const keyStatement = resources[key].Properties.KeyPolicy.Statement.find((statement: any) => statement.Principal.Service === 'cloudwatch.amazonaws.com');
    expect(keyStatement).toMatchObject({ Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } });
    const policy = resources[idOf('AWS::SNS::TopicPolicy', 'MonitoringAlarmTopicPolicy')].Properties;
    expect(policy.Topics).toEqual([{ Ref: topic }]);
    expect(policy.PolicyDocument.Statement).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        expect.objectContaining({ Effect: 'Allow', Action: 'sns:Publish', Principal: { Service: 'cloudwatch.amazonaws.com' }, Resource: { Ref: topic } }),
      ]),
    );
    template.hasOutput('AlarmTopicArn', { Value: { Ref: topic } });
  });

  test('an e-mail subscription only when an address is given', () => {
    expect(template.findResources('AWS::SNS::Subscription')).toEqual({});
    const withEmail = synth({ monitoring: { email: 'ops@example.com' } });
    const subscriptions = Object.values(withEmail.findResources('AWS::SNS::Subscription'));
    expect(subscriptions.map((subscription) => subscription.Properties)).toEqual([{ Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: topic } }]);
  });
});

describe('the dashboard', () => {
  test('one, named after the stack, showing every alarm and the same signals', () => {
    const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0].Properties.DashboardName).toBe('Test');
    const body = JSON.stringify(dashboards[0].Properties.DashboardBody);
    const alarmIds = Object.keys(resources).filter((id) => resources[id].Type === 'AWS::CloudWatch::Alarm');
    for (const id of alarmIds) expect(body).toContain(`"${id}","Arn"`);
    for (const metric of ['5xx', 'Count', 'Latency', 'Errors', 'Throttles', 'IteratorAge', 'ApproximateNumberOfMessagesVisible', 'ApproximateAgeOfOldestMessage', 'ThrottledRequests', 'SystemErrors']) {
      expect(body).toContain(`\\"${metric}\\"`);
    }
    expect(body).toContain('IF(FILL(requests, 0) >= 20');
    for (const id of Object.values(functions)) expect(body).toContain(`{"Ref":"${id}"}`);
  });
});

describe('business metrics', () => {
  const dashboardBody = () => {
    const dashboard = Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0];
    const parts: unknown[] = dashboard.Properties.DashboardBody['Fn::Join'][1];
    return JSON.parse(parts.map((part) => (typeof part === 'string' ? part : 'TOKEN')).join(''));
  };

  test('every function writes them, on, in the namespace the dashboard reads, with the stack as Service', () => {
    for (const id of Object.values(functions)) {
      expect(resources[id].Properties.Environment.Variables).toMatchObject({ VTN_METRICS: 'on', VTN_METRICS_NAMESPACE: 'OpenADR3VTN', VTN_METRICS_SERVICE: 'Test' });
    }
  });

  test('the dashboard graphs each of them by exactly the namespace and dimensions the code writes', () => {
    const graphed: { namespace: string; name: string; dimensions: string[]; service: string }[] = [];
    for (const widget of dashboardBody().widgets) {
      for (const metric of widget.properties?.metrics ?? []) {
        const [first] = metric;
        if (typeof first === 'object' && first.expression?.startsWith('SEARCH')) {
          const [, namespace, set, name, service] = /^SEARCH\('\{([^,]+),([^}]+)\} MetricName="([^"]+)" Service="([^"]+)"', 'Sum', 300\)$/.exec(first.expression)!;
          graphed.push({ namespace, name, dimensions: set.split(',').sort(), service });
        } else if (first === 'OpenADR3VTN') {
          const [namespace, name, ...rest] = metric.filter((part: unknown) => typeof part === 'string');
          const dimensions = Object.fromEntries(rest.flatMap((part: string, i: number) => (i % 2 === 0 ? [[part, rest[i + 1]]] : [])));
          graphed.push({ namespace, name, dimensions: Object.keys(dimensions).sort(), service: dimensions.Service });
        }
      }
    }
    expect(new Set(graphed.map((metric) => metric.name))).toEqual(new Set(Object.keys(METRICS)));
    for (const metric of graphed) expect(written).toContainEqual(metric);
    // Every dimension set written is graphed, alone or by a search.
    for (const set of written) expect(graphed).toContainEqual(set);
  });
});

describe('context', () => {
  const read = (values: Record<string, string>) => vtnStackProps((key) => values[key]);

  test('reads the alarm settings, none by default', () => {
    expect(read({}).monitoring).toEqual({});
    expect(
      read({
        alarmEmail: 'ops@example.com',
        alarm5xxRatePercent: '2.5',
        alarmMinRequests: '50',
        alarmP99LatencyMs: '1500',
        alarmFunctionErrors: '3',
        alarmIteratorAgeMs: '60000',
        alarmRetryAgeSeconds: '1800',
        alarmTokensRefused: '500',
      }).monitoring,
    ).toEqual({ email: 'ops@example.com', serverErrorRatePercent: 2.5, minRequests: 50, p99LatencyMs: 1500, functionErrors: 3, iteratorAgeMs: 60_000, retryAgeSeconds: 1800, tokensRefused: 500 });
  });

  test('refuses bad values, naming the key', () => {
    expect(() => read({ alarmEmail: 'ops' })).toThrow(/alarmEmail must be one e-mail address/);
    expect(() => read({ alarmEmail: 'a@example.com,b@example.com' })).toThrow(ContextError);
    expect(() => read({ alarm5xxRatePercent: '0' })).toThrow(/alarm5xxRatePercent must be a number above 0 and at most 100/);
    expect(() => read({ alarm5xxRatePercent: 'five' })).toThrow(/alarm5xxRatePercent/);
    expect(() => read({ alarm5xxRatePercent: '101' })).toThrow(/alarm5xxRatePercent/);
    expect(() => read({ alarmMinRequests: '0' })).toThrow(/alarmMinRequests must be 1 to/);
    expect(() => read({ alarmP99LatencyMs: '30001' })).toThrow(/alarmP99LatencyMs must be 1 to 30000/);
    expect(() => read({ alarmFunctionErrors: '1.5' })).toThrow(/alarmFunctionErrors must be a whole number/);
    expect(() => read({ alarmIteratorAgeMs: '3600001' })).toThrow(/alarmIteratorAgeMs must be 1000 to 3600000/);
    expect(() => read({ alarmRetryAgeSeconds: '30' })).toThrow(/alarmRetryAgeSeconds must be 60 to/);
    expect(() => read({ alarmTokensRefused: '0' })).toThrow(/alarmTokensRefused must be 1 to/);
  });

  test('the defaults are the documented ones', () => {
    expect(MONITORING_DEFAULTS).toEqual({ serverErrorRatePercent: 5, minRequests: 20, p99LatencyMs: 3000, functionErrors: 1, iteratorAgeMs: 300_000, retryAgeSeconds: 900, tokensRefused: 100 });
  });
});

describe('cdk-nag AwsSolutions', () => {
  test('passes with the monitoring, with and without an e-mail subscription', () => {
    for (const monitoring of [{}, { email: 'ops@example.com' }]) {
      const app = testApp();
      new VtnStack(app, 'Nagged', { stage: 'test', monitoring });
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      expect(() => app.synth()).not.toThrow();
    }
  });
});
