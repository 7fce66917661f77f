import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { DEADLINE_MARGIN_MS, withDeadline } from '../deadline';
import { InvalidInputError, PayloadTooLargeError, StorageUnavailableError, VtnError } from '../errors';
import { objectID, validate } from '../openadr/validation';
import { BASE_PATH } from '../../routes';
import type { Logger } from '../logger';
import { parseJson } from './json-body';
import { problem } from './problem';
import { parseQuery, type QueryParser } from './query';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface HttpRequest {
  /** A path parameter that must be an objectID; a malformed one is a 400 naming it. */
  id(name: string): string;
  query<S extends Record<string, QueryParser<unknown>>>(spec: S): ReturnType<typeof parseQuery<S>>;
  /** The JSON body; missing, malformed or over 1 MiB is a 4xx. */
  json(): unknown;
}

export interface HttpResult {
  status: number;
  body: unknown;
}

export type RouteHandler = (request: HttpRequest) => Promise<HttpResult>;

/** Path template (below BASE_PATH, as in routes.ts) to the handler of each method it allows. */
export type RouteTable = Record<string, Partial<Record<Method, RouteHandler>>>;

export const ok = (body: unknown): HttpResult => ({ status: 200, body });
export const created = (body: unknown): HttpResult => ({ status: 201, body });

export const MAX_BODY_BYTES = 1024 * 1024;

type Event = APIGatewayProxyEventV2;
type Result = APIGatewayProxyStructuredResultV2;

/** Raised for a method the path does not allow; carries the ones it does. */
class MethodNotAllowedError extends VtnError {
  readonly status = 405;
  readonly title = 'Method Not Allowed';
  constructor(readonly allowed: string[]) {
    super(`this resource allows ${allowed.join(', ')}`);
  }
}

class NoSuchPathError extends VtnError {
  readonly status = 404;
  readonly title = 'Not Found';
}

/**
 * A Lambda handler for API Gateway HTTP API (payload 2.0) events: finds the route from the
 * event's route key, runs it, and answers JSON. Every error becomes a `problem` in one place.
 */
export function httpHandler(routes: RouteTable, logger: Logger) {
  // Work below stops at the request deadline; should it not (a hung call), middy answers anyway.
  return middy<Event, Result>({ timeoutEarlyInMillis: DEADLINE_MARGIN_MS / 2 })
    .use(problemsAndAccessLog(logger))
    .handler((event, context) => withDeadline(requestDeadline(context), async () => {
      const path = routeTemplate(event);
      const methods = path === undefined ? undefined : routes[path];
      if (!methods) throw new NoSuchPathError(`no resource at ${event.rawPath}`);
      const method = event.requestContext.http.method.toUpperCase() as Method;
      const handle = Object.hasOwn(methods, method) ? methods[method] : undefined;
      if (!handle) throw new MethodNotAllowedError(Object.keys(methods));
      const result = await handle(httpRequest(event));
      return jsonResponse(result.status, result.body);
    }));
}

/** The Lambda's own deadline less a margin to answer in; none without a Lambda context. */
function requestDeadline(context: Context): number {
  return context?.getRemainingTimeInMillis ? Date.now() + context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS : Infinity;
}

/** `ANY /openadr3/3.1.0/programs/{programID}` -> `/programs/{programID}`; `$default` -> undefined. */
function routeTemplate(event: Event): string | undefined {
  const routePath = event.routeKey.split(' ')[1];
  return routePath?.startsWith(BASE_PATH) ? routePath.slice(BASE_PATH.length) : undefined;
}

function httpRequest(event: Event): HttpRequest {
  return {
    id(name) {
      const value = event.pathParameters?.[name] ?? '';
      validate(objectID, value, name);
      return value;
    },
    query: (spec) => parseQuery(event.rawQueryString ?? '', spec),
    json: () => parseJsonBody(event),
  };
}

function parseJsonBody(event: Event): unknown {
  if (event.body === undefined || event.body === null || event.body === '') {
    throw InvalidInputError.field('body', 'is required: send a JSON object');
  }
  const raw = Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  if (raw.length > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError(`the request body is ${raw.length} bytes; the limit is ${MAX_BODY_BYTES} bytes`);
  }
  return parseJson(raw.toString('utf8'));
}

function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Result {
  return { statusCode: status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** The absolute URL of the request, for a problem's `instance`. */
function requestUrl(event: Event): string {
  const protocol = event.headers?.['x-forwarded-proto'] ?? 'https';
  return `${protocol}://${event.requestContext.domainName}${event.rawPath}`;
}

function problemsAndAccessLog(logger: Logger): middy.MiddlewareObj<Event, Result, Error, Context, { startedAt: number }> {
  const requestLog = (event: Event) =>
    logger.with({ requestId: event.requestContext.requestId, method: event.requestContext.http.method, path: event.rawPath });
  return {
    before: (request) => {
      request.internal.startedAt = Date.now();
    },
    after: (request) => {
      const status = request.response?.statusCode;
      requestLog(request.event).info('request', { status, durationMs: Date.now() - request.internal.startedAt });
    },
    onError: (request) => {
      const { event, error } = request;
      const log = requestLog(event);
      const durationMs = Date.now() - (request.internal.startedAt ?? Date.now());
      const instance = requestUrl(event);
      const requestId = event.requestContext.requestId;
      if (error instanceof VtnError) {
        const issues = error instanceof InvalidInputError ? { errors: error.issues } : {};
        const headers: Record<string, string> = {};
        if (error instanceof MethodNotAllowedError) headers.allow = error.allowed.join(', ');
        if (error instanceof StorageUnavailableError) headers['retry-after'] = '1';
        request.response = jsonResponse(error.status, problem(error.status, error.message, instance, { ...issues, requestId }), headers);
        const level = error.status >= 500 ? 'error' : 'info';
        log[level]('request', { status: error.status, durationMs, detail: error.message, ...(error.status >= 500 ? { error } : {}) });
        return;
      }
      // Anything else is a defect or an outage: log it whole, answer without internals.
      const timedOut = error?.name === 'TimeoutError';
      const status = timedOut ? 503 : 500;
      const detail = timedOut ? 'the request took too long; it may be retried' : `an internal error occurred; quote request id ${requestId}`;
      request.response = jsonResponse(status, problem(status, detail, instance, { requestId }), timedOut ? { 'retry-after': '1' } : {});
      log.error('request', { status, durationMs, error });
    },
  };
}
