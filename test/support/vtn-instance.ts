import { AsyncLocalStorage } from 'node:async_hooks';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { DEFAULT_SCOPES } from '../../lambdas/core/auth/scopes';
import { httpHandler } from '../../lambdas/core/http/router';
import { Logger } from '../../lambdas/core/logger';
import type { Caller } from '../../lambdas/core/auth/caller';
import { VtnOperations } from '../../lambdas/core/operations/operations';
import { DynamoStorage, type DynamoStorageOptions } from '../../lambdas/core/storage/dynamo/dynamo-storage';
import { eventRoutes } from '../../lambdas/events';
import { programRoutes } from '../../lambdas/programs';
import { reportRoutes } from '../../lambdas/reports';
import { BASE_PATH } from '../../lambdas/routes';
import { resourceRoutes } from '../../lambdas/resources';
import { subscriptionRoutes } from '../../lambdas/subscriptions';
import { venRoutes } from '../../lambdas/vens';
import { lambdaContext, routeRequest } from '../../local/api-gateway';
import { localDynamoClient } from '../../local/embedded-dynamodb';
import { testStorage } from './database';
import { TRACE_HEADER } from './faults';

/** Room for the SDK's backoff under injected faults: longer than the functions' own timeout. */
const FAULT_RUN_TIMEOUT_MS = 30_000;

export const FAULT_CALLER: Caller = { clientID: 'fault-bl', role: 'BL', scopes: DEFAULT_SCOPES.BL };

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: any;
}

/**
 * One VTN instance as one Lambda instance has it: its own DynamoDB client (built as the runtime
 * builds it, maxAttempts 3, so the SDK's own retries run), its own storage with its module-scope
 * caches, the operations over it, and the entries' route tables behind the real router and its
 * problem middleware, invoked with API Gateway v2 events. Unlike the entries, which reach the one
 * module-scope runtime, the route tables here reach this instance's operations, so that two
 * instances live in one process with settings of the test's choosing. Every request comes from
 * one BL client (FAULT_CALLER): what is tested here is storage, not authorization.
 *
 * Each DynamoDB request carries the TRACE_HEADER of the API request that caused it, so that a
 * fault proxy's log ties them together.
 */
export class VtnInstance {
  readonly client: DynamoDBClient;
  readonly storage: DynamoStorage;
  private readonly handler: ReturnType<typeof httpHandler>;
  private readonly traceContext = new AsyncLocalStorage<string>();

  constructor(
    readonly name: string,
    endpoint: string,
    tableName: string,
    options: Partial<DynamoStorageOptions> = {},
  ) {
    this.client = localDynamoClient(endpoint);
    this.client.middlewareStack.add(
      (next) => (args) => {
        const trace = this.traceContext.getStore();
        const request = args.request as { headers?: Record<string, string> };
        if (trace && request.headers) request.headers[TRACE_HEADER] = trace;
        return next(args);
      },
      { step: 'build', name: 'faultTrace' },
    );
    this.storage = testStorage(this.client, tableName, options);
    // These runs are about storage faults: callbacks pass their echo challenge untried.
    const operations = new VtnOperations(this.storage, { allowPrivateCallbacks: false, verifyCallback: async () => undefined });
    const routes = { ...programRoutes(() => operations), ...eventRoutes(() => operations), ...reportRoutes(() => operations), ...subscriptionRoutes(() => operations), ...venRoutes(() => operations), ...resourceRoutes(() => operations) };
    this.handler = httpHandler(routes, new Logger('silent'), async () => FAULT_CALLER);
  }

  /** Invokes the handler as API Gateway would; `trace` tags the DynamoDB requests it makes. */
  async invoke(method: string, path: string, body?: unknown, trace?: string): Promise<Answer> {
    const { event } = routeRequest({
      method,
      url: `${BASE_PATH}${path}`,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const run = () => this.handler(event, lambdaContext(event, FAULT_RUN_TIMEOUT_MS));
    const result = (await (trace ? this.traceContext.run(trace, run) : run())) as APIGatewayProxyStructuredResultV2;
    const text = typeof result.body === 'string' ? result.body : '';
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]));
    return { status: result.statusCode ?? 500, headers, body: parsed };
  }

  close(): void {
    this.client.destroy();
  }
}

