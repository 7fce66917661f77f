import { CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnAuthorizer, CfnDomainConfiguration } from 'aws-cdk-lib/aws-iot';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { notifierStreamSource, NOTIFIER_TIMEOUT, notifierTableReads } from './vtn-notifications';
import { vtnFunction } from './vtn-function';

/** A domain of your own for the broker, with its ACM certificate (in the stack's region). */
export interface MqttCustomDomain {
  domainName: string;
  certificateArn: string;
}

export interface VtnMqttProps {
  table: ITable;
  topicPrefix: string;
  /** What every function verifying tokens gets (issuer, audience, public key). */
  authEnvironment: Record<string, string>;
  cacheEnvironment: Record<string, string>;
  /** Where stream batches that keep failing are recorded (shared with the webhook notifier). */
  streamFailureQueue: IQueue;
  /** The function answering GET /notifiers, which advertises the broker. */
  notifiersFunction: NodejsFunction;
  /** Without one, the broker is an AWS-managed domain of IoT Core. */
  customDomain?: MqttCustomDomain;
  logRetention: RetentionDays;
  logRemovalPolicy: RemovalPolicy;
}

/**
 * The broker clients connect to: port 8883, MQTT over TLS without ALPN. The domain configuration
 * fixes the protocol and the authentication, so the port does not have to choose them.
 */
export const MQTT_BROKER_PORT = 8883;

/**
 * The MQTT binding in AWS IoT Core. Clients connect to a domain configuration whose default
 * authorizer is the VTN's own (a Lambda verifying the access token sent as password, and
 * answering with the client's topic policy), so that the username is the bare client id the
 * binding advertises. A second consumer of the table's stream publishes each change through the
 * IoT data endpoint, which only it may publish to.
 */
export class VtnMqtt extends Construct {
  readonly authorizerFunction: NodejsFunction;
  readonly publisherFunction: NodejsFunction;
  readonly authorizer: CfnAuthorizer;
  readonly domainConfiguration: CfnDomainConfiguration;
  /** `mqtts://<host>:8883`, as GET /notifiers advertises it; a deploy-time value. */
  readonly brokerUri: string;

  constructor(scope: Construct, id: string, props: VtnMqttProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const prefixEnvironment = { VTN_MQTT_TOPIC_PREFIX: props.topicPrefix };

    this.authorizerFunction = vtnFunction(this, 'Authorizer', {
      entry: 'mqtt-authorizer',
      table: props.table,
      environment: { ...props.authEnvironment, ...prefixEnvironment },
      memorySize: 512,
      // IoT Core waits 5 seconds for an authorizer.
      timeout: Duration.seconds(5),
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    });
    // It reads one thing: a client's ven, by its clientID claim (two GetItems).
    this.authorizerFunction.addToRolePolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['dynamodb:GetItem'], resources: [props.table.tableArn] }));
    this.authorizer = new CfnAuthorizer(this, 'Authorizer', {
      authorizerName: `${stack.stackName}-mqtt`,
      authorizerFunctionArn: this.authorizerFunction.functionArn,
      // The credentials are the MQTT username and password, not a token IoT Core checks itself.
      signingDisabled: true,
      status: 'ACTIVE',
    });
    this.authorizerFunction.addPermission('IotInvoke', {
      principal: new ServicePrincipal('iot.amazonaws.com'),
      sourceArn: this.authorizer.attrArn,
      sourceAccount: stack.account,
    });

    this.domainConfiguration = new CfnDomainConfiguration(this, 'Domain', {
      serviceType: 'DATA',
      domainConfigurationStatus: 'ENABLED',
      authorizerConfig: { defaultAuthorizerName: this.authorizer.ref, allowAuthorizerOverride: false },
      authenticationType: 'CUSTOM_AUTH',
      applicationProtocol: 'SECURE_MQTT',
      ...(props.customDomain ? { domainName: props.customDomain.domainName, serverCertificateArns: [props.customDomain.certificateArn] } : {}),
    });
    // IoT Core deletes an AWS-managed domain configuration only after 7 days disabled, which a
    // stack deletion cannot wait for: it is kept, to be disabled and deleted by hand (README).
    if (!props.customDomain) this.domainConfiguration.applyRemovalPolicy(RemovalPolicy.RETAIN);

    // The deploy-time look-ups (AWS SDK calls), logging where every function of the stack does.
    const lookupLogs = new LogGroup(this, 'LookupLogs', { retention: props.logRetention, removalPolicy: props.logRemovalPolicy });
    const lookup = (name: string, action: string, parameters: Record<string, unknown>, field: string, statement: PolicyStatement) =>
      new AwsCustomResource(this, name, {
        onUpdate: { service: 'Iot', action, parameters, physicalResourceId: PhysicalResourceId.fromResponse(field) },
        policy: AwsCustomResourcePolicy.fromStatements([statement]),
        installLatestAwsSdk: false,
        logGroup: lookupLogs,
      }).getResponseField(field);
    // iot:DescribeEndpoint has no resource-level permissions.
    const dataEndpoint = lookup('DataEndpoint', 'describeEndpoint', { endpointType: 'iot:Data-ATS' }, 'endpointAddress', new PolicyStatement({ actions: ['iot:DescribeEndpoint'], resources: ['*'] }));
    const brokerHost =
      props.customDomain?.domainName ??
      lookup(
        'BrokerDomain',
        'describeDomainConfiguration',
        { domainConfigurationName: this.domainConfiguration.ref },
        'domainName',
        new PolicyStatement({ actions: ['iot:DescribeDomainConfiguration'], resources: [this.domainConfiguration.attrArn] }),
      );
    this.brokerUri = `mqtts://${brokerHost}:${MQTT_BROKER_PORT}`;

    this.publisherFunction = vtnFunction(this, 'Publisher', {
      entry: 'mqtt-publisher',
      table: props.table,
      environment: { ...props.cacheEnvironment, ...prefixEnvironment, VTN_IOT_DATA_ENDPOINT: dataEndpoint },
      memorySize: 512,
      timeout: NOTIFIER_TIMEOUT,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    });
    for (const statement of notifierTableReads(props.table)) this.publisherFunction.addToRolePolicy(statement);
    // Not retained (no iot:RetainPublish), and only below the prefix.
    this.publisherFunction.addToRolePolicy(
      new PolicyStatement({ effect: Effect.ALLOW, actions: ['iot:Publish'], resources: [stack.formatArn({ service: 'iot', resource: 'topic', resourceName: `${props.topicPrefix}/*` })] }),
    );
    // A ven given to another client or deleted: its former client's connection is ended, so that
    // the policy IoT Core cached at its connect no longer lets it receive that ven's topics.
    this.publisherFunction.addToRolePolicy(
      new PolicyStatement({ effect: Effect.ALLOW, actions: ['iot:DeleteConnection'], resources: [stack.formatArn({ service: 'iot', resource: 'client', resourceName: '*' })] }),
    );
        this.publisherFunction.addEventSource(notifierStreamSource(props.table, props.streamFailureQueue));

    props.notifiersFunction.addEnvironment('VTN_MQTT_URIS', this.brokerUri);
    props.notifiersFunction.addEnvironment('VTN_MQTT_TOPIC_PREFIX', props.topicPrefix);
    new CfnOutput(stack, 'MqttBrokerUri', { description: 'The MQTT broker VENs connect to (username: client id, password: access token)', value: this.brokerUri });

    acknowledgeNagFindings(this, props.topicPrefix);
  }
}

function acknowledgeNagFindings(mqtt: VtnMqtt, topicPrefix: string): void {
  Validations.of(mqtt.publisherFunction).acknowledge(
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'dynamodb:ListStreams, granted by the stream event source, has no resource-level permissions; every other grant names its table, stream, queue or topics.',
    },
    {
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>:topic/${topicPrefix}/*]`,
      reason: "The publisher publishes on every topic of the binding's layout, each below the prefix, and nowhere else.",
    },
    {
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>:client/*]',
      reason: "iot:DeleteConnection ends the connection of a ven's former client, whichever client that was: client ids are not known at deploy time.",
    },
  );
  Validations.of(mqtt).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'iot:DescribeEndpoint, read once at deploy time for the data endpoint, has no resource-level permissions.',
  });
}

