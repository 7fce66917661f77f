import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { readConfig } from '../lambdas/core/config';
import { HANDLER_TIMEOUT_MS, handlerTimeoutMs } from '../lambdas/core/deadline';
import { BASE_PATH, FALLBACK_RESOURCE, matchRoute } from '../lambdas/routes';

/**
 * What API Gateway does in front of the Lambdas in AWS: pick the entry from the route table,
 * turn a request into a payload 2.0 event, invoke the warm handler. Used by the local server,
 * by tests and by the benchmark, so all of them run the handlers exactly as AWS does.
 */

type LambdaHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

export interface ApiRequest {
  method: string;
  /** Path and query string, e.g. `/openadr3/3.1.0/events?programID=p1`. */
  url: string;
  headers?: Record<string, string | string[] | undefined>;
  body?: Buffer | string;
  sourceIp?: string;
  protocol?: string;
}

export async function invokeApi(request: ApiRequest): Promise<APIGatewayProxyStructuredResultV2> {
  const { resource, event } = routeRequest(request);
  // As in the stack: the subscription function has room for echo challenges.
  const timeoutMs = handlerTimeoutMs(resource, webhookTimeoutMs());
  return loadHandler(resource)(event, lambdaContext(event, timeoutMs));
}

/** The configured webhook timeout; none when a setting is bad, which the handler then reports. */
function webhookTimeoutMs(): number {
  try {
    return readConfig().webhooks.timeoutMs;
  } catch {
    return 0;
  }
}

/** The entry that serves a request and the event API Gateway would send it. */
export function routeRequest(request: ApiRequest): { resource: string; event: APIGatewayProxyEventV2 } {
  const url = new URL(request.url, 'http://local');
  const match = matchRoute(url.pathname);
  const routeKey = match ? `ANY ${BASE_PATH}${match.path}` : '$default';
  return {
    resource: match?.resource.name ?? FALLBACK_RESOURCE,
    event: apiGatewayEvent(request, url, routeKey, match?.pathParameters),
  };
}

const handlers = new Map<string, LambdaHandler>();

/** The entry module, as Lambda loads it: once, and kept warm for later requests. */
function loadHandler(resource: string): LambdaHandler {
  let handler = handlers.get(resource);
  if (!handler) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = (require(join(__dirname, '..', 'lambdas', resource)) as { handler: LambdaHandler }).handler;
    handlers.set(resource, handler);
  }
  return handler;
}

function apiGatewayEvent(
  request: ApiRequest,
  url: URL,
  routeKey: string,
  pathParameters: Record<string, string> | undefined,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = { 'x-forwarded-proto': request.protocol ?? 'http' };
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const rawQueryString = url.search.slice(1);
  const queryStringParameters: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    queryStringParameters[name] = name in queryStringParameters ? `${queryStringParameters[name]},${value}` : value;
  }
  const body = typeof request.body === 'string' ? Buffer.from(request.body) : (request.body ?? Buffer.alloc(0));
  const textual = /json|text|xml|urlencoded/i.test(headers['content-type'] ?? 'application/json');
  const host = headers.host ?? 'localhost';
  const now = new Date();
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString,
    headers,
    queryStringParameters: rawQueryString ? queryStringParameters : undefined,
    pathParameters: pathParameters && Object.keys(pathParameters).length > 0 ? pathParameters : undefined,
    body: body.length > 0 ? body.toString(textual ? 'utf8' : 'base64') : undefined,
    isBase64Encoded: body.length > 0 && !textual,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: host,
      domainPrefix: host.split('.')[0],
      http: {
        method: request.method.toUpperCase(),
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
  };
}

/**
 * A Lambda context for one invocation. By default it gives the functions' timeout in the stack,
 * so that a request runs out of time here as in AWS.
 */
export function lambdaContext(event: APIGatewayProxyEventV2, timeoutMs = HANDLER_TIMEOUT_MS): Context {
  const deadline = Date.now() + timeoutMs;
  const fail = () => {
    throw new Error('not available locally');
  };
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'local',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:local',
    memoryLimitInMB: '1024',
    awsRequestId: event.requestContext.requestId,
    logGroupName: 'local',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: fail,
    fail,
    succeed: fail,
  };
}
