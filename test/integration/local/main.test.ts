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

const children: ChildProcessWithoutNullStreams[] = [];
// A failed test must not leave its VTN running.
afterEach(() => children.splice(0).forEach((child) => child.exitCode === null && child.kill('SIGKILL')));

function run(env: Record<string, string>): { child: ChildProcessWithoutNullStreams; output: () => string; exited: Promise<number | null> } {
  const child = spawn(TSX, ['local/main.ts'], { cwd: ROOT, env: { ...process.env, VTN_LOG_LEVEL: 'warn', ...env } });
  children.push(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function start(env: Record<string, string>): Promise<Started & { exited: Promise<number | null> }> {
  const started = run({ PORT: '0', MQTT_PORT: '0', ...env });
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

/** A token from the VTN's token endpoint, as the curl line it prints gets one. */
async function token(url: string, clientID: string, clientSecret: string): Promise<string> {
  const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: clientID, client_secret: clientSecret });
  const response = await fetch(`${url}/auth/token`, { method: 'POST', body });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

test('starts, says where it listens, makes and prints clients once, serves, stops cleanly on Ctrl-C and keeps data, clients and key for the next start', async () => {
  // A fixed issuer: the port, and so the default issuer, changes from one start to the next.
  const env = { VTN_DATA_DIR: dataDir, VTN_TOKEN_ISSUER: 'local-test-vtn' };
  const first = await start(env);
  expect(first.output()).toContain(`data in ${dataDir}`);
  const [, blSecret] = /^ {4}bl +BL +(\S+)$/m.exec(first.output()) ?? [];
  expect(first.output()).toMatch(/^ {4}ven-1 +VEN +\S+$/m);
  expect(first.output()).toContain(`a token: curl -s ${first.url}/auth/token -d grant_type=client_credentials -d client_id=bl -d client_secret=${blSecret}`);
  expect((await fetch(`${first.url}/programs`, { method: 'POST', body: JSON.stringify({ programName: 'kept' }) })).status).toBe(401);
  const firstToken = await token(first.url, 'bl', blSecret);
  const created = await fetch(`${first.url}/programs`, { method: 'POST', body: JSON.stringify({ programName: 'kept' }), headers: { authorization: `Bearer ${firstToken}` } });
  expect(created.status).toBe(201);
  first.child.kill('SIGINT');
  expect(await first.exited).toBe(0);
  expect(first.output()).toContain('stopping');

  const second = await start(env);
  expect(second.output()).not.toContain(blSecret);
  expect(second.output()).toContain('access tokens from');
  const secondToken = await token(second.url, 'bl', blSecret);
  for (const bearer of [firstToken, secondToken]) {
    const programs = (await (await fetch(`${second.url}/programs`, { headers: { authorization: `Bearer ${bearer}` } })).json()) as { programName: string }[];
    expect(programs.map((program) => program.programName)).toEqual(['kept']);
  }
  second.child.kill('SIGTERM');
  expect(await second.exited).toBe(0);
}, 60_000);

test('runs an MQTT broker on the same host and says where, advertising it in GET /notifiers; VTN_MQTT=off runs none', async () => {
  const withBroker = await start({ VTN_DATA_DIR: 'memory', VTN_AUTH: 'off' });
  const uri = /MQTT broker on (mqtt:\/\/127\.0\.0\.1:\d+)/.exec(withBroker.output())?.[1];
  expect(uri).toBeDefined();
  const notifiers = await (await fetch(`${withBroker.url}/notifiers`)).json();
  expect(notifiers).toEqual({ WEBHOOK: true, MQTT: { URIS: [uri], serialization: 'JSON', authentication: { method: 'ANONYMOUS' } } });
  withBroker.child.kill('SIGTERM');
  expect(await withBroker.exited).toBe(0);

  const without = await start({ VTN_DATA_DIR: 'memory', VTN_AUTH: 'off', VTN_MQTT: 'off' });
  expect(without.output()).toContain('MQTT broker off');
  expect(await (await fetch(`${without.url}/notifiers`)).json()).toEqual({ WEBHOOK: true });
  without.child.kill('SIGTERM');
  expect(await without.exited).toBe(0);
}, 60_000);

test('VTN_AUTH=off serves anonymous callers, and says so', async () => {
  const open = await start({ VTN_DATA_DIR: 'memory', VTN_AUTH: 'off' });
  expect(open.output()).toContain('VTN_AUTH=off');
  expect((await fetch(`${open.url}/programs`)).status).toBe(200);
  open.child.kill('SIGTERM');
  expect(await open.exited).toBe(0);
}, 60_000);

test('a bad setting stops it at once with a message naming the setting', async () => {
  const bad = run({ PORT: 'eighty', VTN_DATA_DIR: 'memory' });
  expect(await bad.exited).toBe(1);
  expect(bad.output()).toMatch(/could not start the local VTN: PORT must be/);
  const badConfig = run({ PORT: '0', VTN_DATA_DIR: 'memory', VTN_EVENT_CACHE_TTL_MS: 'soon' });
  expect(await badConfig.exited).toBe(1);
  expect(badConfig.output()).toContain('VTN_EVENT_CACHE_TTL_MS');
  for (const [name, value] of [['MQTT_PORT', '99999'], ['VTN_MQTT', 'maybe'], ['VTN_MQTT_URIS', 'http://broker']]) {
    const badMqtt = run({ PORT: '0', MQTT_PORT: '0', VTN_DATA_DIR: 'memory', [name]: value });
    expect(await badMqtt.exited).toBe(1);
    expect(badMqtt.output()).toContain(name);
  }
}, 60_000);
