import { Logger } from '../lambdas/core/logger';
import { ensureTable } from '../lambdas/core/storage/dynamo/ensure-table';
import { localDynamoClient } from '../local/embedded-dynamodb';
import { answerMix, checkInvariants } from '../test/support/fault-invariants';
import { Workload, type Exchange } from '../test/support/fault-workload';
import { evenFaults, FaultProxy } from '../test/support/faults';
import { VtnInstance } from '../test/support/vtn-instance';
import { percentile } from './stats';

/**
 * The fault-tolerance workload of the tests (test/integration/storage/faults.test.ts) at bench
 * size: concurrent clients over two VTN instances creating, renaming onto contested names,
 * updating and deleting programs, events and subscriptions, once with DynamoDB healthy and once
 * with FAULT_RATE of DynamoDB requests faulting (throttled, failed before, or applied with the
 * answer lost), through the fault proxy. Reports the answer mix, the DynamoDB requests each API
 * request cost, latency, and the invariant violations found afterwards (0 expected).
 */

export interface FaultRunFigures {
  requests: number;
  writes: number;
  answers2xx: number;
  answers4xx: number;
  answers400: number;
  answers404: number;
  answers409: number;
  answers503: number;
  answersOther5xx: number;
  dynamodbRequestsPerWrite: number;
  dynamodbRequestsPerRead: number;
  writeP50Ms: number;
  writeP99Ms: number;
  injected: number;
  violations: number;
}

const STORAGE = { nameClaimLeaseMs: 1_000, coherenceMs: 250, indexSettleMs: 200 };
const NAME_POOL = ['contested-0', 'contested-1', 'contested-2', 'contested-3'];

async function run(endpoint: string, tableName: string, seed: number, faultRate: number, operationsPerClient: number): Promise<FaultRunFigures> {
  const direct = localDynamoClient(endpoint);
  await ensureTable(direct, tableName);
  const proxy = await FaultProxy.start({ target: endpoint, seed, plan: evenFaults(faultRate), enabled: faultRate > 0 });
  const instances = ['A', 'B'].map((name) => new VtnInstance(name, proxy.endpoint, tableName, { ...STORAGE, logger: new Logger('silent') }));
  try {
    const workload = new Workload(instances, { seed, clients: 6, operationsPerClient, namePool: NAME_POOL, deadlineMs: 60_000 }, () => proxy.elapsed());
    await workload.run();
    const exchanges = [...workload.exchanges];
    const injected = Object.values(proxy.counters.injected).reduce((sum, count) => sum + count, 0);
    const costOf = (selected: Exchange[]) => {
      const traces = new Set(selected.map((exchange) => exchange.trace));
      return proxy.log.filter((entry) => entry.trace !== undefined && traces.has(entry.trace)).length / Math.max(1, selected.length);
    };
    const writes = exchanges.filter((exchange) => exchange.method !== 'GET');
    const reads = exchanges.filter((exchange) => exchange.method === 'GET');
    const mix = answerMix(exchanges);
    const count = (test: (status: number) => boolean) =>
      Object.entries(mix).filter(([status]) => test(Number(status))).reduce((sum, [, n]) => sum + n, 0);
    const latencies = writes.map((exchange) => exchange.endedAt - exchange.startedAt);

    proxy.enabled = false;
    const violations = await checkInvariants({
      workload,
      proxy,
      instances,
      direct,
      tableName,
      namePool: NAME_POOL,
      nameClaimLeaseMs: STORAGE.nameClaimLeaseMs,
      coherenceMs: STORAGE.coherenceMs,
    });
    return {
      requests: exchanges.length,
      writes: writes.length,
      answers2xx: count((s) => s >= 200 && s < 300),
      answers4xx: count((s) => s >= 400 && s < 500),
      answers400: count((s) => s === 400),
      answers404: count((s) => s === 404),
      answers409: count((s) => s === 409),
      answers503: count((s) => s === 503),
      answersOther5xx: count((s) => s >= 500 && s !== 503),
      dynamodbRequestsPerWrite: costOf(writes),
      dynamodbRequestsPerRead: costOf(reads),
      writeP50Ms: percentile(latencies, 50),
      writeP99Ms: percentile(latencies, 99),
      injected,
      violations: violations.length,
    };
  } finally {
    for (const instance of instances) instance.close();
    await proxy.close();
    direct.destroy();
  }
}

function setting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number >= 0, got "${raw}"`);
  return value;
}

/** Settings from BENCH_FAULT_PERCENT (15), BENCH_FAULT_OPERATIONS (40 per client, 6 clients) and FAULT_SEED (1). */
export function faultBenchOptions() {
  return {
    faultRate: setting('BENCH_FAULT_PERCENT', 15) / 100,
    operationsPerClient: Math.max(1, setting('BENCH_FAULT_OPERATIONS', 40)),
    seed: setting('FAULT_SEED', 1),
  };
}

/** Both runs, printed as a table; metrics named `faults_<none|percent>_<figure>`. */
export async function measureFaults(endpoint: string, options = faultBenchOptions()): Promise<Record<string, number>> {
  const healthy = await run(endpoint, 'vtn-bench-faults-none', options.seed, 0, options.operationsPerClient);
  const faulty = await run(endpoint, 'vtn-bench-faults', options.seed, options.faultRate, options.operationsPerClient);
  const percent = Math.round(options.faultRate * 100);
  const rows: [string, (figures: FaultRunFigures) => string][] = [
    ['API requests (writes)', (f) => `${f.requests} (${f.writes})`],
    ['DynamoDB requests faulted', (f) => String(f.injected)],
    ['answers 2xx', (f) => share(f.answers2xx, f.requests)],
    ['answers 4xx', (f) => share(f.answers4xx, f.requests)],
    ['  409 (contested name)', (f) => share(f.answers409, f.requests)],
    ['  404 (deleted target)', (f) => share(f.answers404, f.requests)],
    ['  400 (event of a deleted program)', (f) => share(f.answers400, f.requests)],
    ['answers 503', (f) => share(f.answers503, f.requests)],
    ['answers other 5xx', (f) => share(f.answersOther5xx, f.requests)],
    ['DynamoDB requests per write', (f) => f.dynamodbRequestsPerWrite.toFixed(2)],
    ['DynamoDB requests per read', (f) => f.dynamodbRequestsPerRead.toFixed(2)],
    ['write p50 / p99 ms', (f) => `${f.writeP50Ms.toFixed(0)} / ${f.writeP99Ms.toFixed(0)}`],
    ['invariant violations', (f) => String(f.violations)],
  ];
  const header = ['', 'no faults', `${percent}% faults`];
  const table = [header, ...rows.map(([name, cell]) => [name, cell(healthy), cell(faulty)])];
  const widths = header.map((_, column) => Math.max(...table.map((row) => row[column].length)));
  process.stdout.write(`\n${table.map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ')).join('\n')}\n`);

  const metrics: Record<string, number> = {};
  for (const [label, figures] of [['none', healthy], [String(percent), faulty]] as const) {
    for (const [name, value] of Object.entries(figures)) metrics[`faults_${label}_${METRIC_NAMES[name as keyof FaultRunFigures]}`] = value;
  }
  return metrics;
}

function share(count: number, total: number): string {
  return `${count} (${((100 * count) / Math.max(1, total)).toFixed(1)}%)`;
}

const METRIC_NAMES: Record<keyof FaultRunFigures, string> = {
  requests: 'requests',
  writes: 'writes',
  answers2xx: 'answers_2xx',
  answers4xx: 'answers_4xx',
  answers400: 'answers_400',
  answers404: 'answers_404',
  answers409: 'answers_409',
  answers503: 'answers_503',
  answersOther5xx: 'answers_other_5xx',
  dynamodbRequestsPerWrite: 'dynamodb_requests_per_write',
  dynamodbRequestsPerRead: 'dynamodb_requests_per_read',
  writeP50Ms: 'write_p50_ms',
  writeP99Ms: 'write_p99_ms',
  injected: 'dynamodb_requests_faulted',
  violations: 'invariant_violations',
};
