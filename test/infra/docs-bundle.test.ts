import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { routeRequest } from '../../local/api-gateway';
import { BASE_PATH } from '../../lambdas/routes';
import { entryFiles, entryPath, esbuildOptions } from '../../lib/bundling';

type Handler = (event: unknown, context: unknown) => Promise<{ statusCode: number; body: string; headers: Record<string, string> }>;

// The docs entry as the stack deploys it: its bundle, and Swagger UI's files copied beside it.
describe('the bundled docs entry', () => {
  let dir: string;
  let handler: Handler;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'docs-bundle-'));
    const outfile = join(dir, 'index.js');
    await build({ ...esbuildOptions(entryPath('docs')), outfile, logLevel: 'silent' });
    for (const file of entryFiles('docs')) copyFileSync(file.source, join(dirname(outfile), file.name));
    ({ handler } = require(outfile) as { handler: Handler });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const context = { getRemainingTimeInMillis: () => 10_000, awsRequestId: 'docs-bundle' };
  const get = (path: string) => handler(routeRequest({ method: 'GET', url: `${BASE_PATH}${path}`, headers: {} }).event, context);

  test.each([
    ['/docs/swagger-ui-bundle.js', 'swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
    ['/docs/swagger-ui.css', 'swagger-ui.css', 'text/css; charset=utf-8'],
  ])('serves %s from the file beside the bundle', async (path, name, contentType) => {
    expect(entryFiles('docs').map((file) => file.name)).toContain(name);
    const response = await get(path);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe(contentType);
    expect(response.body).toBe(readFileSync(join(dir, name), 'utf8'));
  });

  test("the bundle does not carry the files' text inside", () => {
    const bundled = readFileSync(join(dir, 'index.js'), 'utf8');
    for (const file of entryFiles('docs')) {
      const text = readFileSync(file.source, 'utf8');
      expect(bundled).not.toContain(text.slice(text.length / 2, text.length / 2 + 200));
    }
  });
});
