import { readFileSync } from 'node:fs';
import { OUTPUT } from '../../../scripts/generate-openapi';
import { RESOURCES } from '../../../lambdas/routes';
import { ApiClient } from '../../support/api-client';

let api: ApiClient;
beforeAll(async () => {
  api = (await ApiClient.start()).anonymous();
});
afterAll(() => api.close());

test('GET /openapi.json needs no token and is the generated document, cached briefly', async () => {
  const response = await api.get('/openapi.json');
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/json');
  expect(response.headers.get('cache-control')).toBe('public, max-age=300');
  expect(response.body).toEqual(JSON.parse(readFileSync(OUTPUT, 'utf8')));
});

test('GET /docs is an HTML page whose policy allows only the VTN itself, with no inline script or style', async () => {
  const response = await api.withAuthorization('Bearer not.a.token').get('/docs');
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(response.headers.get('cache-control')).toBe('public, max-age=300');
  const policy = response.headers.get('content-security-policy') ?? '';
  expect(policy).toContain("default-src 'none'");
  for (const directive of ['script-src', 'style-src', 'connect-src']) expect(policy).toMatch(new RegExp(`${directive} 'self'(;|$)`));
  expect(policy).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
  const html = response.body as string;
  expect([...html.matchAll(/<script([^>]*)>/g)].every(([, attributes]) => / src="[^"]+"/.test(attributes))).toBe(true);
  expect(html).not.toMatch(/<style|style="/);
});

test("every file the page loads is served beside it, with its content type; Swagger UI's own, by a versioned URL, for good", async () => {
  const html = (await api.get('/docs')).body as string;
  const referenced = [...html.matchAll(/(?:src|href)="(docs\/[^"?]+)(\?v=[\d.]+)?"/g)].map(([, path, version]) => ({ path: `/${path}`, versioned: Boolean(version) }));
  const served = RESOURCES.find((resource) => resource.name === 'docs')!.paths.filter((path) => path.startsWith('/docs/'));
  expect(referenced.map(({ path }) => path).sort()).toEqual([...served].sort());
  const types: Record<string, string> = { css: 'text/css; charset=utf-8', js: 'text/javascript; charset=utf-8' };
  for (const { path, versioned } of referenced) {
    const response = await api.get(path);
    expect({ path, status: response.status, type: response.headers.get('content-type') }).toEqual({ path, status: 200, type: types[path.split('.').pop()!] });
    expect({ path, cache: response.headers.get('cache-control') }).toEqual({ path, cache: versioned ? 'public, max-age=31536000, immutable' : 'public, max-age=300' });
    expect((response.body as string).length).toBeGreaterThan(100);
  }
});

test('the documentation is read-only: another method is 405 with Allow: GET', async () => {
  const response = await api.request('POST', '/docs', { body: '{}' });
  expect(response.status).toBe(405);
  expect(response.headers.get('allow')).toBe('GET');
  expect((await api.request('PUT', '/openapi.json', { body: '{}' })).status).toBe(405);
});
