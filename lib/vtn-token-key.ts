import { CustomResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import type { CfnFunction, IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { vtnFunction } from './vtn-function';

export interface VtnTokenKeyProps {
  /** Only named in the public-key function's environment, as in every function's; never read. */
  table: ITable;
  logRetention: RetentionDays;
  logRemovalPolicy: RemovalPolicy;
}

/**
 * The key that signs the VTN's access tokens: an RSA 2048 KMS key whose private half never
 * leaves KMS, and its public half read once at deploy time (a custom resource), for the
 * functions' environment.
 */
export class VtnTokenKey extends Construct {
  readonly key: Key;
  /** Base64 DER (SPKI); a deploy-time value. */
  readonly publicKey: string;

  constructor(scope: Construct, id: string, props: VtnTokenKeyProps) {
    super(scope, id);
    this.key = new Key(this, 'SigningKey', {
      description: 'Signs the OpenADR VTN access tokens (RS256)',
      keySpec: KeySpec.RSA_2048,
      keyUsage: KeyUsage.SIGN_VERIFY,
      // Nothing it signed outlives it by more than a token's lifetime: it goes with the stack.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    const reader = vtnFunction(this, 'PublicKey', {
      entry: 'token-public-key',
      table: props.table,
      environment: {},
      memorySize: 256,
      timeout: Duration.seconds(30),
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    });
    this.key.grant(reader, 'kms:GetPublicKey');
    // The framework function CDK adds: its logs, too, kept a month and not left behind.
    const provider = new Provider(this, 'PublicKeyProvider', {
      onEventHandler: reader,
      logGroup: new LogGroup(this, 'PublicKeyProviderLogs', { retention: props.logRetention, removalPolicy: props.logRemovalPolicy }),
    });
    this.publicKey = new CustomResource(this, 'PublicKeyValue', { serviceToken: provider.serviceToken, properties: { KeyId: this.key.keyArn } }).getAttString('PublicKey');
    const readerId = Stack.of(this).getLogicalId(reader.node.defaultChild as CfnFunction);
    Validations.of(provider).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${readerId}.Arn>:*]`,
      reason: "The CDK Provider framework may invoke any version of the one function it fronts (the public-key reader): its ARN with ':*'.",
    });
  }

  /** Lets `fn` sign with the key, and nothing else with it. */
  grantSign(fn: IFunction): void {
    this.key.grant(fn, 'kms:Sign');
  }
}
