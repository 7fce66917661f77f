import { spawn } from 'node:child_process';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';

/**
 * `npm start` with the MQTT port taken (another broker on 1883 is common): the message names the
 * setting to change, MQTT_PORT (or VTN_MQTT=off), not the API's PORT.
 */
const ROOT = join(__dirname, '..', '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

let busy: Server;
beforeAll(async () => {
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', () => resolve()));
});
afterAll(() => new Promise<void>((resolve) => busy.close(() => resolve())));

test('a taken MQTT port is reported as MQTT_PORT to change', async () => {
  const { port } = busy.address() as AddressInfo;
  const child = spawn(TSX, ['local/main.ts'], { cwd: ROOT, env: { ...process.env, VTN_LOG_LEVEL: 'warn', PORT: '0', MQTT_PORT: String(port), VTN_DATA_DIR: 'memory' } });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (exitCode) => resolve(exitCode)));
  clearTimeout(timer);
  expect(code).toBe(1);
  expect(output).toContain('could not start the local VTN');
  expect(output).toMatch(/MQTT_PORT|VTN_MQTT=off/);
  expect(output).not.toContain('set PORT to another one');
}, 40_000);
