import { Aws, Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CfnStage,
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CHALLENGING_RESOURCE, handlerTimeoutMs } from '../lambdas/core/deadline';
import { TABLE_LAYOUT } from '../lambdas/core/storage/dynamo/table-layout';
import { BASE_PATH, FALLBACK_RESOURCE, RESOURCES, TOKEN_PATH } from '../lambdas/routes';
import { vtnFunction } from './vtn-function';
import type { VtnTokenKey } from './vtn-token-key';

export interface VtnApiProps {
  table: ITable;
  /** Cache settings for the functions' environment. */
  cacheEnvironment: Record<string, string>;
  logRetention: RetentionDays;
  /** Requests per second across the API, and the burst above it. */
  throttle: { rateLimit: number; burstLimit: number };
  /** Origins allowed by CORS; none (the default) means no CORS headers at all. */
  corsOrigins: string[];
  logRemovalPolicy: RemovalPolicy;
  /** The key that signs tokens: the token function may sign with it, every function gets its public half. */
  tokenKey: VtnTokenKey;
  /** Token settings for every function's environment; VTN_TOKEN_ISSUER defaults to the API's URL. */
  authEnvironment: Record<string, string>;
  /** Requests per second to the token endpoint, each a slow hash, and the burst above it. */
  tokenThrottle: { rateLimit: number; burstLimit: number };
  /** The webhook timeout, which the subscription function's echo challenges also get. */
  webhookTimeoutMs: number;
}



/** The HTTP API and one function per resource entry of the route table. */
export class VtnApi extends Construct {
  readonly api: HttpApi;
  readonly functions: Record<string, NodejsFunction> = {};
  /** What every function verifying tokens gets: issuer, audience and the public key. */
  readonly authEnvironment: Record<string, string>;

  constructor(scope: Construct, id: string, props: VtnApiProps) {
    super(scope, id);
    const { table } = props;

    this.api = new HttpApi(this, 'HttpApi', {
      apiName: Stack.of(this).stackName,
      description: `OpenADR 3.1.0 VTN (${Stack.of(this).stackName})`,
      createDefaultStage: false,
      corsPreflight:
        props.corsOrigins.length > 0
          ? {
              allowOrigins: props.corsOrigins,
              allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.PUT, CorsHttpMethod.DELETE],
              allowHeaders: ['authorization', 'content-type'],
              maxAge: Duration.hours(1),
            }
          : undefined,
    });
    // Groups under /aws/vendedlogs/ share one entry of the account's CloudWatch Logs resource policy
    // (5,120 characters at most), so enabling the delivery does not fail once that policy is full.
    // The tail of the stack's id keeps a group retained from an earlier stack of this name out of the way.
    const stackIdTail = Fn.select(4, Fn.split('-', Fn.select(2, Fn.split('/', Aws.STACK_ID))));
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      logGroupName: `/aws/vendedlogs/apigateway/${Stack.of(this).stackName}-access-${stackIdTail}`,
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });
    const stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            method: '$context.httpMethod',
            path: '$context.path',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });

    // Tokens name the API as issuer and audience unless configured otherwise (a custom domain).
    const authEnvironment = { VTN_TOKEN_ISSUER: `${this.api.apiEndpoint}${BASE_PATH}`, VTN_TOKEN_PUBLIC_KEY: props.tokenKey.publicKey, ...props.authEnvironment };
    this.authEnvironment = authEnvironment;
    for (const resource of RESOURCES) {
      const signsTokens = resource.paths.includes(TOKEN_PATH);
      const challenges = resource.name === CHALLENGING_RESOURCE;
      const fn = vtnFunction(this, pascal(resource.name), {
        entry: resource.name,
        table,
        environment: {
          ...props.cacheEnvironment,
          ...authEnvironment,
          ...(signsTokens ? { VTN_TOKEN_KMS_KEY_ID: props.tokenKey.key.keyArn } : {}),
          ...(challenges ? { VTN_WEBHOOK_TIMEOUT_MS: String(props.webhookTimeoutMs) } : {}),
        },
        memorySize: 1024,
        // API Gateway gives up after 30 s. A request stops its work shortly before this
        // timeout and answers 503 (lambdas/core/deadline.ts); echo challenges get their own time.
        timeout: Duration.millis(handlerTimeoutMs(resource.name, props.webhookTimeoutMs)),
        logRetention: props.logRetention,
        logRemovalPolicy: props.logRemovalPolicy,
      });
      if (resource.tableActions.length > 0) {
        fn.addToRolePolicy(
          new PolicyStatement({
            effect: Effect.ALLOW,
            actions: resource.tableActions,
            // The table and its indexes by name: nothing else, and no wildcard.
            resources: [table.tableArn, ...Object.values(TABLE_LAYOUT.indexes).map((index) => `${table.tableArn}/index/${index.indexName}`)],
          }),
        );
      }
      if (signsTokens) props.tokenKey.grantSign(fn);
      this.functions[resource.name] = fn;

      const integration = new HttpLambdaIntegration(`${pascal(resource.name)}Integration`, fn);
      for (const path of resource.paths) {
        // ANY, so that the handler answers a wrong method with 405 and a problem body.
        const routes = this.api.addRoutes({ path: `${BASE_PATH}${path}`, methods: [HttpMethod.ANY], integration });
        if (path === TOKEN_PATH) throttleRoute(stage, `ANY ${BASE_PATH}${path}`, routes[0], props.tokenThrottle);
      }
      if (resource.name === FALLBACK_RESOURCE) {
        // Paths no route names get a problem 404 rather than API Gateway's own body.
        new HttpRoute(this, 'FallbackRoute', { httpApi: this.api, routeKey: HttpRouteKey.DEFAULT, integration });
      }
    }
  }
}

/** A route's own throttle, below the stage's (HttpStage has no property for it). */
function throttleRoute(stage: HttpStage, routeKey: string, route: HttpRoute, throttle: { rateLimit: number; burstLimit: number }): void {
  (stage.node.defaultChild as CfnStage).routeSettings = {
    [routeKey]: { ThrottlingRateLimit: throttle.rateLimit, ThrottlingBurstLimit: throttle.burstLimit },
  };
  // The stage may name the route only once it exists.
  stage.node.addDependency(route);
}

function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
