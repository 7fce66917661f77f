/**
 * Which Lambda entry serves which path: one table read by the CDK stack (to wire API Gateway
 * routes and grant table access) and by the local server (to pick the handler for a request).
 */

export const BASE_PATH = '/openadr3/3.1.0';

export interface ResourceEntry {
  /** The entry file is `lambdas/<name>.ts`, exporting `handler`. */
  name: string;
  /** Path templates below BASE_PATH, in API Gateway syntax. */
  paths: string[];
  /** The DynamoDB actions the entry uses on the table and its indexes; the stack grants exactly these. */
  tableActions: string[];
}

// BatchGetItem reads the cache-version shards.
const READ_WRITE = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'];

export const RESOURCES: readonly ResourceEntry[] = [
  { name: 'programs', paths: ['/programs', '/programs/{programID}'], tableActions: READ_WRITE },
  { name: 'events', paths: ['/events', '/events/{eventID}'], tableActions: READ_WRITE },
  { name: 'reports', paths: ['/reports', '/reports/{reportID}'], tableActions: READ_WRITE },
  { name: 'subscriptions', paths: ['/subscriptions', '/subscriptions/{subscriptionID}'], tableActions: READ_WRITE },
  { name: 'vens', paths: ['/vens', '/vens/{venID}'], tableActions: READ_WRITE },
  { name: 'resources', paths: ['/resources', '/resources/{resourceID}'], tableActions: READ_WRITE },
  // The topic routes read programs and vens (and the cache versions).
  {
    name: 'notifiers',
    paths: [
      '/notifiers',
      ...['programs', 'programs/{programID}', 'programs/{programID}/events', 'events', 'reports', 'subscriptions', 'vens', 'resources'].map((path) => `/notifiers/mqtt/topics/${path}`),
      ...['vens/{venID}', 'vens/{venID}/events', 'vens/{venID}/programs', 'vens/{venID}/resources'].map((path) => `/notifiers/mqtt/topics/${path}`),
    ],
    tableActions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
  },
  // The token endpoint reads the client registry; the key set is served beside the API.
  { name: 'auth', paths: ['/auth/server', '/auth/token', '/.well-known/jwks.json'], tableActions: ['dynamodb:GetItem'] },
  // The OpenAPI document and the documentation page with Swagger UI's files, in a bundle of their own.
  { name: 'docs', paths: ['/openapi.json', '/docs', '/docs/swagger-initializer.js', '/docs/swagger-ui-bundle.js', '/docs/swagger-ui.css'], tableActions: [] },
];

/** The route of the token endpoint, which the stack throttles on its own. */
export const TOKEN_PATH = '/auth/token';

/**
 * The entry that answers requests no route matches (API Gateway's `$default` route), so that an
 * unknown path gets a `problem` 404 like every other error.
 */
export const FALLBACK_RESOURCE = 'notifiers';

export interface RouteMatch {
  resource: ResourceEntry;
  /** The matched template, e.g. `/programs/{programID}`. */
  path: string;
  pathParameters: Record<string, string>;
}

/** Matches a request path (with BASE_PATH) against the route table; undefined when nothing fits. */
export function matchRoute(requestPath: string): RouteMatch | undefined {
  if (!requestPath.startsWith(`${BASE_PATH}/`)) return undefined;
  const segments = requestPath.slice(BASE_PATH.length).split('/').slice(1);
  for (const resource of RESOURCES) {
    for (const path of resource.paths) {
      const pathParameters = matchTemplate(path, segments);
      if (pathParameters) return { resource, path, pathParameters };
    }
  }
  return undefined;
}

function matchTemplate(template: string, segments: string[]): Record<string, string> | undefined {
  const parts = template.split('/').slice(1);
  if (parts.length !== segments.length) return undefined;
  const parameters: Record<string, string> = {};
  for (const [index, part] of parts.entries()) {
    const segment = segments[index];
    const name = /^\{(\w+)\}$/.exec(part)?.[1];
    if (name) {
      if (segment === '') return undefined;
      parameters[name] = safeDecode(segment);
    } else if (part !== segment) {
      return undefined;
    }
  }
  return parameters;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
