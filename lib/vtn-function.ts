import { join } from 'node:path';
import { Stack, type Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Architecture, LoggingFormat, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { DEFAULT_METRICS_NAMESPACE } from '../lambdas/core/config';
import { BUNDLING, entryFiles, entryPath } from './bundling';

export interface VtnFunctionProps {
  /** The entry file is `lambdas/<entry>.ts`, exporting `handler`. */
  entry: string;
  table: ITable;
  /** Settings beyond TABLE_NAME. */
  environment: Record<string, string>;
  memorySize: number;
  timeout: Duration;
  logRetention: RetentionDays;
  logRemovalPolicy: RemovalPolicy;
  /** Concurrency kept for this function alone, and its ceiling; none by default. */
  reservedConcurrency?: number;
}

/**
 * One Lambda entry as every entry is deployed: Node.js 22 on arm64, bundled alike, JSON logs in
 * its own log group, the table's name in its environment, business metrics on with the stack's
 * name as their Service. `<name>Function` and `<name>Logs` in `scope`.
 */
export function vtnFunction(scope: Construct, name: string, props: VtnFunctionProps): NodejsFunction {
  const files = entryFiles(props.entry);
  return new NodejsFunction(scope, `${name}Function`, {
    entry: entryPath(props.entry),
    handler: 'handler',
    // Deprecated on Lambda from 30 April 2027: moves to Node.js 24 once the handlers are tested on it.
    runtime: Runtime.NODEJS_22_X,
    architecture: Architecture.ARM_64,
    memorySize: props.memorySize,
    timeout: props.timeout,
    loggingFormat: LoggingFormat.JSON,
    logGroup: new LogGroup(scope, `${name}Logs`, { retention: props.logRetention, removalPolicy: props.logRemovalPolicy }),
    reservedConcurrentExecutions: props.reservedConcurrency,
    bundling: {
      ...BUNDLING,
      ...(files.length > 0 && {
        commandHooks: {
          beforeInstall: () => [],
          beforeBundling: () => [],
          afterBundling: (_inputDir: string, outputDir: string) => files.map(({ source, name: file }) => `cp "${source}" "${join(outputDir, file)}"`),
        },
      }),
    },
    environment: {
      TABLE_NAME: props.table.tableName,
      // The dashboard and alarms read these metrics by this namespace and Service.
      VTN_METRICS: 'on',
      VTN_METRICS_NAMESPACE: DEFAULT_METRICS_NAMESPACE,
      VTN_METRICS_SERVICE: Stack.of(scope).stackName,
      ...props.environment,
    },
  });
}
