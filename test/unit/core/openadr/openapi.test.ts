import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { PUBLIC } from '../../../../lambdas/core/auth/scopes';
import { docsRoutes } from '../../../../lambdas/docs';
import { BASE_PATH } from '../../../../lambdas/routes';
import { API_ROUTE_TABLES, generate, isDocsPageAsset, METHODS, OUTPUT } from '../../../../scripts/generate-openapi';

const ROOT = join(__dirname, '../../../..');
const committed = () => JSON.parse(readFileSync(OUTPUT, 'utf8'));
const spec = () => parse(readFileSync(join(ROOT, 'spec/openadr3.yaml'), 'utf8'));

type Operation = { security?: Record<string, string[]>[]; parameters?: { name: string; in: string }[]; summary: string; 'x-not-served'?: boolean };

/** `METHOD path` of every operation of the document, with the operation. */
function operations(document: { paths: Record<string, Record<string, unknown>> }): Map<string, Operation> {
  const found = new Map<string, Operation>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) if (item[method.toLowerCase()]) found.set(`${method} ${path}`, item[method.toLowerCase()] as Operation);
  }
  return found;
}

/** `METHOD path` to the scope, of every route of every entry but the documentation page's files. */
function servedRoutes(): Map<string, string> {
  const tables = [...Object.values(API_ROUTE_TABLES), docsRoutes];
  const routes = new Map<string, string>();
  for (const table of tables) {
    for (const [path, methods] of Object.entries(table)) {
      if (isDocsPageAsset(path)) continue;
      for (const [method, route] of Object.entries(methods)) routes.set(`${method} ${path}`, route!.scope);
    }
  }
  return routes;
}

describe('the OpenAPI document the VTN serves', () => {
  test('the committed document is what the generator makes (npm run generate:openapi)', () => {
    expect(readFileSync(OUTPUT, 'utf8') === generate()).toBe(true);
  });

  test('every route the entries serve is described, and every described operation is served or marked x-not-served', () => {
    const described = operations(committed());
    const served = servedRoutes();
    expect([...served.keys()].filter((operation) => !described.has(operation))).toEqual([]);
    const unserved = [...described].filter(([operation]) => !served.has(operation));
    expect(unserved.filter(([, operation]) => operation['x-not-served'] !== true).map(([name]) => name)).toEqual([]);
    // Marked ones are the spec's (MQTT topics, until served), and a served one is never marked.
    for (const [name, operation] of unserved) expect({ name, summary: operation.summary }).toEqual({ name, summary: expect.stringMatching(/^Not served by this VTN: /) });
    expect([...described].filter(([name, operation]) => served.has(name) && operation['x-not-served'])).toEqual([]);
  });

  test('each served operation asks for the scope its route requires, and public ones for none', () => {
    const described = operations(committed());
    for (const [name, scope] of servedRoutes()) {
      const security = described.get(name)!.security;
      if (scope === PUBLIC) {
        expect({ name, security: security ?? [] }).toEqual({ name, security: [] });
      } else {
        expect({ name, security }).toEqual({ name, security: [{ oAuth2ClientCredentials: [scope] }, { bearerAuth: [] }] });
      }
    }
  });

  test("servers and the token URL are this VTN's, relative to the host that serves it; the spec's licence and the rest of info stay", () => {
    const document = committed();
    expect(document.servers).toEqual([{ url: BASE_PATH, description: 'this VTN' }]);
    expect(document.components.securitySchemes.oAuth2ClientCredentials.flows.clientCredentials.tokenUrl).toBe(`${BASE_PATH}/auth/token`);
    const { info } = spec();
    expect(document.info).toEqual({ ...info, description: expect.stringContaining(info.description) });
    expect(document.info.license).toEqual({ name: 'Apache 2.0', url: 'http://www.apache.org/licenses/LICENSE-2.0.html' });
    expect(document.info.description).toMatch(/^This VTN's description, generated from the official OpenADR 3.1.0 document/);
  });

  test('GET /events describes the dateStart/dateEnd extension beside the spec parameters; other operations are as in the spec', () => {
    const document = committed();
    const original = spec();
    const names = document.paths['/events'].get.parameters.map((parameter: { name: string }) => parameter.name);
    expect(names).toEqual([...original.paths['/events'].get.parameters.map((parameter: { name: string }) => parameter.name), 'dateStart', 'dateEnd']);
    expect(document.paths['/programs']).toEqual(original.paths['/programs']);
    expect(document.components.schemas).toEqual(original.components.schemas);
  });
});
