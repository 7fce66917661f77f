import { App, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { build } from 'esbuild';
import { isBuiltin } from 'node:module';
import { TABLE_LAYOUT } from '../../lambdas/core/storage/dynamo/table-layout';
import { BASE_PATH, RESOURCES } from '../../lambdas/routes';
import { entryPath, esbuildOptions } from '../../lib/bundling';
import { ContextError, vtnStackProps } from '../../lib/context';
import { VtnStack, type VtnStackProps } from '../../lib/vtn-stack';

// The template is what is asserted; bundling the functions here would only slow the tests down.
const testApp = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });

function synth(props: Partial<VtnStackProps> = {}) {
  const app = testApp();
  const stack = new VtnStack(app, 'Test', { stage: 'test', ...props });
  return { stack, template: Template.fromStack(stack) };
}

const { template } = synth();

/** The logical id of each resource entry's function, from its handler's code location. */
function functionIds(): Record<string, string> {
  const functions = template.findResources('AWS::Lambda::Function', { Properties: { Runtime: 'nodejs22.x' } });
  const ids: Record<string, string> = {};
  for (const resource of RESOURCES) {
    const id = Object.keys(functions).find((logicalId) => logicalId.startsWith(`Api${resource.name.charAt(0).toUpperCase()}${resource.name.slice(1)}Function`));
    if (!id) throw new Error(`no function for ${resource.name}`);
    ids[resource.name] = id;
  }
  return ids;
}

describe('the table', () => {
  test('key schema and the nine GSIs exactly, all projecting ALL', () => {
    const tables = template.findResources('AWS::DynamoDB::Table');
    expect(Object.keys(tables)).toHaveLength(1);
    const table = Object.values(tables)[0].Properties;
    expect(table.KeySchema).toEqual([
      { AttributeName: 'objectType', KeyType: 'HASH' },
      { AttributeName: 'id', KeyType: 'RANGE' },
    ]);
    const indexes = Object.fromEntries(
      table.GlobalSecondaryIndexes.map((index: { IndexName: string; KeySchema: unknown; Projection: unknown }) => [
        index.IndexName,
        { keys: index.KeySchema, projection: index.Projection },
      ]),
    );
    expect(indexes).toEqual({
      'programName-index': { keys: [{ AttributeName: 'objectType', KeyType: 'HASH' }, { AttributeName: 'programName', KeyType: 'RANGE' }], projection: { ProjectionType: 'ALL' } },
      'programID-index': { keys: [{ AttributeName: 'programID', KeyType: 'HASH' }, { AttributeName: 'id', KeyType: 'RANGE' }], projection: { ProjectionType: 'ALL' } },
      'objectType-eventStart-index': { keys: [{ AttributeName: 'objectType', KeyType: 'HASH' }, { AttributeName: 'eventStart', KeyType: 'RANGE' }], projection: { ProjectionType: 'ALL' } },
      'programID-eventStart-index': { keys: [{ AttributeName: 'programID', KeyType: 'HASH' }, { AttributeName: 'eventStart', KeyType: 'RANGE' }], projection: { ProjectionType: 'ALL' } },
      'objectType-eventEnd-index': { keys: [{ AttributeName: 'objectType', KeyType: 'HASH' }, { AttributeName: 'eventEnd', KeyType: 'RANGE' }], projection: { ProjectionType: 'ALL' } },
      'report-program-index': { keys: [{ AttributeName: 'reportProgram', KeyType: 'HASH' }, { AttributeName: 'reportProgramSort', KeyType: 'RANGE' }], projection: { ProjectionType: 'ALL' } },
      'report-event-index': { keys: [{ AttributeName: 'reportEvent', KeyType: 'HASH' }, { AttributeName: 'reportEventSort', KeyType: 'RANGE' }], projection: { ProjectionType: 'ALL' } },
      'report-client-index': { keys: [{ AttributeName: 'reportClient', KeyType: 'HASH' }, { AttributeName: 'reportClientSort', KeyType: 'RANGE' }], projection: { ProjectionType: 'ALL' } },
      'report-clientName-index': { keys: [{ AttributeName: 'reportClientName', KeyType: 'HASH' }, { AttributeName: 'reportClientNameSort', KeyType: 'RANGE' }], projection: { ProjectionType: 'ALL' } },
    });
    expect(Object.keys(indexes).sort()).toEqual(Object.values(TABLE_LAYOUT.indexes).map((index) => index.indexName).sort());
    expect(table.AttributeDefinitions).toEqual(
      expect.arrayContaining(['objectType', 'id', 'programName', 'programID', 'eventStart', 'eventEnd'].map((name) => ({ AttributeName: name, AttributeType: 'S' }))),
    );
  });

  test('on-demand, point-in-time recovery, retained and protected by default', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        TableName: 'openadr3-vtn-test',
      }),
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('removes tombstones of deleted objects by time to live', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  test('a throwaway stage can be destroyed with the stack', () => {
    const destroyable = synth({ removalPolicy: RemovalPolicy.DESTROY }).template;
    destroyable.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete', Properties: Match.objectLike({ DeletionProtectionEnabled: false }) });
  });
});

describe('the functions', () => {
  test('one per resource entry: Node 22 on arm64, JSON logs with retention, table and cache settings', () => {
    const ids = functionIds();
    expect(Object.keys(ids)).toHaveLength(RESOURCES.length);
    for (const [name, id] of Object.entries(ids)) {
      const fn = template.toJSON().Resources[id].Properties;
      expect(fn).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Handler: 'index.handler', LoggingConfig: { LogFormat: 'JSON' } });
      const signing = name === 'auth' ? ['VTN_TOKEN_KMS_KEY_ID'] : [];
      const challenges = name === 'subscriptions' ? ['VTN_WEBHOOK_TIMEOUT_MS'] : [];
      // The broker it advertises (test/infra/mqtt.test.ts).
      const mqtt = name === 'notifiers' ? ['VTN_MQTT_URIS', 'VTN_MQTT_TOPIC_PREFIX'] : [];
      expect(Object.keys(fn.Environment.Variables).sort()).toEqual(
        ['TABLE_NAME', 'VTN_CACHE_COHERENCE_MS', 'VTN_EVENT_CACHE_TTL_MS', 'VTN_METRICS', 'VTN_METRICS_NAMESPACE', 'VTN_METRICS_SERVICE', 'VTN_PROGRAM_CACHE_TTL_MS', 'VTN_TOKEN_ISSUER', 'VTN_TOKEN_PUBLIC_KEY', ...signing, ...challenges, ...mqtt].sort(),
      );
      // Echo challenges wait up to the webhook timeout (10 s by default) within the request.
      expect(fn.Timeout).toBe(name === 'subscriptions' ? 20 : 10);
      if (name === 'subscriptions') expect(fn.Environment.Variables.VTN_WEBHOOK_TIMEOUT_MS).toBe('10000');
      expect(fn.Environment.Variables.VTN_PROGRAM_CACHE_TTL_MS).toBe('3600000');
    }
    const logGroups = template.findResources('AWS::Logs::LogGroup');
    expect(Object.values(logGroups).every((group) => group.Properties.RetentionInDays === 30)).toBe(true);
    // Every function, CDK's own custom-resource framework included, logs to one of those groups.
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
      expect(Object.keys(logGroups)).toContain(fn.Properties.LoggingConfig?.LogGroup?.Ref);
    }
  });

  test("each function's policy allows only its own actions, only on this table and its indexes", () => {
    const ids = functionIds();
    const policies = template.findResources('AWS::IAM::Policy');
    for (const resource of RESOURCES) {
      const roleId = template.toJSON().Resources[ids[resource.name]].Properties.Role['Fn::GetAtt'][0];
      const attached = Object.values(policies).filter((policy) => policy.Properties.Roles.some((role: { Ref: string }) => role.Ref === roleId));
      // The token function's kms:Sign is asserted with the key (test/infra/auth.test.ts).
      const statements = attached.flatMap((policy) => policy.Properties.PolicyDocument.Statement).filter((statement) => !JSON.stringify(statement.Action).includes('kms:'));
      if (resource.tableActions.length === 0) {
        expect(statements).toEqual([]);
        continue;
      }
      expect(statements).toHaveLength(1);
      const [statement] = statements;
      expect(statement.Effect).toBe('Allow');
      expect([statement.Action].flat().sort()).toEqual([...resource.tableActions].sort());
      const resources = statement.Resource.map((arn: unknown) => JSON.stringify(arn));
      expect(resources.every((arn: string) => /StorageTable\w+","Arn"/.test(arn))).toBe(true);
      expect(resources.some((arn: string) => arn.includes('*'))).toBe(false);
      const indexes = resources.map((arn: string) => /\/index\/([\w-]+)/.exec(arn)?.[1]).filter(Boolean);
      expect(indexes.sort()).toEqual(Object.values(TABLE_LAYOUT.indexes).map((index) => index.indexName).sort());
    }
  });
});

describe('the HTTP API', () => {
  test('every route of the route table goes to its function; unknown paths to the fallback', () => {
    const ids = functionIds();
    const integrations = template.findResources('AWS::ApiGatewayV2::Integration');
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((route) => route.Properties);
    const targetFunction = (target: unknown) => {
      const integrationId = JSON.stringify(target).match(/"Ref":"([^"]+)"/)?.[1] as string;
      const uri = integrations[integrationId].Properties.IntegrationUri;
      return uri['Fn::GetAtt'][0] as string;
    };
    const wired = Object.fromEntries(routes.map((route) => [route.RouteKey, targetFunction(route.Target)]));
    const expected: Record<string, string> = { $default: ids.notifiers };
    for (const resource of RESOURCES) for (const path of resource.paths) expected[`ANY ${BASE_PATH}${path}`] = ids[resource.name];
    expect(wired).toEqual(expected);
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', { PayloadFormatVersion: '2.0', IntegrationType: 'AWS_PROXY' });
  });

  test('throttling and access logs on the default stage; no CORS unless configured', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 },
      AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
    expect(template.findResources('AWS::ApiGatewayV2::Api', { Properties: { CorsConfiguration: Match.anyValue() } })).toEqual({});
    const withCors = synth({ corsOrigins: ['https://ui.example.com'] }).template;
    withCors.hasResourceProperties('AWS::ApiGatewayV2::Api', { CorsConfiguration: Match.objectLike({ AllowOrigins: ['https://ui.example.com'] }) });
  });

  test('outputs the API URL and the table name', () => {
    template.hasOutput('ApiUrl', { Value: Match.objectLike({ 'Fn::Join': Match.anyValue() }) });
    expect(JSON.stringify(template.toJSON().Outputs.ApiUrl.Value)).toContain(BASE_PATH);
    template.hasOutput('TableName', Match.anyValue());
  });
});

describe('webhook notifications', () => {
  const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: any }>;
  const idOf = (type: string, prefix: string) => Object.keys(resources).find((id) => resources[id].Type === type && id.startsWith(prefix)) as string;
  const notifier = idOf('AWS::Lambda::Function', 'NotificationsWebhooksFunction');

  test('the table streams new and old images', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', { StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' } });
  });

  test('a notifier function on Node 22 arm64 knows its queues', () => {
    const fn = resources[notifier].Properties;
    expect(fn).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'] });
    expect(Object.keys(fn.Environment.Variables)).toEqual(expect.arrayContaining(['TABLE_NAME', 'WEBHOOK_RETRY_QUEUE_URL', 'WEBHOOK_DEAD_LETTER_QUEUE_URL']));
  });

  test('the stream mapping bisects failing batches, retries a bounded number of times and keeps what still fails', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: notifier },
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^StorageTable'), 'StreamArn'] },
      StartingPosition: 'LATEST',
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 3,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [idOf('AWS::SQS::Queue', 'NotificationsStreamFailureQueue'), 'Arn'] } } },
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ dynamodb: { Keys: { objectType: { S: ['PROGRAM', 'EVENT', 'REPORT', 'SUBSCRIPTION', 'VEN', 'RESOURCE'] } } } }) }] },
    });
  });

  test('failed deliveries go through a retry queue that ends in the dead-letter queue; all queues encrypted', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: notifier },
      EventSourceArn: { 'Fn::GetAtt': [idOf('AWS::SQS::Queue', 'NotificationsRetryQueue'), 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(resources[idOf('AWS::SQS::Queue', 'NotificationsRetryQueue')].Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [idOf('AWS::SQS::Queue', 'NotificationsDeadLetterQueue'), 'Arn'] },
      maxReceiveCount: 5,
    });
    const queues = Object.values(resources).filter((resource) => resource.Type === 'AWS::SQS::Queue');
    expect(queues).toHaveLength(3);
    expect(queues.every((queue) => queue.Properties.SqsManagedSseEnabled === true)).toBe(true);
  });

  test('the notifier may only read the table and, for grants, its parent index (no write), and send to its queues', () => {
    const roleId = resources[notifier].Properties.Role['Fn::GetAtt'][0];
    const statements = Object.values(resources)
      .filter((resource) => resource.Type === 'AWS::IAM::Policy' && resource.Properties.Roles.some((role: { Ref: string }) => role.Ref === roleId))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    const tableStatements = statements.filter((statement) => JSON.stringify(statement.Action).includes('dynamodb:') && !JSON.stringify(statement.Resource).includes('Stream'));
    const tableActions = tableStatements.flatMap((statement) => [statement.Action].flat()).filter((action: string) => action !== 'dynamodb:ListStreams');
    expect(tableActions.sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Query']);
    const indexes = tableStatements.map((statement) => JSON.stringify(statement.Resource)).filter((resource) => resource.includes('/index/'));
    expect(indexes).toEqual([expect.stringContaining(`/index/${TABLE_LAYOUT.indexes.programID.indexName}`)]);
    const writes = statements.flatMap((statement) => [statement.Action].flat()).filter((action: string) => /dynamodb:(Put|Update|Delete|BatchWrite)/.test(action));
    expect(writes).toEqual([]);
  });
});

describe('context', () => {
  test('reads and checks every setting', () => {
    const props = vtnStackProps((key) => ({ stage: 'prod', destroyOnRemoval: 'false', eventCacheTtlMs: '60000', corsOrigins: 'https://a, https://b' })[key]);
    expect(props).toMatchObject({ stage: 'prod', removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE, eventCacheTtlMs: 60000, corsOrigins: ['https://a', 'https://b'] });
    expect(() => vtnStackProps((key) => (key === 'eventCacheTtlMs' ? 'soon' : undefined))).toThrow(ContextError);
    expect(() => vtnStackProps((key) => (key === 'destroyOnRemoval' ? 'yes' : undefined))).toThrow(/destroyOnRemoval/);
  });
});

describe('cdk-nag AwsSolutions', () => {
  function nagged(extra: (stack: VtnStack) => void = () => undefined) {
    const app = testApp();
    const stack = new VtnStack(app, 'Nagged', { stage: 'test' });
    extra(stack);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    return () => app.synth();
  }

  test('passes: every finding is fixed or acknowledged with its reason', () => {
    expect(nagged()).not.toThrow();
  });

  test('is live: a wildcard grant added to a function fails the synth', () => {
    const withWildcard = nagged((stack) =>
      stack.api.functions.events.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:*'], resources: ['*'] })),
    );
    expect(withWildcard).toThrow(/AwsSolutions-IAM5\[Action::dynamodb:\*\]/);
  });
});

describe('the first deploy and after', () => {
  const resourcesOf = (built: Template) => built.toJSON().Resources as Record<string, { Type: string; Properties: any; DeletionPolicy?: string; UpdateReplacePolicy?: string }>;

  test('the table and every log group are kept when the stack is deleted or replaces them, deleted when the deploy that created them rolls back', () => {
    const kept = Object.values(resourcesOf(template)).filter((resource) => ['AWS::DynamoDB::Table', 'AWS::Logs::LogGroup'].includes(resource.Type));
    expect(kept.length).toBeGreaterThan(1);
    for (const resource of kept) expect([resource.DeletionPolicy, resource.UpdateReplacePolicy]).toEqual(['RetainExceptOnCreate', 'Retain']);
  });

  test('firstDeploy creates the table without deletion protection, so that its rollback can delete it, and warns to deploy again', () => {
    const first = synth({ firstDeploy: true });
    first.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'RetainExceptOnCreate',
      Properties: Match.objectLike({ DeletionProtectionEnabled: false, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
    });
    Annotations.fromStack(first.stack).hasWarning('/Test/Storage', Match.stringLikeRegexp('deploy again without firstDeploy'));
    Annotations.fromStack(synth().stack).hasNoWarning('*', Match.stringLikeRegexp('firstDeploy'));
  });

  test('tableIndexes declares the first indexes of the layout only, for a table that gains one per deploy, and warns', () => {
    const staged = synth({ tableIndexes: 6 });
    const [table] = Object.values(staged.template.findResources('AWS::DynamoDB::Table'));
    const names = table.Properties.GlobalSecondaryIndexes.map((index: { IndexName: string }) => index.IndexName);
    expect(names).toEqual(Object.values(TABLE_LAYOUT.indexes).slice(0, 6).map((index) => index.indexName));
    Annotations.fromStack(staged.stack).hasWarning('/Test/Storage', Match.stringLikeRegexp('declares 6 of its'));
    Annotations.fromStack(synth().stack).hasNoWarning('*', Match.stringLikeRegexp('indexes; the queries'));
    expect(vtnStackProps((key) => (key === 'tableIndexes' ? '6' : undefined)).tableIndexes).toBe(6);
    expect(() => vtnStackProps((key) => (key === 'tableIndexes' ? 'six' : undefined))).toThrow(/tableIndexes/);
  });

  test("the table's logical id, which the README's import command names, does not change", () => {
    expect(Object.keys(template.findResources('AWS::DynamoDB::Table'))).toEqual(['StorageTableB43FDCE7']);
  });

  test('the access logs go to a group under /aws/vendedlogs/, named by stack and unique to this stack', () => {
    const [id, group] = Object.entries(resourcesOf(template)).find(([, resource]) => resource.Type === 'AWS::Logs::LogGroup' && resource.Properties.LogGroupName)!;
    const [prefix, tail] = group.Properties.LogGroupName['Fn::Join'][1];
    expect(prefix).toBe('/aws/vendedlogs/apigateway/Test-access-');
    expect(JSON.stringify(tail)).toContain('AWS::StackId');
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { AccessLogSettings: Match.objectLike({ DestinationArn: { 'Fn::GetAtt': [id, 'Arn'] } }) });
  });

  test("every entry is bundled with the AWS SDK inside: nothing but Node built-ins is left to the runtime; no bundle carries Swagger UI's files", async () => {
    for (const entry of [...RESOURCES.map((resource) => resource.name), 'webhooks', 'token-public-key', 'mqtt-authorizer', 'mqtt-publisher']) {
      const { metafile } = await build({ ...esbuildOptions(entryPath(entry)), outfile: 'index.js', write: false, metafile: true, logLevel: 'silent' });
      const left = Object.values(metafile.outputs).flatMap((output) => output.imports.filter((used) => used.external).map((used) => used.path));
      expect({ entry, left: left.filter((path) => !isBuiltin(path)) }).toEqual({ entry, left: [] });
      const swaggerUi = Object.keys(metafile.inputs).filter((input) => /swagger-ui-dist\/swagger-ui(-bundle\.js|\.css)$/.test(input));
      expect({ entry, swaggerUi }).toEqual({ entry, swaggerUi: [] });
    }
  });

  test('source maps carry mappings but no sources; no function has Node parse them at start (logged stacks are mapped instead)', async () => {
    const { outputFiles } = await build({ ...esbuildOptions(entryPath('events')), outfile: 'index.js', write: false, logLevel: 'silent' });
    const map = JSON.parse(outputFiles.find((file) => file.path.endsWith('.map'))!.text);
    expect(map.mappings.length).toBeGreaterThan(0);
    expect(map.sourcesContent ?? []).toEqual([]);
    const functions = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Runtime: 'nodejs22.x' } }));
    expect(functions.length).toBeGreaterThan(RESOURCES.length);
    expect(functions.filter((fn) => fn.Properties.Environment?.Variables?.NODE_OPTIONS !== undefined)).toEqual([]);
  });

  test("the bundles take AWS credentials from the environment alone: the SDK's default chain and its STS and SSO clients are left out", async () => {
    const { metafile } = await build({ ...esbuildOptions(entryPath('events')), outfile: 'index.js', write: false, metafile: true, logLevel: 'silent' });
    const inputs = Object.keys(metafile.inputs);
    expect(inputs.filter((input) => /@aws-sdk\/(credential-provider-(node|ini|sso|process|web-identity)|nested-clients)\//.test(input))).toEqual([]);
    expect(inputs.some((input) => input.endsWith('lambdas/core/lambda-credentials.ts'))).toBe(true);
  });

  test('the notifier has no reserved concurrency unless configured; with it, the retry queue may use half', () => {
    const notifierOf = (built: Template) => Object.entries(resourcesOf(built)).find(([id, resource]) => resource.Type === 'AWS::Lambda::Function' && id.startsWith('NotificationsWebhooks'))!;
    const sqsMapping = (built: Template) => Object.values(resourcesOf(built)).find((resource) => resource.Type === 'AWS::Lambda::EventSourceMapping' && JSON.stringify(resource.Properties.EventSourceArn).includes('RetryQueue'))!;
    expect(Object.values(resourcesOf(template)).filter((resource) => resource.Properties?.ReservedConcurrentExecutions !== undefined)).toEqual([]);
    expect(sqsMapping(template).Properties.ScalingConfig).toBeUndefined();

    const reserved = synth({ notifierConcurrency: 10 }).template;
    expect(notifierOf(reserved)[1].Properties.ReservedConcurrentExecutions).toBe(10);
    expect(sqsMapping(reserved).Properties).toMatchObject({ FunctionName: { Ref: notifierOf(reserved)[0] }, ScalingConfig: { MaximumConcurrency: 5 } });
    expect(Object.values(resourcesOf(reserved)).filter((resource) => resource.Properties?.ReservedConcurrentExecutions !== undefined)).toHaveLength(1);
  });

  test('the HTTP API is named after its stack, so each stage has its own name', () => {
    const apiName = (stage: string) => {
      const stack = new VtnStack(testApp(), `OpenAdr3Vtn-${stage}`, { stage });
      return Object.values(Template.fromStack(stack).findResources('AWS::ApiGatewayV2::Api'))[0].Properties.Name;
    };
    expect([apiName('dev'), apiName('prod')]).toEqual(['OpenAdr3Vtn-dev', 'OpenAdr3Vtn-prod']);
  });

  test('context: firstDeploy is true or false', () => {
    expect(vtnStackProps((key) => (key === 'firstDeploy' ? 'true' : undefined)).firstDeploy).toBe(true);
    expect(vtnStackProps(() => undefined).firstDeploy).toBe(false);
    expect(() => vtnStackProps((key) => (key === 'firstDeploy' ? 'yes' : undefined))).toThrow(/firstDeploy/);
  });

  test('context: webhookTimeoutMs is 1 to 30 s, and reaches the notifier and the subscription function', () => {
    expect(vtnStackProps((key) => (key === 'webhookTimeoutMs' ? '20000' : undefined)).webhookTimeoutMs).toBe(20000);
    expect(vtnStackProps(() => undefined).webhookTimeoutMs).toBeUndefined();
    expect(() => vtnStackProps((key) => (key === 'webhookTimeoutMs' ? '31000' : undefined))).toThrow(/webhookTimeoutMs must be 1000 to 30000/);
    const functions = Object.values(synth({ webhookTimeoutMs: 20_000 }).template.findResources('AWS::Lambda::Function')).map((fn) => fn.Properties);
    const timeouts = functions.filter((fn) => fn.Environment?.Variables?.VTN_WEBHOOK_TIMEOUT_MS === '20000').map((fn) => fn.Timeout);
    // The notifier's, and the subscription function's, within API Gateway's 30 s.
    expect(timeouts.sort()).toEqual([29, 60]);
  });

  test('context: notifierConcurrency is a whole number of at least 4', () => {
    expect(vtnStackProps((key) => (key === 'notifierConcurrency' ? '20' : undefined)).notifierConcurrency).toBe(20);
    expect(vtnStackProps(() => undefined).notifierConcurrency).toBeUndefined();
    expect(() => vtnStackProps((key) => (key === 'notifierConcurrency' ? '3' : undefined))).toThrow(/notifierConcurrency must be 4 to 2001/);
    expect(() => vtnStackProps((key) => (key === 'notifierConcurrency' ? '2002' : undefined))).toThrow(ContextError);
    expect(vtnStackProps((key) => (key === 'notifierConcurrency' ? '2001' : undefined)).notifierConcurrency).toBe(2001);
    expect(() => vtnStackProps((key) => (key === 'notifierConcurrency' ? 'many' : undefined))).toThrow(ContextError);
  });

  test('context: samLocal declares the database endpoint and VTN_AUTH on every function, for sam local to set; without it, none', () => {
    expect(vtnStackProps((key) => (key === 'samLocal' ? 'true' : undefined)).samLocal).toBe(true);
    expect(vtnStackProps(() => undefined).samLocal).toBe(false);
    expect(() => vtnStackProps((key) => (key === 'samLocal' ? 'yes' : undefined))).toThrow(/samLocal/);
    const ours = (props: Partial<VtnStackProps>) =>
      Object.values(synth(props).template.findResources('AWS::Lambda::Function'))
        .map((fn) => fn.Properties.Environment?.Variables ?? {})
        .filter((variables) => 'TABLE_NAME' in variables);
    const local = ours({ samLocal: true });
    // Beside the API's: the webhook notifier, the public-key reader, the MQTT authorizer and publisher.
    expect(local).toHaveLength(RESOURCES.length + 4);
    for (const variables of local) expect(variables).toMatchObject({ DYNAMODB_ENDPOINT: 'http://host.docker.internal:8000', VTN_AUTH: 'on' });
    for (const variables of ours({})) {
      expect(variables).not.toHaveProperty('DYNAMODB_ENDPOINT');
      expect(variables).not.toHaveProperty('VTN_AUTH');
    }
  });
});
