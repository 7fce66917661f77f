import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { esbuildOptions } from '../../../lib/bundling';
import { Logger } from '../../../lambdas/core/logger';
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
