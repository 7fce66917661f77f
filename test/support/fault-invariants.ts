import { QueryCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { isTombstone } from '../../lambdas/core/storage/dynamo/versioned-items';
import { PENDING_PURGE } from '../../lambdas/core/storage/dynamo/item-codec';
import { listsOf } from '../../lambdas/core/storage/dynamo/event-targets';
import type { FaultProxy, ProxyLogEntry } from './faults';
import { tokenOf, type Exchange, type ObjectKind, type Workload } from './fault-workload';
import type { VtnInstance } from './vtn-instance';

/**
 * What must hold whatever DynamoDB did during a workload, checked once faults are off against
 * the answers the clients got and against the table itself:
 *
 * - answers: never a 500; a 503 carries Retry-After; 409 only where a name was contested or a
 *   write raced another on the same object; 404 and 400 only where a delete had been sent;
 * - acknowledged: a 201 object exists and a 200 update is visible in the table and through every
 *   instance, unless a delete was sent; its value is that of an acknowledged write or of a later
 *   one whose outcome is unknown, never of a write answered 4xx, never overwritten by an older one;
 * - deleted: a 200 delete is final (checked now and again after a while);
 * - events: none outlives its program: events of a deleted program are invisible and covered by a
 *   pending purge, and gone once a later program delete has run;
 * - names: no two PROGRAM items share a programName; a name in use cannot be taken again; a name
 *   nobody bears can be taken once claim leases have run out;
 * - target entries: every event of a live program has an entry in each of its target lists (or
 *   the untargeted one) at its start and end, so no VEN list misses it; extra entries may remain.
 */

export interface Violation {
  invariant: string;
  object: string;
  message: string;
  /** Object ids and program names whose history explains it. */
  ids: string[];
  names: string[];
  /** Exchanges directly at fault: their every DynamoDB request is shown. */
  seqs?: number[];
}

export interface StoredObjectState {
  kind: ObjectKind;
  id: string;
  programName?: string;
  token?: string;
  programID?: string;
}

export interface TableState {
  objects: Map<string, StoredObjectState>;
  /** Program ids with a pending purge record. */
  pendingPurges: Set<string>;
}

export interface CheckContext {
  workload: Workload;
  proxy: FaultProxy;
  instances: VtnInstance[];
  /** A client straight to the database, past the proxy. */
  direct: DynamoDBClient;
  tableName: string;
  namePool: string[];
  nameClaimLeaseMs: number;
  coherenceMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function readTable(client: DynamoDBClient, tableName: string): Promise<TableState> {
  const objects = new Map<string, StoredObjectState>();
  for (const kind of ['PROGRAM', 'EVENT', 'SUBSCRIPTION'] as const) {
    for (const item of await readPartition(client, tableName, kind)) {
      const data = JSON.parse(item.data?.S ?? '{}') as Record<string, unknown>;
      const id = item.id.S as string;
      objects.set(id, {
        kind,
        id,
        programName: data.programName as string | undefined,
        programID: data.programID as string | undefined,
        token: tokenOf(kind, data),
      });
    }
  }
  const pendingPurges = new Set((await readPartition(client, tableName, PENDING_PURGE)).map((item) => item.id.S as string));
  return { objects, pendingPurges };
}

async function readPartition(client: DynamoDBClient, tableName: string, partition: string): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'objectType = :type',
        ExpressionAttributeValues: { ':type': { S: partition } },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  // A tombstone (a young object's delete) stands for no object.
  return items.filter((item) => !isTombstone(item));
}

/** Every invariant, in the order a run establishes them; faults must be off already. */
export async function checkInvariants(context: CheckContext): Promise<Violation[]> {
  const { workload, instances } = context;
  const violations: Violation[] = [];
  const workloadExchanges = [...workload.exchanges];

  violations.push(...checkAnswers(workloadExchanges, context.namePool, context.coherenceMs, (exchange) => idWritten(context.proxy, exchange)));

  await sleep(context.coherenceMs + 50);
  const settled = await readTable(context.direct, context.tableName);
  violations.push(...checkAcknowledged(workloadExchanges, settled, 'after the run', false));
  violations.push(...checkNames(settled, workloadExchanges, 'after the run'));
  violations.push(...(await checkVisibility(context, workloadExchanges, settled)));
  violations.push(...(await checkOrphansHidden(context, settled)));
  violations.push(...(await checkTargetEntries(context, settled)));

  // One more program delete gives unfinished purges their chance, as the README promises.
  const cleanup = await workload.send(instances[0], 'createProgram', 'PROGRAM', 'POST', '/programs', { programName: `cleanup-${Date.now()}` });
  if (cleanup.status === 201 && cleanup.id) await workload.send(instances[0], 'deleteProgram', 'PROGRAM', 'DELETE', `/programs/${cleanup.id}`, undefined, { id: cleanup.id });
  else violations.push({ invariant: 'answers', object: 'cleanup program', message: `creating it was answered ${cleanup.status} with faults off`, ids: [], names: [] });

  await sleep(Math.max(context.nameClaimLeaseMs, context.coherenceMs) + 200);
  const later = await readTable(context.direct, context.tableName);
  violations.push(...checkOrphansGone(later));
  violations.push(...checkAcknowledged(workloadExchanges, later, 'a while later', true).filter((v) => v.invariant === 'delete is final'));
  violations.push(...(await probeNames(context, later)));
  violations.push(...checkServerErrors(workload.exchanges.filter((exchange) => exchange.client < 0)));
  return dedupe(violations).sort((a, b) => SEVERITY.indexOf(a.invariant) - SEVERITY.indexOf(b.invariant));
}

/** Reported in this order, so that the traces shown first are of the worst. */
const SEVERITY = [
  'no 500',
  'names are unique',
  'acknowledged writes hold',
  'delete is final',
  'no event outlives its program',
  'events are in their target lists',
  'no false conflicts',
  'no false not-found',
  'free names can be taken',
  'answers',
];

function dedupe(violations: Violation[]): Violation[] {
  const seen = new Set<string>();
  return violations.filter((violation) => {
    const key = `${violation.invariant}|${violation.object}|${violation.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

// ---- answers ------------------------------------------------------------------------------------

/** The checks' own requests, with faults off: no 5xx at all. */
function checkServerErrors(exchanges: Exchange[]): Violation[] {
  return exchanges
    .filter((exchange) => exchange.status >= 500 || exchange.status === 0)
    .map((exchange) => ({
      invariant: 'no 500',
      object: `${exchange.kind} ${exchange.id ?? '(new)'}`,
      message: `#${exchange.seq} ${exchange.method} ${exchange.path} was answered ${exchange.status} with faults off (${exchange.detail ?? 'no detail'})`,
      ids: [exchange.id, exchange.programID].filter((id): id is string => id !== undefined),
      names: exchange.name ? [exchange.name] : [],
    }));
}

/** The id a create not answered 201 wrote (or tried to), from the proxy log. */
function idWritten(proxy: FaultProxy, exchange: Exchange): string | undefined {
  if (exchange.method !== 'POST') return undefined;
  const prefix = `${exchange.kind}/`;
  const put = proxy.log.find((entry) => entry.trace === exchange.trace && entry.operation === 'PutItem' && entry.keys.some((key) => key.startsWith(prefix)));
  return put?.keys.find((key) => key.startsWith(prefix))?.slice(prefix.length);
}

function checkAnswers(
  exchanges: Exchange[],
  namePool: string[],
  coherenceMs: number,
  idOf: (exchange: Exchange) => string | undefined = () => undefined,
): Violation[] {
  const violations: Violation[] = [];
  const nameUses = new Map<string, number>();
  for (const exchange of exchanges) if (exchange.name) nameUses.set(exchange.name, (nameUses.get(exchange.name) ?? 0) + 1);
  const contested = (name?: string) => name !== undefined && (namePool.includes(name) || (nameUses.get(name) ?? 0) > 1);
  const all = exchanges;

  for (const exchange of exchanges) {
    const { status } = exchange;
    const fail = (message: string) => {
      const id = exchange.id ?? idOf(exchange);
      violations.push({
        invariant: status >= 500 || status === 0 ? 'no 500' : status === 409 ? 'no false conflicts' : status === 404 || status === 400 ? 'no false not-found' : 'answers',
        object: `${exchange.kind} ${id ?? '(new)'}`,
        message: `#${exchange.seq} ${exchange.method} ${exchange.path} ${message}`,
        ids: [id, exchange.programID].filter((value): value is string => value !== undefined),
        names: exchange.name ? [exchange.name] : [],
        seqs: [exchange.seq],
      });
    };
    if (status === 503) {
      if (!exchange.retryAfter) fail('was answered 503 without Retry-After');
      continue;
    }
    if (status >= 500 || status === 0) {
      fail(`was answered ${status} (${exchange.detail ?? 'no detail'})`);
      continue;
    }
    const deleteSent = deleteSentBefore(all, exchange);
    const programDeleteSent = exchange.kind === 'EVENT' && exchange.programID !== undefined && deletesOf(all, 'PROGRAM', exchange.programID).some((d) => d.startedAt <= exchange.endedAt);
    const raced = racingWrites(all, exchange).length > 0;
    const expected = (() => {
      switch (exchange.action) {
        case 'createProgram':
          return [201, ...(contested(exchange.name) ? [409] : [])];
        case 'renameProgram':
        case 'updateProgram':
          return [200, ...(deleteSent ? [404] : []), ...(contested(exchange.name) || raced ? [409] : [])];
        case 'createEvent':
          return [201, ...(programDeleteSent ? [400] : [])];
        case 'updateEvent':
          return [200, ...(deleteSent || programDeleteSent ? [404] : []), ...(programDeleteSent ? [400] : []), ...(raced ? [409] : [])];
        case 'createSubscription':
          return [201];
        case 'updateSubscription':
          return [200, ...(deleteSent ? [404] : []), ...(raced ? [409] : [])];
        case 'deleteProgram':
        case 'deleteEvent':
        case 'deleteSubscription':
          return [200, ...(deleteSent || programDeleteSent ? [404] : [])];
        case 'get':
          return [200, ...(deleteSent || programDeleteSent ? [404] : [])];
      }
    })();
    // Once a delete has been acknowledged, and every instance's caches have had their bound to
    // learn of it, the object (and, for an event, its program's events) is gone for every request.
    if (status === 200 && (exchange.method === 'GET' || exchange.method === 'PUT')) {
      const settledDeletes = [
        ...(exchange.id ? deletesOf(all, exchange.kind, exchange.id) : []),
        ...(exchange.kind === 'EVENT' && exchange.programID ? deletesOf(all, 'PROGRAM', exchange.programID) : []),
      ].filter((d) => acknowledged(d) && d.endedAt + coherenceMs + 100 < exchange.startedAt);
      if (settledDeletes.length > 0) {
        const [first] = settledDeletes;
        violations.push({
          invariant: 'delete is final',
          object: `${exchange.kind} ${exchange.id}`,
          message: `#${exchange.seq} ${exchange.method} ${exchange.path} was answered 200 ${exchange.startedAt - first.endedAt} ms after #${first.seq} ${first.method} ${first.path} was answered 200`,
          ids: [exchange.id, exchange.programID].filter((value): value is string => value !== undefined),
          names: [],
          seqs: [exchange.seq, first.seq],
        });
      }
    }
    if (!expected.includes(status)) {
      const why =
        status === 409 ? ' (no contested name, no racing write)' : status === 404 || status === 400 ? ' (no delete had been sent for it or its program)' : '';
      fail(`was answered ${status}${why}: ${exchange.detail ?? ''}`.trimEnd());
    }
  }
  return violations;
}

function deletesOf(exchanges: Exchange[], kind: ObjectKind, id: string): Exchange[] {
  return exchanges.filter((exchange) => exchange.method === 'DELETE' && exchange.kind === kind && exchange.id === id);
}

/** Another delete of the same object sent before this exchange ended. */
function deleteSentBefore(exchanges: Exchange[], exchange: Exchange): boolean {
  if (!exchange.id) return false;
  return deletesOf(exchanges, exchange.kind, exchange.id).some((d) => d.seq !== exchange.seq && d.startedAt <= exchange.endedAt);
}

/** Other writes to the same object that overlapped this one in time. */
function racingWrites(exchanges: Exchange[], exchange: Exchange): Exchange[] {
  return exchanges.filter(
    (other) =>
      other.seq !== exchange.seq &&
      other.kind === exchange.kind &&
      other.id === exchange.id &&
      (other.method === 'PUT' || other.method === 'DELETE') &&
      other.startedAt <= exchange.endedAt &&
      exchange.startedAt <= other.endedAt,
  );
}

// ---- acknowledged writes and deletes ------------------------------------------------------------

const acknowledged = (exchange: Exchange) => exchange.status === 200 || exchange.status === 201;
const rejected = (exchange: Exchange) => exchange.status >= 400 && exchange.status < 500;

/** Objects some client was told were created (201), with their exchanges. */
function createdObjects(exchanges: Exchange[]): Exchange[] {
  return exchanges.filter((exchange) => exchange.status === 201 && exchange.id && exchange.client >= 0);
}

/**
 * `purgesRun`: whether a program delete has run since the workload with faults off. Before, an
 * event of a deleted program may still be in the table (hidden, and marked for purging: the
 * orphan checks hold it to that); after, it must be gone.
 */
function checkAcknowledged(exchanges: Exchange[], table: TableState, when: string, purgesRun: boolean): Violation[] {
  const violations: Violation[] = [];
  for (const create of createdObjects(exchanges)) {
    const id = create.id!;
    const kind = create.kind;
    const writes = exchanges.filter((e) => e.kind === kind && e.id === id && (e.method === 'PUT' || e.method === 'POST'));
    const deletes = deletesOf(exchanges, kind, id);
    const programDeletes = kind === 'EVENT' && create.programID ? deletesOf(exchanges, 'PROGRAM', create.programID) : [];
    const ownAckDelete = deletes.find(acknowledged);
    const ackDelete = ownAckDelete ?? (purgesRun ? programDeletes.find(acknowledged) : undefined);
    const stored = table.objects.get(id);
    if (stored && !ownAckDelete && !purgesRun && programDeletes.some(acknowledged)) continue;
    const ids = [id, ...(create.programID ? [create.programID] : [])];
    const names = [...new Set(writes.map((w) => w.name).filter((n): n is string => n !== undefined))];
    const fail = (invariant: string, message: string) => violations.push({ invariant, object: `${kind} ${id}`, message: `${message} (${when})`, ids, names });

    if (!stored) {
      if (ackDelete || deletes.length > 0 || programDeletes.length > 0) continue;
      const lastAck = [...writes].reverse().find(acknowledged)!;
      fail('acknowledged writes hold', `is missing from the table; created by #${create.seq} (201), last acknowledged write #${lastAck.seq}, and no delete was ever sent for it${kind === 'EVENT' ? ' or its program' : ''}`);
      continue;
    }
    if (ackDelete) {
      fail('delete is final', `is in the table although #${ackDelete.seq} ${ackDelete.method} ${ackDelete.path} was answered 200`);
      continue;
    }
    // A client that sends a write again after a 503 sends the same value: any of them may be the source.
    const sources = writes.filter((w) => w.token !== undefined && w.token === stored.token);
    const later = (w: Exchange) => writes.filter((other) => acknowledged(other) && other.startedAt > w.endedAt);
    const source = sources.filter((w) => !rejected(w)).sort((a, b) => later(a).length - later(b).length)[0];
    if (sources.length === 0) {
      fail('acknowledged writes hold', `holds a value (${stored.token}) no write of it carried`);
      continue;
    }
    if (!source) {
      const [first] = sources;
      fail('no false conflicts', `holds the value of #${first.seq} ${first.method} ${first.path}, which was answered ${first.status}: a write reported as failed was applied`);
      continue;
    }
    const overwritten = later(source);
    if (overwritten.length > 0) {
      fail('acknowledged writes hold', `holds the value of #${source.seq} (answered ${source.status}), but #${overwritten.map((w) => w.seq).join(', #')} started after it ended and was answered 200: an acknowledged update is lost`);
      continue;
    }
    if (kind === 'PROGRAM' && source.name !== undefined && stored.programName !== source.name) {
      fail('acknowledged writes hold', `bears programName "${stored.programName}" with the targets of #${source.seq}, which asked for "${source.name}"`);
    }
  }
  return violations;
}

// ---- names ----------------------------------------------------------------------------------------

function checkNames(table: TableState, exchanges: Exchange[], when: string): Violation[] {
  const byName = new Map<string, StoredObjectState[]>();
  for (const object of table.objects.values()) {
    if (object.kind !== 'PROGRAM' || object.programName === undefined) continue;
    byName.set(object.programName, [...(byName.get(object.programName) ?? []), object]);
  }
  const known = new Set(createdObjects(exchanges).map((e) => e.id));
  return [...byName.entries()]
    .filter(([, programs]) => programs.length > 1)
    .map(([name, programs]) => ({
      invariant: 'names are unique',
      object: `programName "${name}"`,
      message: `is borne by ${programs.length} PROGRAM items: ${programs.map((p) => `${p.id}${known.has(p.id) ? '' : ' (created by a request not answered 201)'}`).join(', ')} (${when})`,
      ids: programs.map((p) => p.id),
      names: [name],
    }));
}

/** A name in use cannot be taken again; a name nobody bears can be taken once leases have run out. */
async function probeNames(context: CheckContext, table: TableState): Promise<Violation[]> {
  const violations: Violation[] = [...checkNames(table, context.workload.exchanges, 'a while later')];
  const inUse = new Set([...table.objects.values()].filter((o) => o.kind === 'PROGRAM').map((o) => o.programName as string));
  const names = [...new Set([...inUse, ...context.namePool])];
  for (const [index, name] of names.entries()) {
    const instance = context.instances[index % context.instances.length];
    const probe = await context.workload.send(instance, 'createProgram', 'PROGRAM', 'POST', '/programs', { programName: name, targets: ['probe'] }, { name, token: 'probe' });
    if (probe.status === 201 && probe.id) {
      await context.workload.send(instance, 'deleteProgram', 'PROGRAM', 'DELETE', `/programs/${probe.id}`, undefined, { id: probe.id });
    }
    if (inUse.has(name) && probe.status !== 409) {
      violations.push({
        invariant: 'names are unique',
        object: `programName "${name}"`,
        message: `is borne by a program, yet a new program could take it (#${probe.seq} answered ${probe.status})`,
        ids: [...table.objects.values()].filter((o) => o.programName === name).map((o) => o.id),
        names: [name],
      });
    }
    if (!inUse.has(name) && probe.status !== 201) {
      violations.push({
        invariant: 'free names can be taken',
        object: `programName "${name}"`,
        message: `is borne by no program, yet creating one with it was answered ${probe.status} after claim leases (${context.nameClaimLeaseMs} ms) had run out: ${probe.detail ?? ''}`,
        ids: [],
        names: [name],
      });
    }
  }
  return violations;
}

// ---- visibility through the API --------------------------------------------------------------------

const PATHS: Record<ObjectKind, string> = { PROGRAM: '/programs', EVENT: '/events', SUBSCRIPTION: '/subscriptions' };

async function checkVisibility(context: CheckContext, exchanges: Exchange[], table: TableState): Promise<Violation[]> {
  const violations: Violation[] = [];
  for (const create of createdObjects(exchanges)) {
    const id = create.id!;
    const stored = table.objects.get(id);
    const ackDelete = deletesOf(exchanges, create.kind, id).find(acknowledged);
    const orphan = stored?.kind === 'EVENT' && stored.programID !== undefined && !table.objects.has(stored.programID);
    for (const instance of context.instances) {
      const read = await context.workload.send(instance, 'get', create.kind, 'GET', `${PATHS[create.kind]}/${id}`, undefined, { id, programID: create.programID });
      const ids = [id, ...(create.programID ? [create.programID] : [])];
      if (stored && !orphan && !ackDelete) {
        const token = read.readToken;
        if (read.status !== 200 || token !== stored.token) {
          violations.push({
            invariant: 'acknowledged writes hold',
            object: `${create.kind} ${id}`,
            message: `instance ${instance.name} answers ${read.status}${read.status === 200 ? ` with ${token}` : ''} while the table holds ${stored.token} (${context.coherenceMs} ms after the last write)`,
            ids,
            names: [],
          });
        }
      }
      if (ackDelete && read.status !== 404) {
        violations.push({ invariant: 'delete is final', object: `${create.kind} ${id}`, message: `instance ${instance.name} answers ${read.status} after #${ackDelete.seq} deleted it (200)`, ids, names: [] });
      }
    }
  }
  return violations;
}

// ---- events of deleted programs ------------------------------------------------------------------------

function orphans(table: TableState): StoredObjectState[] {
  return [...table.objects.values()].filter((o) => o.kind === 'EVENT' && o.programID !== undefined && table.objects.get(o.programID)?.kind !== 'PROGRAM');
}

async function checkOrphansHidden(context: CheckContext, table: TableState): Promise<Violation[]> {
  const violations: Violation[] = [];
  const byProgram = new Map<string, StoredObjectState[]>();
  for (const event of orphans(table)) byProgram.set(event.programID!, [...(byProgram.get(event.programID!) ?? []), event]);
  for (const [programID, events] of byProgram) {
    if (!table.pendingPurges.has(programID)) {
      violations.push({
        invariant: 'no event outlives its program',
        object: `PROGRAM ${programID}`,
        message: `is gone, but ${events.length} of its events (${events.map((e) => e.id).join(', ')}) are in the table with no pending purge to remove them`,
        ids: [programID, ...events.map((e) => e.id)],
        names: [],
      });
    }
    for (const instance of context.instances) {
      const list = await context.workload.send(instance, 'get', 'EVENT', 'GET', `/events?programID=${programID}`, undefined, { programID });
      if (list.status !== 200 || (list.readCount ?? 0) > 0) {
        violations.push({
          invariant: 'no event outlives its program',
          object: `PROGRAM ${programID}`,
          message: `is gone, but instance ${instance.name} lists its events: GET /events?programID= answered ${list.status} with ${list.readCount ?? '?'} events`,
          ids: [programID, ...events.map((e) => e.id)],
          names: [],
        });
      }
      for (const event of events) {
        const read = await context.workload.send(instance, 'get', 'EVENT', 'GET', `/events/${event.id}`, undefined, { id: event.id, programID });
        if (read.status !== 404) {
          violations.push({
            invariant: 'no event outlives its program',
            object: `EVENT ${event.id}`,
            message: `of deleted program ${programID} is answered ${read.status} by instance ${instance.name}`,
            ids: [event.id, programID],
            names: [],
          });
        }
      }
    }
  }
  return violations;
}

// ---- target entries ---------------------------------------------------------------------------------

async function checkTargetEntries(context: CheckContext, table: TableState): Promise<Violation[]> {
  const violations: Violation[] = [];
  const entries = new Map<string, Map<string, Record<string, AttributeValue>>>();
  const entriesOf = async (list: string) => {
    if (!entries.has(list)) entries.set(list, new Map((await readPartition(context.direct, context.tableName, list)).map((item) => [item.id.S as string, item])));
    return entries.get(list)!;
  };
  for (const event of await readPartition(context.direct, context.tableName, 'EVENT')) {
    const id = event.id.S as string;
    const programID = table.objects.get(id)?.programID;
    if (!programID || table.objects.get(programID)?.kind !== 'PROGRAM') continue;
    for (const list of listsOf(event)) {
      const entry = (await entriesOf(list)).get(id);
      const problem = !entry ? 'has no entry' : entry.eventStart?.S !== event.eventStart?.S || entry.eventEnd?.S !== event.eventEnd?.S ? 'has an entry at another start or end' : undefined;
      if (problem) violations.push({ invariant: 'events are in their target lists', object: `EVENT ${id}`, message: `${problem} in ${list} (version ${event.version?.N})`, ids: [id, programID], names: [] });
    }
  }
  return violations;
}

function checkOrphansGone(table: TableState): Violation[] {
  const byProgram = new Map<string, StoredObjectState[]>();
  for (const event of orphans(table)) byProgram.set(event.programID!, [...(byProgram.get(event.programID!) ?? []), event]);
  return [...byProgram].map(([programID, events]) => ({
    invariant: 'no event outlives its program',
    object: `PROGRAM ${programID}`,
    message: `is gone, yet ${events.length} of its events (${events.map((e) => e.id).join(', ')}) are still in the table after a later program delete with faults off${table.pendingPurges.has(programID) ? ' (a pending purge names it)' : ' (no pending purge names it)'}`,
    ids: [programID, ...events.map((e) => e.id)],
    names: [],
  }));
}

// ---- the report -------------------------------------------------------------------------------------

export interface ReportContext {
  seed: number;
  plan: string;
  replay: string;
  workload: Workload;
  proxy: FaultProxy;
  durationMs: number;
}

export function answerMix(exchanges: Exchange[]): Record<string, number> {
  const mix: Record<string, number> = {};
  for (const exchange of exchanges) mix[exchange.status] = (mix[exchange.status] ?? 0) + 1;
  return mix;
}

export function summary(context: ReportContext): string {
  const { proxy, workload } = context;
  const exchanges = workload.exchanges.filter((e) => e.client >= 0);
  return [
    `seed ${context.seed} (replay: ${context.replay})`,
    `faults: ${context.plan}`,
    `injected: ${JSON.stringify(proxy.counters.injected)} of ${Object.values(proxy.counters.requests).reduce((a, b) => a + b, 0)} DynamoDB requests; by operation ${JSON.stringify(proxy.counters.byOperation)}`,
    `workload: ${exchanges.length} requests in ${Math.round(context.durationMs)} ms, answers ${JSON.stringify(answerMix(exchanges))}`,
  ].join('\n');
}

/** Which invariant, which object, what the clients were told and what DynamoDB saw, per violation. */
export function report(violations: Violation[], context: ReportContext, detailed = 8): string {
  const lines = [`${violations.length} invariant violation(s) under faults`, summary(context), ''];
  const counts = new Map<string, number>();
  for (const violation of violations) counts.set(violation.invariant, (counts.get(violation.invariant) ?? 0) + 1);
  lines.push(`by invariant: ${[...counts].map(([invariant, count]) => `${invariant}: ${count}`).join('; ')}`, '');
  for (const [index, violation] of violations.entries()) {
    lines.push(`[${violation.invariant}] ${violation.object} ${violation.message}`);
    if (index < detailed) lines.push(...trace(violation, context).map((line) => `    ${line}`), '');
  }
  if (violations.length > detailed) lines.push(`(traces shown for the first ${detailed})`);
  return lines.join('\n');
}

function trace(violation: Violation, context: ReportContext): string[] {
  // The object's own exchanges; of a program an event belongs to, only its deletes.
  const [primary] = violation.ids;
  const exchanges = context.workload.exchanges.filter(
    (e) =>
      violation.seqs?.includes(e.seq) ||
      (e.id !== undefined && e.id === primary) ||
      (e.method === 'DELETE' && e.id !== undefined && violation.ids.includes(e.id)) ||
      (e.name !== undefined && violation.names.includes(e.name)) ||
      (violation.object.startsWith('PROGRAM') && e.kind === 'EVENT' && e.method === 'POST' && e.programID === primary),
  );
  const keyed = (entry: ProxyLogEntry) =>
    entry.keys.some((key) => violation.ids.some((id) => key.includes(id)) || violation.names.some((name) => key === `PROGRAM_NAME/${name}` || key.endsWith(`/${name}`)));
  const lines: string[] = [];
  const traces = new Set(exchanges.map((e) => e.trace));
  for (const exchange of exchanges.slice(0, 30)) {
    lines.push(describeExchange(exchange));
    const all = violation.seqs?.includes(exchange.seq) ?? false;
    const entries = context.proxy.log.filter((entry) => entry.trace === exchange.trace && (all || keyed(entry) || entry.fault !== 'none'));
    for (const entry of entries.slice(0, 14)) lines.push(`    ${describeEntry(entry)}`);
    if (entries.length > 14) lines.push(`    ... ${entries.length - 14} more`);
  }
  if (exchanges.length > 30) lines.push(`... ${exchanges.length - 30} more exchanges`);
  // Writes to these keys by requests none of the exchanges above made (phantom creates, purges).
  const others = context.proxy.log.filter((entry) => keyed(entry) && !traces.has(entry.trace ?? '') && isWrite(entry));
  if (others.length > 0) {
    lines.push('other DynamoDB writes to these keys:');
    for (const entry of others.slice(0, 12)) lines.push(`    ${entry.trace ?? 'untagged'} ${describeEntry(entry)}`);
  }
  return lines;
}

function isWrite(entry: ProxyLogEntry): boolean {
  return ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems'].includes(entry.operation);
}

function describeExchange(e: Exchange): string {
  const what = [e.name !== undefined ? `name="${e.name}"` : '', e.token ? `token=${e.token}` : '', e.retryOf ? `retry of #${e.retryOf}` : ''].filter(Boolean).join(' ');
  const who = e.client >= 0 ? `client ${e.client}` : 'check';
  return `#${e.seq} ${who} [${e.trace}] @${e.instance} ${e.method} ${e.path} ${what} +${e.startedAt}..+${e.endedAt}ms -> ${e.status}${e.status === 201 ? ` id ${e.id}` : ''}${e.detail ? ` "${e.detail}"` : ''}`;
}

function describeEntry(entry: ProxyLogEntry): string {
  const fault = entry.fault === 'none' ? '' : ` ${entry.fault.toUpperCase()}-FAULT`;
  const upstream = entry.upstreamStatus === undefined ? ' (not forwarded)' : ` server ${entry.upstreamStatus}${entry.upstreamError ? ` ${entry.upstreamError}` : ''}`;
  const keys = entry.keys.length > 3 ? `${entry.keys.slice(0, 3).join(' ')} +${entry.keys.length - 3}` : entry.keys.join(' ');
  return `+${entry.at}ms ${entry.operation} ${keys}${entry.condition ? ` [${entry.condition}]` : ''}${fault}${upstream}${entry.enabled ? '' : ' (faults off)'}`;
}
