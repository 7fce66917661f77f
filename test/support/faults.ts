import { Agent, createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fault-injecting HTTP proxy between a DynamoDB client and a DynamoDB API server (dynalite):
 * the real AWS SDK, with its real retries, talks to it as it would to DynamoDB. Per operation
 * (the X-Amz-Target header, e.g. `DynamoDB_20120810.PutItem`) it may
 *
 * - throttle: answer 400 ProvisionedThroughputExceededException without forwarding (the SDK
 *   classifies it as a throttling error and retries after its throttling backoff);
 * - fail before: answer 500 InternalServerError without forwarding (transient, retried);
 * - fail after: forward, let the server apply the request, discard its answer and answer 500
 *   InternalServerError: the lost answer of a request that timed out after DynamoDB applied it;
 *   the SDK's retry of a conditional write then fails its condition on its own first attempt;
 * - add latency before forwarding.
 *
 * Decisions come from a seeded PRNG, so a seed names a run. Faults can be switched off and on at
 * run time; counters say what was injected, and a log keeps every request with the keys it named,
 * its fault and the server's answer, for tracing what happened to an object.
 */

export type FaultKind = 'throttle' | 'before' | 'after';

export interface OperationFaults {
  /** Probability of a throttling answer (nothing forwarded). */
  throttle?: number;
  /** Probability of a 500 without forwarding. */
  before?: number;
  /** Probability of a 500 after the server applied the request (its answer is lost). */
  after?: number;
  /** Probability that a forwarded request is held back for up to `latencyMs` first. */
  latencyRate?: number;
  latencyMs?: number;
}

/** Faults per DynamoDB operation name (`PutItem`, `Query`, ...); `default` covers the others. */
export type FaultPlan = Partial<Record<string, OperationFaults>> & { default?: OperationFaults };

export const WRITE_OPERATIONS = ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems'] as const;
export const READ_OPERATIONS = ['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems'] as const;

/** The same faults for every read and for every write operation; table management is spared. */
export function faultPlan(faults: { reads?: OperationFaults; writes?: OperationFaults }): FaultPlan {
  const plan: FaultPlan = {};
  for (const operation of READ_OPERATIONS) plan[operation] = faults.reads ?? {};
  for (const operation of WRITE_OPERATIONS) plan[operation] = faults.writes ?? {};
  return plan;
}

/**
 * A fault rate split evenly over the kinds that make sense per operation: reads are throttled or
 * fail (before or after makes no difference to a read), writes are throttled, fail before, or
 * lose their answer after being applied. Plus some latency to vary interleavings.
 */
export function evenFaults(rate: number, latency: { rate: number; ms: number } = { rate: 0.2, ms: 8 }): FaultPlan {
  return faultPlan({
    reads: { throttle: rate / 2, before: rate / 2, latencyRate: latency.rate, latencyMs: latency.ms },
    writes: { throttle: rate / 3, before: rate / 3, after: rate / 3, latencyRate: latency.rate, latencyMs: latency.ms },
  });
}

/** mulberry32: a small, fast, seedable PRNG; [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seeds to run: FAULT_SEED (one, or several separated by commas) when set, else `fallback`. */
export function faultSeeds(fallback: number[], env: NodeJS.ProcessEnv = process.env): number[] {
  const raw = env.FAULT_SEED;
  if (!raw) return fallback;
  return raw.split(',').map((part) => {
    const seed = Number(part.trim());
    if (!Number.isInteger(seed) || seed < 0) throw new Error(`FAULT_SEED must be whole numbers >= 0 separated by commas, got "${raw}"`);
    return seed;
  });
}

/** The header a client may set so that the proxy log ties its requests to what caused them. */
export const TRACE_HEADER = 'x-fault-trace';

export interface ProxyLogEntry {
  /** Order of arrival at the proxy. */
  seq: number;
  /** Milliseconds since the proxy started. */
  at: number;
  operation: string;
  /** The TRACE_HEADER value, when the client set one (it also names the request's own PRNG stream). */
  trace?: string;
  fault: FaultKind | 'none';
  /** Keys the request named, as `objectType/id` (base table) or `index:partition/sort`. */
  keys: string[];
  condition?: string;
  /** What the server answered (forwarded requests only), and its error type when it refused. */
  upstreamStatus?: number;
  upstreamError?: string;
  enabled: boolean;
}

export interface FaultCounters {
  /** Requests received, per operation. */
  requests: Record<string, number>;
  /** Requests the server saw (everything but throttles and failures before forwarding). */
  forwarded: number;
  injected: Record<FaultKind, number>;
  /** Injected faults per kind and operation, e.g. `after PutItem`. */
  byOperation: Record<string, number>;
  delayed: number;
}

const ERROR_TYPES: Record<'throttle' | 'internal', { status: number; type: string; message: string }> = {
  throttle: {
    status: 400,
    type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
    message: 'The level of configured provisioned throughput for the table was exceeded. (injected)',
  },
  internal: {
    status: 500,
    type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
    message: 'Internal server error (injected)',
  },
};

export interface FaultProxyOptions {
  /** The server's endpoint, e.g. http://127.0.0.1:4567 */
  target: string;
  seed: number;
  plan: FaultPlan;
  /** Faults on from the start (default true). */
  enabled?: boolean;
  /** Entries kept in the log (the oldest go first). */
  logLimit?: number;
}

export class FaultProxy {
  /** When false, every request is forwarded as is. */
  enabled: boolean;
  plan: FaultPlan;
  readonly seed: number;
  readonly log: ProxyLogEntry[] = [];
  counters: FaultCounters = emptyCounters();

  private readonly random: () => number;
  private readonly startedAt = Date.now();
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private sequence = 0;
  private readonly traceCounts = new Map<string, number>();
  private readonly forced: { operation: string; kind: FaultKind | 'none' }[] = [];

  private constructor(
    private readonly server: Server,
    private readonly target: URL,
    private readonly options: FaultProxyOptions,
  ) {
    this.seed = options.seed;
    this.plan = options.plan;
    this.enabled = options.enabled ?? true;
    this.random = mulberry32(options.seed);
  }

  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const server = createServer();
    const proxy = new FaultProxy(server, new URL(options.target), options);
    server.on('request', (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        proxy.handle(request.headers, request.method ?? 'POST', request.url ?? '/', Buffer.concat(chunks)).then(
          ({ status, headers, body }) => {
            response.writeHead(status, headers);
            response.end(body);
          },
          (error: unknown) => {
            response.writeHead(502, { 'content-type': 'text/plain' });
            response.end(`fault proxy: ${(error as Error).message}`);
          },
        );
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /**
   * Forces the decision for the next requests of `operation`, ahead of the PRNG (which still
   * draws, so the rest of the run is unchanged): for tests that need one exact sequence.
   */
  inject(operation: string, ...kinds: (FaultKind | 'none')[]): void {
    for (const kind of kinds) this.forced.push({ operation, kind });
  }

  /** Milliseconds since the proxy started: the clock of its log. */
  elapsed(): number {
    return Date.now() - this.startedAt;
  }

  /** Forgets the counters (not the log). */
  resetCounters(): void {
    this.counters = emptyCounters();
  }

  /** The log entries a trace value produced, or that named a key containing `fragment`. */
  entriesFor(filter: { trace?: string; key?: string }): ProxyLogEntry[] {
    return this.log.filter(
      (entry) =>
        (filter.trace !== undefined && entry.trace === filter.trace) ||
        (filter.key !== undefined && entry.keys.some((key) => key.includes(filter.key!))),
    );
  }

  async close(): Promise<void> {
    this.agent.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(headers: IncomingHttpHeaders, method: string, url: string, body: Buffer) {
    const operation = String(headers['x-amz-target'] ?? '').split('.').pop() || 'unknown';
    const faults = this.plan[operation] ?? (isTableOperation(operation) ? {} : (this.plan.default ?? {}));
    const trace = headers[TRACE_HEADER] as string | undefined;
    const [draw, delayDraw] = this.draws(trace);
    const forcedAt = this.forced.findIndex((forced) => forced.operation === operation);
    const forced = forcedAt >= 0 ? this.forced.splice(forcedAt, 1)[0].kind : undefined;
    const fault = forced ?? (this.enabled ? decide(faults, draw) : 'none');
    const delayed = this.enabled && fault !== 'throttle' && fault !== 'before' && delayDraw < (faults.latencyRate ?? 0);
    const delay = delayed ? 1 + Math.floor((delayDraw / (faults.latencyRate ?? 1)) * (faults.latencyMs ?? 0)) : 0;

    this.counters.requests[operation] = (this.counters.requests[operation] ?? 0) + 1;
    const entry: ProxyLogEntry = {
      seq: ++this.sequence,
      at: Date.now() - this.startedAt,
      operation,
      trace,
      fault,
      keys: keysOf(body),
      condition: conditionOf(body),
      enabled: this.enabled,
    };
    this.log.push(entry);
    if (this.log.length > (this.options.logLimit ?? 200_000)) this.log.shift();
    if (fault !== 'none') {
      this.counters.injected[fault]++;
      this.counters.byOperation[`${fault} ${operation}`] = (this.counters.byOperation[`${fault} ${operation}`] ?? 0) + 1;
    }

    if (fault === 'throttle') return errorAnswer('throttle');
    if (fault === 'before') return errorAnswer('internal');
    if (delay > 0) {
      this.counters.delayed++;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
    this.counters.forwarded++;
    const upstream = await this.forward(headers, method, url, body);
    entry.upstreamStatus = upstream.status;
    if (upstream.status >= 400) entry.upstreamError = errorTypeOf(upstream.body);
    // Applied (or refused) by the server; the client never learns which.
    if (fault === 'after') return errorAnswer('internal');
    return upstream;
  }

  /**
   * Two draws per request whatever happens, so that one decision does not shift the others. A
   * traced request draws from its own stream, named by the seed, its trace and how many requests
   * of that trace came before it: its fault does not depend on how the requests of concurrent
   * clients interleave. Untraced requests share one stream in arrival order.
   */
  private draws(trace: string | undefined): [number, number] {
    if (trace === undefined) return [this.random(), this.random()];
    const count = this.traceCounts.get(trace) ?? 0;
    this.traceCounts.set(trace, count + 1);
    const stream = mulberry32(hashString(`${this.seed}/${trace}/${count}`));
    return [stream(), stream()];
  }

  private forward(headers: IncomingHttpHeaders, method: string, url: string, body: Buffer) {
    return new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const outgoing = httpRequest(
        { host: this.target.hostname, port: this.target.port, method, path: url, headers: { ...headers, host: this.target.host }, agent: this.agent },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.on('end', () => resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: Buffer.concat(chunks) }));
          answer.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }
}

function emptyCounters(): FaultCounters {
  return { requests: {}, forwarded: 0, injected: { throttle: 0, before: 0, after: 0 }, byOperation: {}, delayed: 0 };
}

function isTableOperation(operation: string): boolean {
  return /Table|Tags|TimeToLive|Backup|Limits|Endpoints/.test(operation);
}

/** FNV-1a, 32 bits. */
function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function decide(faults: OperationFaults, draw: number): FaultKind | 'none' {
  let threshold = 0;
  for (const kind of ['throttle', 'before', 'after'] as const) {
    threshold += faults[kind] ?? 0;
    if (draw < threshold) return kind;
  }
  return 'none';
}

function errorAnswer(kind: 'throttle' | 'internal') {
  const { status, type, message } = ERROR_TYPES[kind];
  const body = Buffer.from(JSON.stringify({ __type: type, message }));
  return {
    status,
    headers: { 'content-type': 'application/x-amz-json-1.0', 'content-length': String(body.length), 'x-amzn-requestid': `fault-${Date.now()}` },
    body,
  };
}

function errorTypeOf(body: Buffer): string | undefined {
  try {
    const type = (JSON.parse(body.toString('utf8')) as { __type?: string }).__type;
    return type?.split('#').pop();
  } catch {
    return undefined;
  }
}

type Attribute = { S?: string; N?: string };
type Key = Record<string, Attribute>;

function keyName(key: Key | undefined): string | undefined {
  if (!key?.objectType?.S || !key.id?.S) return undefined;
  return `${key.objectType.S}/${key.id.S}`;
}

/** The keys a request names: items and keys of writes and gets, index key values of queries. */
function keysOf(body: Buffer): string[] {
  let input: Record<string, unknown>;
  try {
    input = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    return [];
  }
  const keys: (string | undefined)[] = [keyName(input.Item as Key), keyName(input.Key as Key)];
  for (const requests of Object.values((input.RequestItems ?? {}) as Record<string, unknown>)) {
    if (!Array.isArray(requests)) continue;
    for (const request of requests as { PutRequest?: { Item: Key }; DeleteRequest?: { Key: Key }; Keys?: Key[] }[]) {
      keys.push(keyName(request.PutRequest?.Item), keyName(request.DeleteRequest?.Key));
    }
  }
  if (input.KeyConditionExpression) {
    const values = Object.values((input.ExpressionAttributeValues ?? {}) as Record<string, Attribute>)
      .map((value) => value.S ?? value.N)
      .filter((value) => value !== undefined);
    keys.push(`${(input.IndexName as string | undefined) ?? 'table'}:${values.join('/')}`);
  }
  return keys.filter((key): key is string => key !== undefined);
}

function conditionOf(body: Buffer): string | undefined {
  try {
    const input = JSON.parse(body.toString('utf8')) as { ConditionExpression?: string; UpdateExpression?: string };
    return input.ConditionExpression ?? input.UpdateExpression;
  } catch {
    return undefined;
  }
}
