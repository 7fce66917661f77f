import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** `npm start` as a user runs it: the real entry point in its own process. */
const ROOT = join(__dirname, '..', '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

interface Started {
  child: ChildProcessWithoutNullStreams;
  url: string;
  output: () => string;
}

function run(env: Record<string, string>): { child: ChildProcessWithoutNullStreams; output: () => string; exited: Promise<number | null> } {
  const child = spawn(TSX, ['local/main.ts'], { cwd: ROOT, env: { ...process.env, VTN_LOG_LEVEL: 'warn', ...env } });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function start(env: Record<string, string>): Promise<Started & { exited: Promise<number | null> }> {
  const started = run({ PORT: '0', ...env });
  const deadline = Date.now() + 20_000;
  for (;;) {
    const url = /listening on (http:\/\/\S+)/.exec(started.output())?.[1];
    if (url) return { ...started, url };
    if (Date.now() > deadline || started.child.exitCode !== null) throw new Error(`did not start:\n${started.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

let dataDir: string;
beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'vtn-data-'));
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

test('starts, says where it listens, serves, stops cleanly on Ctrl-C and keeps its data for the next start', async () => {
  const first = await start({ VTN_DATA_DIR: dataDir });
  expect(first.output()).toContain(`data in ${dataDir}`);
  const created = await fetch(`${first.url}/programs`, { method: 'POST', body: JSON.stringify({ programName: 'kept' }) });
  expect(created.status).toBe(201);
  first.child.kill('SIGINT');
  expect(await first.exited).toBe(0);
  expect(first.output()).toContain('stopping');

  const second = await start({ VTN_DATA_DIR: dataDir });
  const programs = (await (await fetch(`${second.url}/programs`)).json()) as { programName: string }[];
  expect(programs.map((program) => program.programName)).toEqual(['kept']);
  second.child.kill('SIGTERM');
  expect(await second.exited).toBe(0);
}, 60_000);

test('a bad setting stops it at once with a message naming the setting', async () => {
  const bad = run({ PORT: 'eighty', VTN_DATA_DIR: 'memory' });
  expect(await bad.exited).toBe(1);
  expect(bad.output()).toMatch(/could not start the local VTN: PORT must be/);
  const badConfig = run({ PORT: '0', VTN_DATA_DIR: 'memory', VTN_EVENT_CACHE_TTL_MS: 'soon' });
  expect(await badConfig.exited).toBe(1);
  expect(badConfig.output()).toContain('VTN_EVENT_CACHE_TTL_MS');
}, 60_000);
