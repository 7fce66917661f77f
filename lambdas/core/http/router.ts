import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { authenticate as tokenAuthentication, type Authenticator } from '../auth/authentication';
import { permits, PUBLIC, type Access } from '../auth/scopes';
import { DEADLINE_MARGIN_MS, withDeadline } from '../deadline';
import { InsufficientScopeError, InvalidInputError, OAuthError, PayloadTooLargeError, UnauthorizedError, VtnError } from '../errors';
import type { Caller } from '../auth/caller';
import { objectID, validate } from '../openadr/validation';
import { BASE_PATH } from '../../routes';
import { jsonText } from '../json-text';
import type { Logger } from '../logger';
import { metrics } from '../metrics';
import { parseJson } from './json-body';
import { problem } from './problem';
import { parseQuery, type QueryParser } from './query';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface HttpRequest {
  /** Who calls, from the verified token; on a public route, nobody (no scopes). */
  caller: Caller;
  /** The absolute URL of this request, without its query. */
  url: string;
  /** A path parameter that must be an objectID; a malformed one is a 400 naming it. */
  id(name: string): string;
  query<S extends Record<string, QueryParser<unknown>>>(spec: S): ReturnType<typeof parseQuery<S>>;
  /** The JSON body; missing, malformed or over 1 MiB is a 4xx. */
  json(): unknown;
  /** The body as text ('' when none); over 1 MiB is a 413. */
  text(): string;
  /** A request header, by its lower-case name. */
  header(name: string): string | undefined;
}

export interface HttpResult {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** The body is already text of the content-type in `headers` (a page, a script): sent as it is, not as JSON. */
  text?: boolean;
}

export type RouteHandler = (request: HttpRequest) => Promise<HttpResult>;

/** A method of a path: the scope it requires (or PUBLIC: no token at all) and its handler. */
export interface Route {
  scope: Access;
  handle: RouteHandler;
}

/** Path template (below BASE_PATH, as in routes.ts) to the route of each method it allows. */
export type RouteTable = Record<string, Partial<Record<Method, Route>>>;

export const ok = (body: unknown, headers?: Record<string, string>): HttpResult => ({ status: 200, body, headers });

/** Token responses, granted or refused, are never cached (RFC 6749 §5.1). */
export const NOT_CACHED: Readonly<Record<string, string>> = { 'cache-control': 'no-store', pragma: 'no-cache' };
export const created = (body: unknown): HttpResult => ({ status: 201, body });

/** A 200 whose body is text of this content type rather than JSON. */
export const okText = (body: string, contentType: string, headers: Record<string, string> = {}): HttpResult => ({
  status: 200,
  body,
  text: true,
  headers: { 'content-type': contentType, ...headers },
});

/** The caller of a public route: it reads no token. */
const NOBODY: Caller = { clientID: '', role: 'VEN', scopes: [] };

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

/** What the authorization middleware found for the handler: the route, and who calls it. */
interface RoutedContext extends Context {
  route?: Route;
  caller?: Caller;
}

/**
 * A Lambda handler for API Gateway HTTP API (payload 2.0) events: finds the route from the
 * event's route key, checks the caller's token and scope, runs the route, and answers JSON (or
 * the text a route gives, such as the documentation page).
 * Every error becomes a `problem` (an OAuth2 error body on the token route) in one place.
 */
export function httpHandler(routes: RouteTable, logger: Logger, authenticate: Authenticator = tokenAuthentication) {
  // Work below stops at the request deadline; should it not (a hung call), middy answers anyway.
  return middy<Event, Result, Error, RoutedContext>({ timeoutEarlyInMillis: DEADLINE_MARGIN_MS / 2 })
    // First in, so last out: it counts the response the problem middleware made of an error.
    .use(requestMetrics(routes))
    .use(problemsAndAccessLog(logger))
    .use(authorization(routes, authenticate))
    .handler((event, context) => withDeadline(requestDeadline(context), async () => {
      const result = await context.route!.handle(httpRequest(event, context.caller ?? NOBODY));
      if (result.text) return { statusCode: result.status, headers: result.headers, body: result.body as string };
      return jsonResponse(result.status, result.body, result.headers);
    }));
}

/**
 * Decides, before anything reads the request's body, whether the route exists (404, 405), who
 * calls (401) and whether the caller's token carries the route's scope (403).
 */
function authorization(routes: RouteTable, authenticate: Authenticator): middy.MiddlewareObj<Event, Result, Error, RoutedContext> {
  return {
    before: async ({ event, context }) => {
      const path = routeTemplate(event);
      const methods = path === undefined ? undefined : routes[path];
      if (!methods) throw new NoSuchPathError(`no resource at ${event.rawPath}`);
      const method = event.requestContext.http.method.toUpperCase() as Method;
      const route = Object.hasOwn(methods, method) ? methods[method] : undefined;
      if (!route) throw new MethodNotAllowedError(Object.keys(methods));
      context.route = route;
      if (route.scope === PUBLIC) return;
      context.caller = await authenticate(event.headers?.authorization);
      if (!permits(context.caller.scopes, route.scope)) throw new InsufficientScopeError(route.scope);
    },
  };
}

const COUNTED_METHODS: readonly string[] = ['GET', 'POST', 'PUT', 'DELETE'];

/**
 * Counts each request by route template, method and status class, and writes the invocation's
 * metrics (see metrics.ts). Every dimension value comes from a bounded set: a path outside the
 * route table counts as `$default`, a method other than the four as `OTHER`.
 */
function requestMetrics(routes: RouteTable): middy.MiddlewareObj<Event, Result, Error, RoutedContext> {
  const count = ({ event, response }: middy.Request<Event, Result, Error, RoutedContext>) => {
    const template = routeTemplate(event);
    const method = event.requestContext.http.method.toUpperCase();
    const status = response?.statusCode ?? 500;
    metrics().count('Requests', {
      Route: template !== undefined && Object.hasOwn(routes, template) ? template : '$default',
      Method: COUNTED_METHODS.includes(method) ? method : 'OTHER',
      StatusClass: `${Math.floor(status / 100)}xx`,
    });
    metrics().flush();
  };
  return { after: count, onError: count };
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

function httpRequest(event: Event, caller: Caller): HttpRequest {
  return {
    caller,
    url: requestUrl(event),
    id(name) {
      const value = event.pathParameters?.[name] ?? '';
      validate(objectID, value, name);
      return value;
    },
    query: (spec) => parseQuery(event.rawQueryString ?? '', spec),
    json: () => parseJsonBody(event),
    text: () => bodyText(event),
    header: (name) => event.headers?.[name],
  };
}

function parseJsonBody(event: Event): unknown {
  const text = bodyText(event);
  if (text === '') throw InvalidInputError.field('body', 'is required: send a JSON object');
  return parseJson(text);
}

function bodyText(event: Event): string {
  if (event.body === undefined || event.body === null || event.body === '') return '';
  const raw = Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  if (raw.length > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError(`the request body is ${raw.length} bytes; the limit is ${MAX_BODY_BYTES} bytes`);
  }
  return raw.toString('utf8');
}

function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Result {
  return { statusCode: status, headers: { 'content-type': 'application/json', ...headers }, body: jsonText(body) };
}

/** The absolute URL of the request, for a problem's `instance`. */
function requestUrl(event: Event): string {
  const protocol = event.headers?.['x-forwarded-proto'] ?? 'https';
  return `${protocol}://${event.requestContext.domainName}${event.rawPath}`;
}

function problemsAndAccessLog(logger: Logger): middy.MiddlewareObj<Event, Result, Error, RoutedContext, { startedAt: number }> {
  // Who called, by client id: never the token, the Authorization header or a body.
  const requestLog = (event: Event, context: RoutedContext) =>
    logger.with({ requestId: event.requestContext.requestId, method: event.requestContext.http.method, path: event.rawPath, clientID: context.caller?.clientID });
  return {
    before: (request) => {
      request.internal.startedAt = Date.now();
    },
    after: (request) => {
      const status = request.response?.statusCode;
      requestLog(request.event, request.context).info('request', { status, durationMs: Date.now() - request.internal.startedAt });
    },
    onError: (request) => {
      const { event, error } = request;
      const log = requestLog(event, request.context);
      const durationMs = Date.now() - (request.internal.startedAt ?? Date.now());
      const instance = requestUrl(event);
      const requestId = event.requestContext.requestId;
      if (error instanceof OAuthError) {
        // RFC 6749 §5.2: the token route answers OAuth2 error bodies.
        const headers: Record<string, string> = { ...NOT_CACHED };
        if (error.error === 'invalid_client') headers['www-authenticate'] = 'Basic realm="openadr3-vtn"';
        request.response = jsonResponse(error.status, { error: error.error, error_description: error.message }, headers);
        log.info('request', { status: error.status, durationMs, detail: error.error });
        return;
      }
      if (error instanceof VtnError) {
        const issues = error instanceof InvalidInputError ? { errors: error.issues } : {};
        const headers: Record<string, string> = {};
        if (error instanceof MethodNotAllowedError) headers.allow = error.allowed.join(', ');
        if (error instanceof UnauthorizedError) headers['www-authenticate'] = error.challenge;
        if (error instanceof InsufficientScopeError) headers['www-authenticate'] = `Bearer error="insufficient_scope", scope="${error.scope}"`;
        if (error.status === 503) headers['retry-after'] = '1';
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
