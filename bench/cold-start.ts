import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { createServer } from 'node:tls';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { entryFiles, entryPath, esbuildOptions } from '../lib/bundling';
import { percentile } from './stats';

const BUILD_DIR = join(__dirname, '.build');

/**
 * BENCH_COLD_START_BASELINE=<another checkout, with its node_modules>: its bundles are measured too,
 * each run beside one of ours, so that a before and after share the machine's conditions.
 */
const BASELINE_DIR = process.env.BENCH_COLD_START_BASELINE;

/** Bundles an entry as the CDK stack does (NodejsFunction's esbuild options, the files it reads beside it); returns its path. */
async function bundle(name: string, entry: string, options = esbuildOptions, files = entryFiles(name)): Promise<string> {
  const outfile = join(BUILD_DIR, name, 'index.js');
  await build({ ...options(entry), outfile, logLevel: 'silent' });
  for (const file of files) copyFileSync(file.source, join(dirname(outfile), file.name));
  return outfile;
}

interface Bundle {
  path: string;
  /** The NODE_OPTIONS its functions run with: none now, `--enable-source-maps` in older baselines. */
  nodeOptions: string;
}

/** The baseline's bundle of an entry, made and run with the baseline's own settings; undefined if it has no such entry. */
async function baselineBundle(name: string, entry: string): Promise<Bundle | undefined> {
  if (!BASELINE_DIR) return undefined;
  const baselineEntry = name === 'noop' ? entry : join(BASELINE_DIR, 'lambdas', `${name}.ts`);
  if (!existsSync(baselineEntry)) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const baseline = require(join(BASELINE_DIR, 'lib', 'bundling')) as { esbuildOptions: typeof esbuildOptions; entryFiles?: typeof entryFiles; FUNCTION_NODE_OPTIONS?: string };
  const files = baseline.entryFiles?.(name) ?? [];
  return { path: await bundle(join('baseline', name), baselineEntry, baseline.esbuildOptions, files), nodeOptions: baseline.FUNCTION_NODE_OPTIONS ?? '' };
}

/** A fresh Node process loads the bundle and serves one request; times are from process start. */
const RUNNER = `
const t0 = performance.now();
const { handler } = require(process.argv[1]);
const loaded = performance.now();
const event = JSON.parse(process.argv[2]);
handler(event, { getRemainingTimeInMillis: () => 10000, awsRequestId: 'cold', invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:cold' }).then((result) => {
  const done = performance.now();
  // A refused connection (the IoT authorizer) counts as a failure too.
  const failures = (result.batchItemFailures ?? []).length + (result.isAuthenticated === false ? 1 : 0);
  const cpu = process.cpuUsage();
  process.stdout.write(JSON.stringify({ status: result.statusCode ?? 200, failures, processStartMs: t0, loadMs: loaded - t0, firstRequestMs: done - loaded, totalMs: done, cpuMs: (cpu.user + cpu.system) / 1000 }));
  // Keep-alive sockets would hold the process open.
  process.exit(0);
});
`;

export interface ColdStart {
  bundleBytes: number;
  /** Process start to first response, median of the runs. */
  coldStartMs: number;
  loadMs: number;
  firstRequestMs: number;
  /** CPU time the process spent until its first response: less moved by other work on the machine. */
  cpuMs: number;
  /** The same, of BENCH_COLD_START_BASELINE's bundle, when given. */
  baseline?: ColdStart;
}

interface Run {
  status: number;
  /** Batch item failures, for stream entries; a refusal, for the IoT authorizer. */
  failures: number;
  totalMs: number;
  loadMs: number;
  firstRequestMs: number;
  cpuMs: number;
}

/** BENCH_COLD_START_NODE=<path to a node binary>: the Node the fresh processes run, e.g. Lambda's Node 22; this one's by default. */
const NODE = process.env.BENCH_COLD_START_NODE ?? process.execPath;

/** BENCH_COLD_START_PROFILE=<dir>: each fresh process writes a CPU profile there. */
const PROFILE_DIR = process.env.BENCH_COLD_START_PROFILE;

// Asynchronous: the embedded database the child talks to runs in this process.
async function runFresh({ path, nodeOptions }: Bundle, event: unknown, env: NodeJS.ProcessEnv): Promise<Run> {
  const profile = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, '--cpu-prof-interval=100'] : [];
  // As Lambda starts a function: the stack's node options, and the variable Lambda sets during
  // init, which lets entries start work there.
  const lambdaEnv = { NODE_OPTIONS: nodeOptions, AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand' };
  const options = { env: { ...env, ...lambdaEnv }, encoding: 'utf8' as const, timeout: 30_000 };
  const { stdout } = await promisify(execFile)(NODE, [...profile, '-e', RUNNER, path, JSON.stringify(event)], options);
  return JSON.parse(stdout) as Run;
}

/**
 * The database behind TLS, as DynamoDB is: the fresh processes then take the SDK's https path (the
 * http one imports node:http dynamically, which on Node 22 also loads undici, some 10 ms Lambda
 * never spends) and pay for a handshake, as a function does. A self-signed certificate for
 * 127.0.0.1 (made with openssl), which the processes trust through NODE_EXTRA_CA_CERTS.
 */
export async function tlsFront(endpoint: string): Promise<{ env: NodeJS.ProcessEnv; close: () => void }> {
  mkdirSync(BUILD_DIR, { recursive: true });
  const key = join(BUILD_DIR, 'tls-key.pem');
  const cert = join(BUILD_DIR, 'tls-cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  const backend = new URL(endpoint);
  const server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (client) => {
    const database = connect(Number(backend.port), backend.hostname);
    // Small requests and answers, passed on at once (Nagle's wait would add tens of ms).
    client.setNoDelay(true);
    database.setNoDelay(true);
    client.pipe(database).pipe(client);
    const end = () => {
      client.destroy();
      database.destroy();
    };
    client.on('error', end);
    database.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { env: { DYNAMODB_ENDPOINT: `https://127.0.0.1:${port}`, NODE_EXTRA_CA_CERTS: cert }, close: () => server.close() };
}

/** `event`: what the entry is invoked with, as AWS would send it. */
export async function measureColdStarts(
  entries: { name: string; event: unknown }[],
  env: NodeJS.ProcessEnv,
  runs: number,
): Promise<Record<string, ColdStart>> {
  mkdirSync(BUILD_DIR, { recursive: true });
  const noopEntry = join(BUILD_DIR, 'noop.ts');
  writeFileSync(noopEntry, "export const handler = async () => ({ statusCode: 200, body: '{}' });\n");
  const targets = [
    ...entries.map(({ name, event }) => ({ name, entry: entryPath(name), event })),
    { name: 'noop', entry: noopEntry, event: {} },
  ];
  const results: Record<string, ColdStart> = {};
  for (const target of targets) {
    const ours = { path: await bundle(target.name, target.entry), nodeOptions: '' };
    const bundles = [ours, await baselineBundle(target.name, target.entry)];
    const samples: Run[][] = [[], []];
    for (let run = 0; run < runs; run++) {
      // Alternating which goes first, so neither always meets the other's leftovers.
      for (const which of run % 2 === 0 ? [0, 1] : [1, 0]) {
        const runnable = bundles[which];
        if (!runnable) continue;
        const sample = await runFresh(runnable, target.event, env);
        if (sample.status >= 400 || sample.failures > 0) throw new Error(`${target.name}${which ? ' (baseline)' : ''} failed its first request`);
        samples[which].push(sample);
      }
    }
    const baseline = bundles[1] && summary(bundles[1].path, samples[1]);
    results[target.name] = { ...summary(ours.path, samples[0]), ...(baseline ? { baseline } : {}) };
  }
  return results;
}

function summary(bundlePath: string, samples: Run[]): ColdStart {
  const median = (figure: (sample: Run) => number) => percentile(samples.map(figure), 50);
  return {
    bundleBytes: statSync(bundlePath).size,
    coldStartMs: median((sample) => sample.totalMs),
    loadMs: median((sample) => sample.loadMs),
    firstRequestMs: median((sample) => sample.firstRequestMs),
    cpuMs: median((sample) => sample.cpuMs),
  };
}
