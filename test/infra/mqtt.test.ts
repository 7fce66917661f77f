import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { TABLE_LAYOUT } from '../../lambdas/core/storage/dynamo/table-layout';
import { ContextError, vtnStackProps } from '../../lib/context';
import { VtnStack, type VtnStackProps } from '../../lib/vtn-stack';

// The template is what is asserted; bundling the functions here would only slow the tests down.
const testApp = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });
function synth(props: Partial<VtnStackProps> = {}) {
  const stack = new VtnStack(testApp(), 'Test', { stage: 'test', ...props });
  return Template.fromStack(stack).toJSON().Resources as Resources;
}

type Resources = Record<string, { Type: string; Properties: any; DeletionPolicy?: string; DependsOn?: string[] }>;
const resources = synth();
const idsOf = (type: string, from: Resources = resources) => Object.keys(from).filter((id) => from[id].Type === type);
const idOf = (type: string, prefix: string, from: Resources = resources) => {
  const id = idsOf(type, from).find((key) => key.startsWith(prefix));
  if (!id) throw new Error(`no ${type} ${prefix}`);
  return id;
};
const authorizerFunction = idOf('AWS::Lambda::Function', 'MqttAuthorizerFunction');
const publisherFunction = idOf('AWS::Lambda::Function', 'MqttPublisherFunction');
const notifiersFunction = idOf('AWS::Lambda::Function', 'ApiNotifiersFunction');
const authorizer = idOf('AWS::IoT::Authorizer', 'MqttAuthorizer');
const domain = idOf('AWS::IoT::DomainConfiguration', 'MqttDomain');
const endpointLookup = idOf('Custom::AWS', 'MqttDataEndpoint');
const domainLookup = idOf('Custom::AWS', 'MqttBrokerDomain');

/** Every statement of every policy attached to a role. */
function statementsOfRole(roleId: string, from: Resources = resources): { Effect: string; Action: string | string[]; Resource: unknown }[] {
  return idsOf('AWS::IAM::Policy', from)
    .map((id) => from[id].Properties)
    .filter((policy) => policy.Roles.some((role: { Ref: string }) => role.Ref === roleId))
    .flatMap((policy) => policy.PolicyDocument.Statement);
}
const statementsOf = (functionId: string, from: Resources = resources) => statementsOfRole(from[functionId].Properties.Role['Fn::GetAtt'][0], from);
const actionsOf = (statements: { Action: string | string[] }[]) => statements.flatMap((statement) => [statement.Action].flat());

describe('the authorizer', () => {
  test('an IoT Core authorizer of the function, without token signing, active', () => {
    expect(resources[authorizer].Properties).toEqual({
      AuthorizerName: 'Test-mqtt',
      AuthorizerFunctionArn: { 'Fn::GetAtt': [authorizerFunction, 'Arn'] },
      SigningDisabled: true,
      Status: 'ACTIVE',
    });
  });

  test('IoT Core may invoke the function, for this authorizer and account only', () => {
    const permissions = idsOf('AWS::Lambda::Permission').map((id) => resources[id].Properties).filter((permission) => permission.FunctionName['Fn::GetAtt']?.[0] === authorizerFunction);
    expect(permissions).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [authorizerFunction, 'Arn'] },
        Principal: 'iot.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': [authorizer, 'Arn'] },
        SourceAccount: { Ref: 'AWS::AccountId' },
      },
    ]);
  });

  test('verifies tokens as the API does (public key, issuer), with the topic prefix; 5 s, as IoT Core waits', () => {
    const fn = resources[authorizerFunction].Properties;
    const api = resources[notifiersFunction].Properties.Environment.Variables;
    expect(fn.Environment.Variables).toMatchObject({ VTN_TOKEN_PUBLIC_KEY: api.VTN_TOKEN_PUBLIC_KEY, VTN_TOKEN_ISSUER: api.VTN_TOKEN_ISSUER, VTN_MQTT_TOPIC_PREFIX: 'openadr3' });
    expect(fn.Environment.Variables).not.toHaveProperty('VTN_TOKEN_KMS_KEY_ID');
    expect(fn.Timeout).toBe(5);
  });

  test('may only GetItem on the table (a ven by its clientID claim): no index, no write, no KMS', () => {
    expect(statementsOf(authorizerFunction)).toEqual([{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: { 'Fn::GetAtt': [idOf('AWS::DynamoDB::Table', 'StorageTable'), 'Arn'] } }]);
  });
});

describe('the broker domain', () => {
  test('an AWS-managed domain whose default authorizer is the VTN\'s, not to be overridden; MQTT over TLS with custom authentication', () => {
    expect(resources[domain].Properties).toEqual({
      ServiceType: 'DATA',
      DomainConfigurationStatus: 'ENABLED',
      AuthorizerConfig: { DefaultAuthorizerName: { Ref: authorizer }, AllowAuthorizerOverride: false },
      AuthenticationType: 'CUSTOM_AUTH',
      ApplicationProtocol: 'SECURE_MQTT',
    });
    // IoT Core deletes an AWS-managed domain only 7 days after disabling it.
    expect(resources[domain].DeletionPolicy).toBe('Retain');
  });

  test('its host name is read at deploy time, allowed to read that domain configuration only', () => {
    const lookup = resources[domainLookup].Properties;
    expect(JSON.stringify(lookup.Create)).toContain('describeDomainConfiguration');
    expect(JSON.stringify(lookup.Create)).toContain(domain);
    const policy = idsOf('AWS::IAM::Policy').map((id) => resources[id].Properties).find((candidate) => JSON.stringify(candidate).includes('iot:DescribeDomainConfiguration'));
    expect(policy.PolicyDocument.Statement).toEqual([{ Effect: 'Allow', Action: 'iot:DescribeDomainConfiguration', Resource: { 'Fn::GetAtt': [domain, 'Arn'] } }]);
  });

  test("GET /notifiers advertises mqtts://<that host>:8883 and the prefix; the stack outputs the URI", () => {
    const environment = resources[notifiersFunction].Properties.Environment.Variables;
    expect(environment.VTN_MQTT_URIS).toEqual({ 'Fn::Join': ['', ['mqtts://', { 'Fn::GetAtt': [domainLookup, 'domainName'] }, ':8883']] });
    expect(environment.VTN_MQTT_TOPIC_PREFIX).toBe('openadr3');
    const outputs = Template.fromStack(new VtnStack(testApp(), 'Test', { stage: 'test' })).toJSON().Outputs;
    expect(outputs.MqttBrokerUri.Value).toEqual(environment.VTN_MQTT_URIS);
  });

  test('a custom domain with its certificate: that name is advertised, no look-up, and the configuration goes with the stack', () => {
    const custom = synth({ mqtt: { customDomain: { domainName: 'mqtt.vtn.example.com', certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc-123' } } });
    const configured = custom[idOf('AWS::IoT::DomainConfiguration', 'MqttDomain', custom)];
    expect(configured.Properties).toMatchObject({ DomainName: 'mqtt.vtn.example.com', ServerCertificateArns: ['arn:aws:acm:eu-west-1:123456789012:certificate/abc-123'], AuthenticationType: 'CUSTOM_AUTH' });
    expect(configured.DeletionPolicy).toBeUndefined();
    expect(idsOf('Custom::AWS', custom).filter((id) => id.startsWith('MqttBrokerDomain'))).toEqual([]);
    expect(custom[idOf('AWS::Lambda::Function', 'ApiNotifiersFunction', custom)].Properties.Environment.Variables.VTN_MQTT_URIS).toBe('mqtts://mqtt.vtn.example.com:8883');
  });
});

describe('the publisher', () => {
  test('publishes through the data endpoint, read at deploy time with iot:DescribeEndpoint only', () => {
    const lookup = resources[endpointLookup].Properties;
    expect(JSON.parse(lookup.Create)).toMatchObject({ service: 'Iot', action: 'describeEndpoint', parameters: { endpointType: 'iot:Data-ATS' } });
    expect(resources[publisherFunction].Properties.Environment.Variables).toMatchObject({
      VTN_IOT_DATA_ENDPOINT: { 'Fn::GetAtt': [endpointLookup, 'endpointAddress'] },
      VTN_MQTT_TOPIC_PREFIX: 'openadr3',
    });
    const policy = idsOf('AWS::IAM::Policy').map((id) => resources[id].Properties).find((candidate) => JSON.stringify(candidate).includes('iot:DescribeEndpoint'));
    expect(policy.PolicyDocument.Statement).toEqual([{ Effect: 'Allow', Action: 'iot:DescribeEndpoint', Resource: '*' }]);
  });

  test('may publish only below the prefix, never retained; reads the table as the webhook notifier does, no write', () => {
    const statements = statementsOf(publisherFunction);
    const iot = statements.filter((statement) => JSON.stringify(statement.Action).includes('iot:'));
    expect(iot).toEqual([
      { Effect: 'Allow', Action: 'iot:Publish', Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iot:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':topic/openadr3/*']] } },
      // Ending a ven's former client's connection, and nothing else on clients.
      { Effect: 'Allow', Action: 'iot:DeleteConnection', Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iot:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':client/*']] } },
    ]);
    const actions = actionsOf(statements);
    expect(actions.filter((action) => /dynamodb:(Put|Update|Delete|BatchWrite)/.test(action))).toEqual([]);
    expect(actions).not.toContain('iot:RetainPublish');
    const indexes = statements.map((statement) => JSON.stringify(statement.Resource)).filter((resource) => resource.includes('/index/'));
    expect(indexes).toEqual([expect.stringContaining(`/index/${TABLE_LAYOUT.indexes.programID.indexName}`)]);
    // The other functions publish nothing.
    for (const id of idsOf('AWS::Lambda::Function').filter((fn) => fn !== publisherFunction)) expect(actionsOf(statementsOf(id))).not.toContain('iot:Publish');
  });

  test('its own stream mapping: bisect, 3 retries, 1 hour, partial failures, the stream-failure queue, objects only', () => {
    const mappings = idsOf('AWS::Lambda::EventSourceMapping').map((id) => resources[id].Properties).filter((mapping) => mapping.FunctionName.Ref === publisherFunction);
    expect(mappings).toEqual([
      {
        FunctionName: { Ref: publisherFunction },
        EventSourceArn: { 'Fn::GetAtt': [idOf('AWS::DynamoDB::Table', 'StorageTable'), 'StreamArn'] },
        StartingPosition: 'LATEST',
        BatchSize: 25,
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: 3,
        MaximumRecordAgeInSeconds: 3600,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [idOf('AWS::SQS::Queue', 'NotificationsStreamFailureQueue'), 'Arn'] } } },
        FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ dynamodb: { Keys: { objectType: { S: ['PROGRAM', 'EVENT', 'REPORT', 'SUBSCRIPTION', 'VEN', 'RESOURCE'] } } } }) }] },
      },
    ]);
  });
});

describe('mqtt=off', () => {
  test('leaves out every IoT piece, the MQTT functions and the advertised broker', () => {
    const without = synth({ mqtt: false });
    expect(Object.values(without).filter((resource) => /IoT|Custom::AWS/.test(resource.Type))).toEqual([]);
    expect(Object.keys(without).filter((id) => id.startsWith('Mqtt'))).toEqual([]);
    expect(JSON.stringify(without)).not.toMatch(/iot:|VTN_MQTT|VTN_IOT/);
    const outputs = Template.fromStack(new VtnStack(testApp(), 'Test', { stage: 'test', mqtt: false })).toJSON().Outputs;
    expect(outputs).not.toHaveProperty('MqttBrokerUri');
  });
});

describe('context', () => {
  const read = (values: Record<string, string>) => vtnStackProps((key) => values[key]).mqtt;

  test('on by default with the default prefix; off; a prefix; a custom domain with its certificate', () => {
    expect(read({})).toEqual({ topicPrefix: undefined, customDomain: undefined });
    expect(read({ mqtt: 'off' })).toBe(false);
    expect(read({ mqtt: 'on', mqttTopicPrefix: 'vtn_1' })).toEqual({ topicPrefix: 'vtn_1', customDomain: undefined });
    expect(read({ mqttDomainName: 'mqtt.example.com', mqttCertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc-123' })).toMatchObject({
      customDomain: { domainName: 'mqtt.example.com', certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc-123' },
    });
  });

  test('refuses bad values, naming the key', () => {
    expect(() => read({ mqtt: 'maybe' })).toThrow(/context mqtt must be on or off/);
    for (const prefix of ['a/b', 'a+', '#', '$SYS', 'x'.repeat(65), 'vtn*']) expect(() => read({ mqttTopicPrefix: prefix })).toThrow(/mqttTopicPrefix must be one topic level/);
    expect(() => read({ mqttDomainName: 'mqtt.example.com' })).toThrow(ContextError);
    expect(() => read({ mqttCertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc' })).toThrow(/given together/);
    expect(() => read({ mqttDomainName: 'not a host', mqttCertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc' })).toThrow(/mqttDomainName must be a host name/);
    expect(() => read({ mqttDomainName: 'mqtt.example.com', mqttCertificateArn: 'arn:aws:s3:::bucket' })).toThrow(/mqttCertificateArn must be an ACM certificate ARN/);
  });

  test('the prefix reaches every MQTT function', () => {
    const prefixed = synth({ mqtt: { topicPrefix: 'vtn_1' } });
    for (const prefix of ['MqttAuthorizerFunction', 'MqttPublisherFunction', 'ApiNotifiersFunction']) {
      expect(prefixed[idOf('AWS::Lambda::Function', prefix, prefixed)].Properties.Environment.Variables.VTN_MQTT_TOPIC_PREFIX).toBe('vtn_1');
    }
    const publish = statementsOf(idOf('AWS::Lambda::Function', 'MqttPublisherFunction', prefixed), prefixed).find((statement) => statement.Action === 'iot:Publish');
    expect(JSON.stringify(publish?.Resource)).toContain(':topic/vtn_1/*');
  });
});

describe('cdk-nag AwsSolutions', () => {
  test('passes with MQTT, its custom domain, and without it', () => {
    const customDomain = { domainName: 'mqtt.vtn.example.com', certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc-123' };
    for (const mqtt of [undefined, { topicPrefix: 'vtn_1', customDomain }, false as const]) {
      const app = testApp();
      new VtnStack(app, 'Nagged', { stage: 'test', mqtt });
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      expect(() => app.synth()).not.toThrow();
    }
  });
});
