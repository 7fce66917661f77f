import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { BASE_PATH, FALLBACK_RESOURCE, matchRoute } from '../lambdas/routes';

type LambdaHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/** API Gateway HTTP APIs refuse payloads over 10 MB before any Lambda runs. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
/** API Gateway's integration timeout, which bounds every Lambda behind it. */
const INTEGRATION_TIMEOUT_MS = 30_000;

/**
 * An HTTP server that does what API Gateway does in AWS: picks the Lambda entry from the route
 * table, turns the request into a payload 2.0 event, and the handler's result into a response.
 */
export function createApiGatewayServer(): Server {
  return createServer((request, response) => {
    serve(request, response).catch((error: unknown) => {
      // Handlers answer every error themselves; reaching here means the server itself failed.
      process.stderr.write(`local server error: ${(error as Error).stack ?? String(error)}\n`);
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ type: 'about:blank', title: 'Internal Server Error', status: 500 }));
    });
  });
}

async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const body = await readBody(request);
  if (body === undefined) {
    response.writeHead(413, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ message: 'Request Entity Too Large' }));
    return;
  }
  const url = new URL(request.url ?? '/', 'http://local');
  const match = matchRoute(url.pathname);
  const event = apiGatewayEvent(request, url, body, match?.pathParameters, match ? `ANY ${BASE_PATH}${match.path}` : '$default');
  const result = await loadHandler(match?.resource.name ?? FALLBACK_RESOURCE)(event, lambdaContext(event));
  const payload = result.body === undefined ? Buffer.alloc(0) : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  response.writeHead(result.statusCode ?? 200, { ...stringHeaders(result.headers), 'content-length': payload.length });
  response.end(payload);
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

/** The body, or undefined when it exceeds what API Gateway would accept. */
async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_PAYLOAD_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function apiGatewayEvent(
  request: IncomingMessage,
  url: URL,
  body: Buffer,
  pathParameters: Record<string, string> | undefined,
  routeKey: string,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = { 'x-forwarded-proto': 'http' };
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const rawQueryString = url.search.slice(1);
  const queryStringParameters: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    queryStringParameters[name] = name in queryStringParameters ? `${queryStringParameters[name]},${value}` : value;
  }
  const textual = /json|text|xml|urlencoded/i.test(headers['content-type'] ?? 'application/json');
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
      domainName: headers.host ?? 'localhost',
      domainPrefix: (headers.host ?? 'localhost').split('.')[0],
      http: {
        method: request.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
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

function lambdaContext(event: APIGatewayProxyEventV2): Context {
  const deadline = Date.now() + INTEGRATION_TIMEOUT_MS;
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

function stringHeaders(headers: APIGatewayProxyStructuredResultV2['headers']): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name, String(value)]));
}
