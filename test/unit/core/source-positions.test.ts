import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { esbuildOptions } from '../../../lib/bundling';
import { PUBLIC } from '../../../lambdas/core/auth/scopes';
import { httpHandler } from '../../../lambdas/core/http/router';
import { Logger } from '../../../lambdas/core/logger';
import { BASE_PATH } from '../../../lambdas/routes';
import { routeRequest } from '../../../local/api-gateway';
import { withSourcePositions } from '../../../lambdas/core/source-positions';

// A module bundled as the functions are (minified, a source map beside it without the sources),
// whose error is thrown three lines into a named function.
const FIXTURE = `export function checkPayload(value: number): number {
  const doubled = value * 2;
  if (doubled > 10) {
    throw new Error('payload too large');
  }
  return doubled;
}
export function handle(value: number): number {
  return checkPayload(value) + 1;
}
`;

describe('stack traces of a bundle, told in its sources when logged', () => {
  let dir: string;
  let bundled: { handle(value: number): number };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'source-positions-'));
    const entry = join(dir, 'lambdas', 'fixture.ts');
    mkdirSync(join(dir, 'lambdas'));
    writeFileSync(entry, FIXTURE);
    await build({ ...esbuildOptions(entry), outfile: join(dir, 'out', 'index.js'), logLevel: 'silent' });
    bundled = require(join(dir, 'out', 'index.js'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function thrownStack(): string {
    try {
      bundled.handle(6);
    } catch (error) {
      return (error as Error).stack!;
    }
    throw new Error('the fixture did not throw');
  }

  test('a frame in the bundle names the source file, line and column, and the function by its source name', () => {
    const raw = thrownStack();
    // Without the map the frame points into the minified bundle.
    expect(raw.split('\n')[1]).toMatch(/out\/index\.js:\d+:\d+\)?$/);
    const mapped = withSourcePositions(raw).split('\n');
    expect(mapped[0]).toBe('Error: payload too large');
    expect(mapped[1]).toBe('    at checkPayload (lambdas/fixture.ts:4:11)');
    expect(mapped[2]).toMatch(/^ {4}at (\S+ \()?lambdas\/fixture\.ts:9:10\)?$/);
  });

  test('frames of files without a map beside them, and other lines, stay as they are', () => {
    const stack = ['Error: elsewhere', '    at run (/no/such/dir/index.js:1:2)', '    at node:internal/main:3:4', '    at async Promise.all (index 0)'].join('\n');
    expect(withSourcePositions(stack)).toBe(stack);
  });

  test("a message whose lines look like frames of many files leaves them as they are, and the bundle's own frames are still told in the sources", () => {
    jest.isolateModules(() => {
      const fresh = require('../../../lambdas/core/source-positions') as typeof import('../../../lambdas/core/source-positions');
      const [firstLine, ...frames] = thrownStack().split('\n');
      const lookalikes = Array.from({ length: 100 }, (_, index) => `    at x (/no/such/dir-${index}/index.js:1:1)`);
      const mapped = fresh.withSourcePositions([firstLine, ...lookalikes, ...frames].join('\n')).split('\n');
      expect(mapped.slice(1, 101)).toEqual(lookalikes);
      expect(mapped[101]).toBe('    at checkPayload (lambdas/fixture.ts:4:11)');
    });
  });

  test('the logger writes an error with its stack told in the sources', () => {
    const lines: string[] = [];
    const error = (() => {
      try {
        bundled.handle(7);
      } catch (thrown) {
        return thrown as Error;
      }
    })();
    new Logger('error', {}, (line) => lines.push(line)).error('unexpected failure', { error });
    const logged = JSON.parse(lines[0]);
    expect(logged.error.message).toBe('payload too large');
    expect(logged.error.stack.split('\n')[1]).toBe('    at checkPayload (lambdas/fixture.ts:4:11)');
  });
});

describe('logging an error whatever its stack', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'source-positions-odd-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A file `relative` under the temporary folder with `map` beside it as its source map; its path. */
  function bundleWithMap(relative: string, map: unknown): string {
    const file = join(dir, relative);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, 'x');
    writeFileSync(`${file}.map`, typeof map === 'string' ? map : JSON.stringify(map));
    return file;
  }

  function logged(error: Error): Record<string, unknown> {
    const lines: string[] = [];
    new Logger('error', {}, (line) => lines.push(line)).error('unexpected failure', { error });
    return JSON.parse(lines[0]).error;
  }

  test.each([
    ['a number', 42],
    ['an object', { frames: ['a'] }],
    ['an array', ['    at f (/var/task/index.js:1:2)']],
  ])('a stack overwritten with %s is written as it is', (_kind, stack) => {
    const error = Object.assign(new Error('odd stack'), { stack });
    expect(logged(error)).toEqual({ name: 'Error', message: 'odd stack', stack });
  });

  test('a request failing with such an error is still answered with a 500 problem, and logged', async () => {
    const lines: string[] = [];
    const failing = Object.assign(new Error('odd stack'), { stack: { frames: [] } });
    const handler = httpHandler({ '/programs': { GET: { scope: PUBLIC, handle: async () => Promise.reject(failing) } } }, new Logger('error', {}, (line) => lines.push(line)));
    const { event } = routeRequest({ method: 'GET', url: `${BASE_PATH}/programs`, headers: {} });
    const response = await handler(event, { getRemainingTimeInMillis: () => 10_000, awsRequestId: 'odd-stack' } as never);
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body ?? '')).toMatchObject({ status: 500, title: 'Internal Server Error' });
    expect(lines.map((line) => JSON.parse(line).error)).toEqual([{ name: 'Error', message: 'odd stack', stack: { frames: [] } }]);
  });

  test('a frame in a file whose source map names its sources oddly stays as it is', () => {
    const file = bundleWithMap('odd/index.js', { version: 3, sources: [5], names: [], mappings: 'AAAA' });
    const stack = `Error: odd map\n    at f (${file}:1:1)`;
    expect(withSourcePositions(stack)).toBe(stack);
    expect(logged(Object.assign(new Error('odd map'), { stack })).stack).toBe(stack);
  });

  test("a frame in a package's own build is told in that package's sources, not in a bare src/", () => {
    const file = bundleWithMap('node_modules/some-package/build/lib/client.js', { version: 3, sources: ['../../src/lib/client.ts'], names: [], mappings: 'AAAA' });
    expect(withSourcePositions(`Error: in a package\n    at Client.send (${file}:1:1)`).split('\n')[1]).toBe('    at Client.send (node_modules/some-package/src/lib/client.ts:1:1)');
  });
});
