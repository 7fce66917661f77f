import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { authRoutes } from '../lambdas/auth';
import { eventRoutes } from '../lambdas/events';
import type { RouteTable } from '../lambdas/core/http/router';
import { notifierRoutes } from '../lambdas/notifiers';
import { programRoutes } from '../lambdas/programs';
import { reportRoutes } from '../lambdas/reports';
import { resourceRoutes } from '../lambdas/resources';
import { BASE_PATH, TOKEN_PATH } from '../lambdas/routes';
import { subscriptionRoutes } from '../lambdas/subscriptions';
import { venRoutes } from '../lambdas/vens';
import { writeOrCheck } from './generated-file';

/**
 * Generates lambdas/core/openadr/openapi.generated.json, the OpenAPI document the VTN serves at
 * /openapi.json: spec/openadr3.yaml (OpenADR 3.1.0) as this VTN deploys it. `npm run
 * generate:openapi` writes it; `--check` fails if the file differs from what the generator makes
 * now (a test runs it). What is changed, and why:
 * - `servers` is this VTN's base path, relative, so that "try it" calls the host that served the
 *   page, locally and behind API Gateway; the spec's mock server is dropped.
 * - The client credentials flow's `tokenUrl` is this VTN's token endpoint (relative to the host).
 * - GET /events describes the `dateStart`/`dateEnd` extension.
 * - The public extensions beside the spec's operations are described: the token key set, this
 *   document and its documentation page.
 * - An operation of the spec that no entry serves is marked `x-not-served` and says so in its
 *   summary, rather than removed: the reader learns the VTN lacks it.
 * - `info.description` starts with a note on these differences; `info.license` is the spec's.
 */

const ROOT = join(__dirname, '..');
const SPEC = join(ROOT, 'spec', 'openadr3.yaml');
export const OUTPUT = join(ROOT, 'lambdas', 'core', 'openadr', 'openapi.generated.json');

export const METHODS = ['GET', 'POST', 'PUT', 'DELETE'] as const;

const unused = () => {
  throw new Error('not called');
};

/** Every API entry's route table, as its handler serves it (the docs entry's own are below). */
export const API_ROUTE_TABLES: Record<string, RouteTable> = {
  programs: programRoutes(unused),
  events: eventRoutes(unused),
  reports: reportRoutes(unused),
  subscriptions: subscriptionRoutes(unused),
  vens: venRoutes(unused),
  resources: resourceRoutes(unused),
  notifiers: notifierRoutes(unused),
  auth: authRoutes,
};

/** The api-docs entry's paths that are part of the page rather than operations of the API. */
export const isDocsPageAsset = (path: string): boolean => path.startsWith('/docs/');

type Json = Record<string, any>;

const DATE_RANGE_PARAMETERS = [
  {
    name: 'dateStart',
    in: 'query',
    required: false,
    description: "Extension of this VTN: keeps events whose start is at or after this instant (RFC 3339, any offset). With dateStart or dateEnd, the list is in order of the events' start.",
    schema: { $ref: '#/components/schemas/dateTime' },
  },
  {
    name: 'dateEnd',
    in: 'query',
    required: false,
    description: 'Extension of this VTN: keeps events whose start is at or before this instant (RFC 3339, any offset). Before dateStart is 400.',
    schema: { $ref: '#/components/schemas/dateTime' },
  },
];

const problemResponse = { $ref: '#/components/responses/internalServerError' };

/** Public operations of this VTN that the spec does not have. */
const EXTENSION_PATHS: Json = {
  '/.well-known/jwks.json': {
    get: {
      tags: ['Auth'],
      summary: "the public keys that verify this VTN's access tokens (extension)",
      operationId: 'getTokenKeySet',
      description: 'A JSON Web Key Set (RFC 7517). No token needed.',
      security: [],
      responses: { '200': { description: 'OK.', content: { 'application/json': { schema: { type: 'object', required: ['keys'], properties: { keys: { type: 'array', items: { type: 'object' } } } } } } }, '500': problemResponse },
    },
  },
  '/openapi.json': {
    get: {
      tags: ['documentation'],
      summary: 'this document (extension)',
      operationId: 'getOpenApiDocument',
      description: 'The OpenAPI document of this VTN. No token needed.',
      security: [],
      responses: { '200': { description: 'OK.', content: { 'application/json': { schema: { type: 'object' } } } }, '500': problemResponse },
    },
  },
  '/docs': {
    get: {
      tags: ['documentation'],
      summary: 'the interactive documentation page of this document (extension)',
      operationId: 'getDocumentationPage',
      description: 'An HTML page (Swagger UI) that shows this document and can call the VTN. No token needed.',
      security: [],
      responses: { '200': { description: 'OK.', content: { 'text/html': { schema: { type: 'string' } } } }, '500': problemResponse },
    },
  },
};

const NOTE = [
  `This VTN's description, generated from the official OpenADR 3.1.0 document (openadr3.yaml, copyright the OpenADR Alliance, Apache License 2.0) by scripts/generate-openapi.ts. What differs from it:`,
  '',
  `* The server is this VTN (\`${BASE_PATH}\` on the host that serves this document); tokens come from its own \`${TOKEN_PATH}\` endpoint (OAuth2 client credentials), and every operation with a scope requires a bearer token carrying it.`,
  '* GET /events also takes `dateStart` and `dateEnd` (extension): events whose start lies in that inclusive range.',
  '* Extensions: GET /.well-known/jwks.json (the keys that verify tokens), GET /openapi.json (this document) and GET /docs (this page).',
  '* Operations marked "Not served by this VTN" (`x-not-served`) are in the specification but answer 404 here.',
  '',
  '---',
  '',
].join('\n');

/** Path -> methods the given route tables serve. */
function servedOperations(tables: RouteTable[]): Map<string, Set<string>> {
  const served = new Map<string, Set<string>>();
  for (const table of tables) {
    for (const [path, methods] of Object.entries(table)) {
      const known = served.get(path) ?? new Set<string>();
      for (const method of Object.keys(methods)) known.add(method);
      served.set(path, known);
    }
  }
  return served;
}

export function generateDocument(): Json {
  const spec = parse(readFileSync(SPEC, 'utf8')) as Json;
  const served = servedOperations(Object.values(API_ROUTE_TABLES));
  const paths: Json = {};
  for (const [path, item] of Object.entries(spec.paths as Json)) {
    const described: Json = { ...item };
    for (const method of METHODS) {
      const operation = item[method.toLowerCase()];
      if (!operation) continue;
      if (!served.get(path)?.has(method)) {
        described[method.toLowerCase()] = { ...operation, summary: `Not served by this VTN: ${operation.summary.trim()}`, 'x-not-served': true };
      }
    }
    paths[path] = described;
  }
  const searchEvents = paths['/events'].get;
  paths['/events'].get = { ...searchEvents, parameters: [...searchEvents.parameters, ...DATE_RANGE_PARAMETERS] };
  Object.assign(paths, EXTENSION_PATHS);

  const schemes = spec.components.securitySchemes as Json;
  const oAuth2 = schemes.oAuth2ClientCredentials;
  return {
    ...spec,
    info: { ...spec.info, description: `${NOTE}${spec.info.description}`, license: spec.info.license },
    servers: [{ url: BASE_PATH, description: 'this VTN' }],
    paths,
    components: {
      ...spec.components,
      securitySchemes: {
        ...schemes,
        oAuth2ClientCredentials: {
          ...oAuth2,
          flows: { clientCredentials: { ...oAuth2.flows.clientCredentials, tokenUrl: `${BASE_PATH}${TOKEN_PATH}` } },
        },
      },
    },
  };
}

export function generate(): string {
  return `${JSON.stringify(generateDocument(), null, 2)}\n`;
}

if (require.main === module) writeOrCheck(OUTPUT, generate(), 'generate:openapi');
