import './quiet';
import { createPublicKey } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Temporal } from 'temporal-polyfill';
import { readConfig } from '../lambdas/core/config';
import { newObjectId } from '../lambdas/core/ids';
import { hydrate } from '../lambdas/core/openadr/temporal-fields';
import type { Program } from '../lambdas/core/openadr/types';
import { dynamoClient, resetRuntime, storageFor } from '../lambdas/core/runtime';
import { ensureTable } from '../lambdas/core/storage/dynamo/ensure-table';
import { toItem } from '../lambdas/core/storage/dynamo/item-codec';
import { BASE_PATH, RESOURCES } from '../lambdas/routes';
import { invokeApi, routeRequest, type ApiRequest } from '../local/api-gateway';
import { localDynamoClient, startEmbeddedDynamo } from '../local/embedded-dynamodb';
import { measureColdStarts, tlsFront } from './cold-start';
import { DynamoMeter } from './meter';
import { measureQueryCost } from './query-cost';
import { benchVenClient, seed, seedReports, seedVens, type DataSet } from './seed';
import { measureWebhooks, startReceiver, type WebhookReceiver } from './webhooks';
import { measureFaults } from './faults';
import { measureMqtt, type ChangeCost } from './mqtt';
import { bearer, useTestSigningKey } from '../test/support/tokens';
import { mean, percentile, round } from './stats';

/**
 * The benchmark: latency, DynamoDB requests and read capacity of the hot paths through the real
 * handlers (API Gateway v2 events, in process) on an embedded dynalite; how cost scales with the
 * table; cross-instance coherence; and cold starts of the bundles the stack deploys.
 * Sizes and iteration counts come from the environment (see README); every part is bounded.
 */

function setting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number >= 1, got "${raw}"`);
  return value;
}

const SIZE = {
  programs: setting('BENCH_PROGRAMS', 50),
  events: setting('BENCH_EVENTS', 20_000),
  subscriptions: setting('BENCH_SUBSCRIPTIONS', 500),
};
const SMALL_EVENTS = setting('BENCH_SMALL_EVENTS', 1_000);
const ITERATIONS = setting('BENCH_ITERATIONS', 200);
const COHERENCE_TRIALS = setting('BENCH_COHERENCE_TRIALS', 8);
const COLD_START_RUNS = setting('BENCH_COLD_START_RUNS', 5);
const WEBHOOK_CHANGES = setting('BENCH_WEBHOOK_CHANGES', 200);
const VENS = setting('BENCH_VENS', 1_000);
const REPORTS = setting('BENCH_REPORTS', 35_000);
const MQTT_MESSAGES = setting('BENCH_MQTT_MESSAGES', 5_000);
const MQTT_CHANGES = setting('BENCH_MQTT_CHANGES', 50);

/** The parts of the benchmark, in the order they run; `npm run bench -- <part>...` runs only those named. */
const SECTIONS = ['hot-paths', 'scale', 'vens', 'reports', 'query-cost', 'coherence', 'webhooks', 'mqtt', 'faults', 'cold-starts'] as const;
type Section = (typeof SECTIONS)[number];

function chosenSections(args: string[]): Set<Section> {
  const unknown = args.filter((arg) => !(SECTIONS as readonly string[]).includes(arg));
  if (unknown.length > 0) throw new Error(`unknown benchmark part ${unknown.join(', ')}; the parts are ${SECTIONS.join(', ')}`);
  return new Set(args.length > 0 ? (args as Section[]) : SECTIONS);
}

const sections = chosenSections(process.argv.slice(2));
/** A partial run must not pass for a full one: its figures go beside results.json, not into it. */
const RESULTS_FILE = sections.size === SECTIONS.length ? 'results.json' : 'results.local.json';

const results: Record<string, number> = {};
/** A BL client's token: every request carries one, and is verified, as in AWS. */
let authorization: Record<string, string> = {};

/** An IoT Core authorizer event for an MQTT connection of `clientID` with `token` as password. */
function mqttConnection(clientID: string, token: string) {
  return { protocols: ['tls', 'mqtt'], protocolData: { mqtt: { username: clientID, password: Buffer.from(token).toString('base64'), clientId: clientID } }, connectionMetadata: { id: 'cold' } };
}
const table: string[][] = [];

function record(metric: string, value: number): void {
  results[metric] = round(value, 3);
}

const label = (count: number) => (count % 1000 === 0 ? `${count / 1000}k` : String(count));

/** Runs a request shape `iterations` times through the handlers, after one unmeasured warm-up. */
async function measure(name: string, iterations: number, request: (iteration: number) => ApiRequest): Promise<void> {
  const meter = new DynamoMeter();
  meter.attach(dynamoClient());
  const send = async (iteration: number) => {
    const sent = request(iteration);
    const response = await invokeApi({ ...sent, headers: { ...sent.headers, ...authorization } });
    if ((response.statusCode ?? 500) >= 400) throw new Error(`${name}: ${response.statusCode} ${response.body}`);
  };
  await send(-1);
  try {
    await measureAttached(name, iterations, meter, send);
  } finally {
    meter.detach();
  }
}

async function measureAttached(name: string, iterations: number, meter: DynamoMeter, send: (iteration: number) => Promise<void>): Promise<void> {
  const latencies: number[] = [];
  const requests: number[] = [];
  const readUnits: number[] = [];
  const writeUnits: number[] = [];
  for (let iteration = 0; iteration < iterations; iteration++) {
    const before = meter.snapshot();
    const startedAt = performance.now();
    await send(iteration);
    latencies.push(performance.now() - startedAt);
    const after = meter.snapshot();
    requests.push(after.requests - before.requests);
    readUnits.push(after.readUnits - before.readUnits);
    writeUnits.push(after.writeUnits - before.writeUnits);
  }
  record(`${name}_p50_ms`, percentile(latencies, 50));
  record(`${name}_p99_ms`, percentile(latencies, 99));
  record(`${name}_dynamodb_requests`, mean(requests));
  record(`${name}_read_units`, mean(readUnits));
  if (mean(writeUnits) > 0) record(`${name}_write_units`, mean(writeUnits));
  table.push([
    name,
    percentile(latencies, 50).toFixed(2),
    percentile(latencies, 99).toFixed(2),
    mean(requests).toFixed(2),
    mean(readUnits).toFixed(2),
    mean(writeUnits).toFixed(2),
  ]);
}

/** A handler runtime as a fresh Lambda instance would build it, with or without caches. */
function useRuntime(tableName: string, caches: 'warm' | 'cold'): void {
  process.env.TABLE_NAME = tableName;
  process.env.VTN_PROGRAM_CACHE_TTL_MS = caches === 'warm' ? '3600000' : '0';
  process.env.VTN_EVENT_CACHE_TTL_MS = caches === 'warm' ? '300000' : '0';
  resetRuntime();
}

const get = (path: string): ApiRequest => ({ method: 'GET', url: `${BASE_PATH}${path}` });
const send = (method: string, path: string, body: unknown): ApiRequest => ({
  method,
  url: `${BASE_PATH}${path}`,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

function eventBody(programID: string, iteration: number) {
  const start = Temporal.Now.instant().add({ hours: 24 + (iteration % 48) });
  return {
    programID,
    eventName: `bench-${iteration}`,
    targets: ['feeder-1'],
    intervalPeriod: { start: start.toString(), duration: 'PT1H' },
    intervals: [0, 1, 2, 3].map((id) => ({ id, payloads: [{ type: 'PRICE', values: [0.1 * id] }] })),
  };
}

async function hotPaths(tableName: string, data: DataSet): Promise<void> {
  const programs = data.programIDs.slice(0, 5);
  const week = `dateStart=${Temporal.Now.instant().toString()}&dateEnd=${Temporal.Now.instant().add({ hours: 24 * 7 }).toString()}`;
  for (const caches of ['warm', 'cold'] as const) {
    useRuntime(tableName, caches);
    await measure(`programs_list_${caches}`, ITERATIONS, () => get('/programs'));
    await measure(`program_get_${caches}`, ITERATIONS, (i) => get(`/programs/${data.programIDs[Math.abs(i) % data.programIDs.length]}`));
    await measure(`events_by_program_${caches}`, ITERATIONS, (i) => get(`/events?programID=${programs[Math.abs(i) % programs.length]}`));
    await measure(`events_by_program_dates_${caches}`, ITERATIONS, (i) => get(`/events?programID=${programs[Math.abs(i) % programs.length]}&${week}`));
    await measure(`events_active_${caches}`, ITERATIONS, () => get('/events?active=true'));
    await measure(`event_get_${caches}`, ITERATIONS, (i) => get(`/events/${data.eventIDs[Math.abs(i) % data.eventIDs.length]}`));
    const writes = Math.max(1, Math.floor(ITERATIONS / 2));
    await measure(`event_create_${caches}`, writes, (i) => send('POST', '/events', eventBody(programs[0], i)));
    const updated = data.eventIDs.slice(0, 10);
    await measure(`event_update_${caches}`, writes, (i) => {
      const index = Math.abs(i) % updated.length;
      return send('PUT', `/events/${updated[index]}`, eventBody(data.programIDs[index % data.programIDs.length], i));
    });
  }
}

/** The same event queries, caches off, on a small and a large table: their cost should not grow with it. */
async function scale(tables: { tableName: string; events: number; data: DataSet }[]): Promise<void> {
  const scaleIterations = Math.max(20, Math.floor(ITERATIONS / 2));
  for (const { tableName, events, data } of tables) {
    useRuntime(tableName, 'cold');
    const programID = data.programIDs[0];
    const week = `dateStart=${data.from.add({ hours: 24 * 100 }).toString()}&dateEnd=${data.from.add({ hours: 24 * 107 }).toString()}`;
    const size = label(events);
    // limit=10 fills a page on both tables, so the two read the same number of items.
    await measure(`events_by_program_${size}`, scaleIterations, () => get(`/events?programID=${programID}&limit=10`));
    await measure(`events_by_date_${size}`, scaleIterations, () => get(`/events?${week}&limit=10`));
    await measure(`events_active_${size}`, scaleIterations, () => get('/events?active=true&limit=10'));
    await measure(`events_all_${size}`, scaleIterations, () => get('/events?skip=100&limit=10'));
  }
  const [small, large] = tables.map(({ events }) => label(events));
  for (const query of ['events_by_program', 'events_by_date', 'events_active', 'events_all']) {
    record(`${query}_${large}_to_${small}_p50_ratio`, results[`${query}_${large}_p50_ms`] / results[`${query}_${small}_p50_ms`]);
    record(`${query}_${large}_to_${small}_read_units_ratio`, results[`${query}_${large}_read_units`] / results[`${query}_${small}_read_units`]);
  }
}

/** Runs `work` with every request sent as another client. */
async function asClient(headers: Record<string, string>, work: () => Promise<void>): Promise<void> {
  const saved = authorization;
  authorization = headers;
  try {
    await work();
  } finally {
    authorization = saved;
  }
}

/**
 * A VEN's lists: what its grant (its ven's targets, one of its own and one feeder group) lets
 * it see of the table, read through the target entries; warm and cold on the large table, and
 * cold on both tables, whose cost should not grow with the events it does not see.
 */
async function venPaths(tables: { tableName: string; events: number }[]): Promise<void> {
  const venAuthorization = await bearer('VEN', benchVenClient(1));
  const large = tables[tables.length - 1];
  await asClient(venAuthorization, async () => {
    for (const caches of ['warm', 'cold'] as const) {
      useRuntime(large.tableName, caches);
      await measure(`ven_programs_list_${caches}`, ITERATIONS, () => get('/programs'));
      await measure(`ven_events_list_${caches}`, ITERATIONS, () => get('/events'));
      await measure(`ven_events_active_${caches}`, ITERATIONS, () => get('/events?active=true'));
    }
    const scaleIterations = Math.max(20, Math.floor(ITERATIONS / 2));
    for (const { tableName, events } of tables) {
      useRuntime(tableName, 'cold');
      await measure(`ven_events_${label(events)}`, scaleIterations, () => get('/events?limit=10'));
    }
  });
  const [small, largeLabel] = tables.map(({ events }) => label(events));
  record(`ven_events_${largeLabel}_to_${small}_p50_ratio`, results[`ven_events_${largeLabel}_p50_ms`] / results[`ven_events_${small}_p50_ms`]);
  record(`ven_events_${largeLabel}_to_${small}_read_units_ratio`, results[`ven_events_${largeLabel}_read_units`] / results[`ven_events_${small}_read_units`]);
}

/** Report writes by a VEN and a BL's report lists by event and by program, over one VEN's year of reports. */
async function reportPaths(tableName: string, data: DataSet): Promise<void> {
  const venAuthorization = await bearer('VEN', benchVenClient(1));
  useRuntime(tableName, 'warm');
  // An event the VEN may see: untargeted program (every fifth is), granted feeder group.
  const created = await invokeApi({ ...send('POST', '/events', { ...eventBody(data.programIDs[0], 0), targets: ['feeder-1'] }), headers: { 'content-type': 'application/json', ...authorization } });
  const eventID = (JSON.parse(created.body ?? '{}') as { id: string }).id;
  const report = (iteration: number) => ({
    eventID,
    clientName: 'bench-gateway',
    resources: [{ resourceName: 'meter', intervalPeriod: { start: Temporal.Now.instant().toString(), duration: 'PT15M' }, intervals: [{ id: 0, payloads: [{ type: 'USAGE', values: [iteration / 10] }] }] }],
  });
  const reported = data.eventIDs.slice(0, 50);
  for (const caches of ['warm', 'cold'] as const) {
    useRuntime(tableName, caches);
    await asClient(venAuthorization, () => measure(`report_create_${caches}`, Math.max(1, Math.floor(ITERATIONS / 2)), (i) => send('POST', '/reports', report(i))));
    await measure(`reports_by_event_${caches}`, ITERATIONS, (i) => get(`/reports?eventID=${reported[Math.abs(i) % reported.length]}`));
    await measure(`reports_by_program_${caches}`, ITERATIONS, (i) => get(`/reports?programID=${data.programIDs[Math.abs(i) % 5]}`));
    await measure(`reports_by_program_deep_${caches}`, Math.max(20, Math.floor(ITERATIONS / 4)), (i) => get(`/reports?programID=${data.programIDs[Math.abs(i) % 5]}&skip=500&limit=50`));
  }
}

/** How long until an independently loaded instance sees another's write, and what it reads meanwhile. */
async function coherence(endpoint: string, tableName: string): Promise<void> {
  process.env.TABLE_NAME = tableName;
  process.env.VTN_PROGRAM_CACHE_TTL_MS = '3600000';
  const config = readConfig();
  const writerClient = localDynamoClient(endpoint);
  const readerClient = localDynamoClient(endpoint);
  const meter = new DynamoMeter();
  meter.attach(readerClient);
  const writer = storageFor(config, writerClient);
  const reader = storageFor(config, readerClient);
  await reader.programs.list({ skip: 0, limit: 50 });

  const visibleAfter: number[] = [];
  const readsPerSecond: number[] = [];
  for (let trial = 0; trial < COHERENCE_TRIALS; trial++) {
    // Land each write at a different point of the reader's check window.
    await new Promise((resolve) => setTimeout(resolve, Math.floor((trial / COHERENCE_TRIALS) * config.cacheCoherenceMs)));
    const marker = `coherence-${trial}-${newObjectId()}`;
    const stamp = Temporal.Now.instant().toString();
    await writer.programs.create(
      hydrate<Program>('PROGRAM', { id: newObjectId(), objectType: 'PROGRAM', programName: marker, targets: [marker], createdDateTime: stamp, modificationDateTime: stamp }),
    );
    const writtenAt = performance.now();
    const before = meter.snapshot();
    while ((await reader.programs.list({ skip: 0, limit: 1, targets: [marker] })).length === 0) {
      if (performance.now() - writtenAt > 10 * config.cacheCoherenceMs + 5000) throw new Error('the reader never saw the write');
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const elapsed = performance.now() - writtenAt;
    visibleAfter.push(elapsed);
    readsPerSecond.push((meter.snapshot().requests - before.requests) / Math.max(elapsed / 1000, config.cacheCoherenceMs / 1000));
  }
  writerClient.destroy();
  readerClient.destroy();
  record('coherence_bound_ms', config.cacheCoherenceMs);
  record('coherence_visible_ms', percentile(visibleAfter, 50));
  record('coherence_visible_max_ms', Math.max(...visibleAfter));
  record('coherence_check_reads_per_second', Math.max(...readsPerSecond));
}

async function webhooks(endpoint: string, tableName: string, data: DataSet, receiver: WebhookReceiver): Promise<void> {
  process.env.TABLE_NAME = tableName;
  const client = localDynamoClient(endpoint);
  const meter = new DynamoMeter();
  meter.attach(client);
  try {
    const figures = await measureWebhooks(readConfig(), client, meter, data.programIDs, receiver, WEBHOOK_CHANGES);
    record('webhook_subscriptions', SIZE.subscriptions);
    record('webhook_deliveries_per_second', figures.deliveriesPerSecond);
    record('webhook_deliveries_per_change', figures.deliveriesPerChange);
    record('webhook_notify_p50_ms', figures.notifyP50Ms);
    record('webhook_dynamodb_requests_per_change', figures.dynamodbRequestsPerChange);
    record('webhook_read_units_per_change', figures.readUnitsPerChange);
    record('webhook_subscription_load_read_units', figures.firstChangeReadUnits);
    record('webhook_concurrency', figures.slowReceiver.concurrency);
    record('webhook_slow_receiver_answer_ms', figures.slowReceiver.answerAfterMs);
    record('webhook_slow_receiver_deliveries_per_second', figures.slowReceiver.deliveriesPerSecond);
    record('webhook_slow_receiver_failures', figures.slowReceiver.failures);
    record('webhook_slow_receiver_max_in_flight', figures.slowReceiver.maxInFlight);
  } finally {
    client.destroy();
  }
}

/** The embedded broker's publish rate, and the MqttNotifier's cost per change over VENS vens, on a table of its own. */
async function mqttPaths(endpoint: string): Promise<void> {
  const client = localDynamoClient(endpoint);
  const meter = new DynamoMeter();
  meter.attach(client);
  try {
    const figures = await measureMqtt(readConfig(), client, meter, 'vtn-bench-mqtt', { vens: VENS, messages: MQTT_MESSAGES, changes: MQTT_CHANGES });
    record('mqtt_publishes_per_second', figures.publishesPerSecond);
    record('mqtt_published_messages', figures.publishedMessages);
    record('mqtt_vens', figures.vens);
    record('mqtt_directory_load_read_units', figures.directoryLoadReadUnits);
    const costs: [string, ChangeCost][] = [['untargeted', figures.untargeted], ['targeted', figures.targeted]];
    for (const [kind, cost] of costs) {
      record(`mqtt_${kind}_event_publications_per_change`, cost.publicationsPerChange);
      record(`mqtt_${kind}_event_p50_ms`, cost.p50Ms);
      record(`mqtt_${kind}_event_p99_ms`, cost.p99Ms);
      record(`mqtt_${kind}_event_dynamodb_requests_per_change`, cost.dynamodbRequestsPerChange);
      record(`mqtt_${kind}_event_read_units_per_change`, cost.readUnitsPerChange);
    }
  } finally {
    client.destroy();
  }
}

/** A stream record of a program update, which the seeded subscribers to programs hear of. */
function programUpdatedStreamEvent(programID: string) {
  const stamp = Temporal.Now.instant().toString();
  const program = hydrate<Program>('PROGRAM', { id: programID, objectType: 'PROGRAM', programName: 'program-0', createdDateTime: stamp, modificationDateTime: stamp });
  return { Records: [{ eventSource: 'aws:dynamodb', eventName: 'MODIFY', dynamodb: { SequenceNumber: '1', NewImage: toItem(program, 2) } }] };
}

/**
 * Cold starts of every API entry of the route table (a GET of its first path, or of the request
 * named here) and of the webhook notifier, each bundled as the stack bundles it.
 */
async function coldStarts(tableName: string, data: DataSet): Promise<void> {
  const firstRequests: Record<string, string> = {
    events: `/events?programID=${data.programIDs[0]}`,
    // The token route needs a client secret and KMS; the key set loads the same modules.
    auth: '/.well-known/jwks.json',
    // The page's largest file: Swagger UI's script, 1.7 MB of the bundle's text.
    docs: '/docs/swagger-ui-bundle.js',
  };
  const http = (path: string) => routeRequest({ method: 'GET', url: `${BASE_PATH}${path}`, headers: authorization }).event;
  const tls = await tlsFront(process.env.DYNAMODB_ENDPOINT!);
  const measured = await measureColdStarts(
    [
      ...RESOURCES.map(({ name, paths }) => ({ name, event: http(firstRequests[name] ?? paths[0]) })),
      { name: 'webhooks', event: programUpdatedStreamEvent(data.programIDs[0]) },
      // A VEN's MQTT connection, as IoT Core sends it: the token verified and its ven looked up.
      { name: 'mqtt-authorizer', event: mqttConnection(benchVenClient(1), (await bearer('VEN', benchVenClient(1))).authorization.replace(/^Bearer /, '')) },
    ],
    {
      ...process.env,
      TABLE_NAME: tableName,
      VTN_WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_RETRY_QUEUE_URL: 'http://127.0.0.1:1/unused-retry-queue',
      WEBHOOK_DEAD_LETTER_QUEUE_URL: 'http://127.0.0.1:1/unused-dead-letter-queue',
      // As the stack configures them: the public key in the environment, KMS named (never called here).
      VTN_TOKEN_PUBLIC_KEY: createPublicKey(useTestSigningKey()).export({ format: 'der', type: 'spki' }).toString('base64'),
      VTN_TOKEN_KMS_KEY_ID: 'arn:aws:kms:local:000000000000:key/unused',
      ...tls.env,
    },
    COLD_START_RUNS,
  ).finally(tls.close);
  for (const [name, { baseline, ...cold }] of Object.entries(measured)) {
    for (const [prefix, figures] of [[name, cold], [`${name}_baseline`, baseline]] as const) {
      if (!figures) continue;
      record(`${prefix}_bundle_bytes`, figures.bundleBytes);
      record(`${prefix}_cold_start_ms`, figures.coldStartMs);
      record(`${prefix}_cold_load_ms`, figures.loadMs);
      record(`${prefix}_cold_first_request_ms`, figures.firstRequestMs);
      record(`${prefix}_cold_cpu_ms`, figures.cpuMs);
    }
  }
}

function printTable(): void {
  const header = ['request', 'p50 ms', 'p99 ms', 'DynamoDB req', 'read units', 'write units'];
  const rows = [header, ...table];
  const widths = header.map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const line = (row: string[]) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ');
  process.stdout.write(`\n${line(header)}\n${widths.map((width) => '-'.repeat(width)).join('  ')}\n`);
  for (const row of table) process.stdout.write(`${line(row)}\n`);
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  authorization = await bearer('BL');
  const database = await startEmbeddedDynamo();
  process.env.DYNAMODB_ENDPOINT = database.endpoint;
  const client = localDynamoClient(database.endpoint);
  const receiver = await startReceiver();
  try {
    const large = { tableName: 'vtn-bench-large', events: SIZE.events };
    const small = { tableName: 'vtn-bench-small', events: SMALL_EVENTS };
    process.stdout.write(`seeding ${SIZE.programs} programs, ${SIZE.events} events, ${SIZE.subscriptions} subscriptions (and a ${SMALL_EVENTS}-event table)...\n`);
    const seeded = [];
    for (const target of [small, large]) {
      await ensureTable(client, target.tableName);
      seeded.push({ ...target, data: await seed(client, target.tableName, { ...SIZE, events: target.events }, receiver.url) });
    }
    const [smallData, largeData] = seeded;
    // The MQTT authorizer's cold start looks up a seeded ven.
    if (sections.has('vens') || sections.has('reports') || sections.has('cold-starts')) {
      process.stdout.write(`seeding ${VENS} vens in each table and ${REPORTS} reports of one VEN in the large one...\n`);
      for (const { tableName } of [small, large]) {
        process.env.TABLE_NAME = tableName;
        await seedVens(storageFor(readConfig(), client), VENS);
      }
      if (sections.has('reports')) await seedReports(client, large.tableName, largeData.data, benchVenClient(1), REPORTS);
    }
    record('seed_seconds', (performance.now() - startedAt) / 1000);

    if (sections.has('hot-paths')) {
      process.stdout.write(`hot paths on ${SIZE.events} events (${ITERATIONS} requests each; writes half that)...\n`);
      await hotPaths(large.tableName, largeData.data);
    }
    if (sections.has('scale')) {
      process.stdout.write('scale: the same queries on both tables, caches off...\n');
      await scale([smallData, largeData]);
    }
    if (sections.has('vens')) {
      process.stdout.write(`a VEN's lists: ${VENS} vens; the same queries on both tables...\n`);
      await venPaths([smallData, largeData]);
    }
    if (sections.has('reports')) {
      process.stdout.write(`reports: ${REPORTS} of one VEN...\n`);
      await reportPaths(large.tableName, largeData.data);
    }
    if (sections.has('query-cost')) {
      process.stdout.write(`query cost on ${SIZE.events} events of history, caches off...\n`);
      const history = await measureQueryCost(client, { events: SIZE.events, iterations: Math.max(4, Math.floor(ITERATIONS / 10)), measure, useColdRuntime: (tableName) => useRuntime(tableName, 'cold') });
      record('history_ended_share', history.endedShare);
    }
    if (sections.has('coherence')) {
      process.stdout.write('coherence between two instances...\n');
      await coherence(database.endpoint, large.tableName);
    }
    if (sections.has('webhooks')) {
      process.stdout.write(`webhooks: ${WEBHOOK_CHANGES} event creations against ${SIZE.subscriptions} subscriptions...\n`);
      await webhooks(database.endpoint, large.tableName, largeData.data, receiver);
    }
    if (sections.has('mqtt')) {
      process.stdout.write(`mqtt: ${MQTT_MESSAGES} messages through the embedded broker; the notifier over ${VENS} vens, ${MQTT_CHANGES} changes each...\n`);
      await mqttPaths(database.endpoint);
    }
    if (sections.has('faults')) {
      process.stdout.write('faults: a mixed workload on two instances, DynamoDB healthy and faulting...\n');
      for (const [metric, value] of Object.entries(await measureFaults(database.endpoint))) record(metric, value);
    }
    if (sections.has('cold-starts')) {
      process.stdout.write('cold starts of the deployed bundles...\n');
      await coldStarts(large.tableName, largeData.data);
    }
  } finally {
    resetRuntime();
    client.destroy();
    await receiver.close();
    await database.close();
  }
  record('bench_seconds', (performance.now() - startedAt) / 1000);

  printTable();
  process.stdout.write('\n');
  const width = Math.max(...Object.keys(results).map((key) => key.length));
  for (const [metric, value] of Object.entries(results)) {
    if (!table.some((row) => metric.startsWith(`${row[0]}_`))) process.stdout.write(`${metric.padEnd(width)}  ${value}\n`);
  }
  const file = join(__dirname, RESULTS_FILE);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`\nwrote ${file}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`benchmark failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
