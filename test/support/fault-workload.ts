import { mulberry32 } from './faults';
import type { Answer, VtnInstance } from './vtn-instance';

/**
 * A mixed workload of API requests from several concurrent clients over several VTN instances:
 * creates, renames onto a small pool of contested names, updates and deletes of programs; events
 * created, updated and deleted, some for programs being deleted at that very moment;
 * subscriptions. Every exchange is recorded with what it tried to write (a unique token per
 * write, so the final state names the write it came from), when it ran and how it was answered.
 * A seed fixes every client's choices; the interleaving of the clients still varies with timing.
 */

export type ObjectKind = 'PROGRAM' | 'EVENT' | 'SUBSCRIPTION';

export type Action =
  | 'createProgram'
  | 'renameProgram'
  | 'updateProgram'
  | 'deleteProgram'
  | 'createEvent'
  | 'updateEvent'
  | 'deleteEvent'
  | 'createSubscription'
  | 'updateSubscription'
  | 'deleteSubscription'
  | 'get';

export interface Exchange {
  seq: number;
  /** Tags the DynamoDB requests this exchange caused (see TRACE_HEADER). */
  trace: string;
  client: number;
  instance: string;
  action: Action;
  method: string;
  path: string;
  kind: ObjectKind;
  /** The object addressed, or the one created (from a 201's body). */
  id?: string;
  /** The unique value this write carries: a program's targets[0], an event's eventName, a subscription's clientName. */
  token?: string;
  /** The programName a program create or update asked for. */
  name?: string;
  /** The program an event belongs to (events only). */
  programID?: string;
  /** A retry of exchange `retryOf` after its 503. */
  retryOf?: number;
  startedAt: number;
  endedAt: number;
  status: number;
  retryAfter?: string;
  detail?: string;
  /** What a GET of one object answered with: its token. */
  readToken?: string;
  /** How many objects a GET of a list answered with. */
  readCount?: number;
}

export interface WorkloadOptions {
  seed: number;
  clients: number;
  /** Operations per client (a program delete with racing event creates counts as one). */
  operationsPerClient: number;
  /** Names many clients create and rename programs onto. */
  namePool: string[];
  /** No new operation starts after this many ms. */
  deadlineMs: number;
  /** Probability that a client retries a request answered 503 (once). */
  retryRate?: number;
}

interface Known {
  programs: string[];
  events: { id: string; programID: string }[];
  subscriptions: string[];
  /** Programs a delete has been sent for. */
  deletedPrograms: Set<string>;
}

const WEIGHTS: [Action, number][] = [
  ['createProgram', 14],
  ['renameProgram', 14],
  ['updateProgram', 4],
  ['deleteProgram', 8],
  ['createEvent', 18],
  ['updateEvent', 10],
  ['deleteEvent', 6],
  ['createSubscription', 6],
  ['updateSubscription', 4],
  ['deleteSubscription', 3],
  ['get', 8],
];
const TOTAL_WEIGHT = WEIGHTS.reduce((sum, [, weight]) => sum + weight, 0);

export class Workload {
  readonly exchanges: Exchange[] = [];
  readonly known: Known = { programs: [], events: [], subscriptions: [], deletedPrograms: new Set() };
  private sequence = 0;
  private readonly perClient = new Map<number, number>();

  constructor(
    private readonly instances: VtnInstance[],
    private readonly options: WorkloadOptions,
    /** Milliseconds on the clock the fault proxy's log uses. */
    private readonly now: () => number,
  ) {}

  async run(): Promise<void> {
    const startedAt = this.now();
    await Promise.all(
      Array.from({ length: this.options.clients }, async (_, client) => {
        const random = mulberry32(this.options.seed * 7919 + client + 1);
        for (let step = 0; step < this.options.operationsPerClient; step++) {
          if (this.now() - startedAt > this.options.deadlineMs) return;
          await this.step(client, random);
        }
      }),
    );
  }

  /** One request outside the workload (checks, probes), recorded like the others. */
  send(instance: VtnInstance, action: Action, kind: ObjectKind, method: string, path: string, body?: unknown, fields: Partial<Exchange> = {}): Promise<Exchange> {
    return this.exchange(-1, instance, action, kind, method, path, body, fields);
  }

  private async step(client: number, random: () => number): Promise<void> {
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
    const instance = () => pick(this.instances);
    const token = () => `t${this.options.seed}-${client}-${Math.floor(random() * 1e9).toString(36)}`;
    const contestedOrOwn = () => (random() < 0.6 ? pick(this.options.namePool) : `own-${token()}`);
    const { programs, events, subscriptions, deletedPrograms } = this.known;
    const livePrograms = programs.filter((id) => !deletedPrograms.has(id));

    let action = this.chooseAction(random);
    if (programs.length === 0 || (livePrograms.length === 0 && action !== 'createSubscription')) action = 'createProgram';
    if (action.endsWith('Event') && action !== 'createEvent' && events.length === 0) action = 'createEvent';
    if (action.endsWith('Subscription') && action !== 'createSubscription' && subscriptions.length === 0) action = 'createSubscription';

    const send = (method: string, path: string, kind: ObjectKind, body: unknown, fields: Partial<Exchange>, act: Action = action) =>
      this.withRetry(random, () => this.exchange(client, instance(), act, kind, method, path, body, fields));

    switch (action) {
      case 'createProgram': {
        const name = contestedOrOwn();
        const t = token();
        const answer = await send('POST', '/programs', 'PROGRAM', { programName: name, targets: [t] }, { name, token: t });
        if (answer.status === 201 && answer.id) programs.push(answer.id);
        return;
      }
      case 'renameProgram':
      case 'updateProgram': {
        const id = pick(random() < 0.85 && livePrograms.length ? livePrograms : programs);
        const name = action === 'renameProgram' ? pick(this.options.namePool) : `own-${token()}`;
        const t = token();
        await send('PUT', `/programs/${id}`, 'PROGRAM', { programName: name, targets: [t] }, { id, name, token: t });
        return;
      }
      case 'deleteProgram': {
        const id = pick(livePrograms.length ? livePrograms : programs);
        deletedPrograms.add(id);
        const racing = random() < 0.6 ? 1 + Math.floor(random() * 2) : 0;
        const raced = events.filter((event) => event.programID === id);
        await Promise.all([
          send('DELETE', `/programs/${id}`, 'PROGRAM', undefined, { id }),
          ...Array.from({ length: racing }, () => this.createEvent(client, random, instance(), id, token())),
          ...(raced.length && random() < 0.5 ? [this.updateEvent(client, random, instance(), pick(raced), token())] : []),
        ]);
        return;
      }
      case 'createEvent': {
        const id = pick(random() < 0.9 && livePrograms.length ? livePrograms : programs);
        await this.createEvent(client, random, instance(), id, token());
        return;
      }
      case 'updateEvent':
        await this.updateEvent(client, random, instance(), pick(events), token());
        return;
      case 'deleteEvent': {
        const event = pick(events);
        await send('DELETE', `/events/${event.id}`, 'EVENT', undefined, { id: event.id, programID: event.programID });
        return;
      }
      case 'createSubscription': {
        const t = token();
        const programID = livePrograms.length && random() < 0.5 ? pick(livePrograms) : undefined;
        const answer = await send('POST', '/subscriptions', 'SUBSCRIPTION', subscriptionBody(t, programID), { token: t });
        if (answer.status === 201 && answer.id) subscriptions.push(answer.id);
        return;
      }
      case 'updateSubscription': {
        const id = pick(subscriptions);
        const t = token();
        await send('PUT', `/subscriptions/${id}`, 'SUBSCRIPTION', subscriptionBody(t), { id, token: t });
        return;
      }
      case 'deleteSubscription': {
        const id = pick(subscriptions);
        await send('DELETE', `/subscriptions/${id}`, 'SUBSCRIPTION', undefined, { id });
        return;
      }
      case 'get': {
        const which = random();
        if (which < 0.4 || (events.length === 0 && subscriptions.length === 0)) {
          const id = pick(programs);
          await send('GET', `/programs/${id}`, 'PROGRAM', undefined, { id });
        } else if ((which < 0.8 && events.length) || subscriptions.length === 0) {
          const event = pick(events);
          await send('GET', `/events/${event.id}`, 'EVENT', undefined, { id: event.id, programID: event.programID });
        } else {
          const id = pick(subscriptions);
          await send('GET', `/subscriptions/${id}`, 'SUBSCRIPTION', undefined, { id });
        }
        return;
      }
    }
  }

  private chooseAction(random: () => number): Action {
    let draw = random() * TOTAL_WEIGHT;
    for (const [action, weight] of WEIGHTS) {
      draw -= weight;
      if (draw < 0) return action;
    }
    return 'get';
  }

  private async createEvent(client: number, random: () => number, instance: VtnInstance, programID: string, t: string): Promise<void> {
    const answer = await this.withRetry(random, () =>
      this.exchange(client, instance, 'createEvent', 'EVENT', 'POST', '/events', eventBody(programID, t), { programID, token: t }),
    );
    if (answer.status === 201 && answer.id) this.known.events.push({ id: answer.id, programID });
  }

  private async updateEvent(client: number, random: () => number, instance: VtnInstance, event: { id: string; programID: string }, t: string): Promise<void> {
    await this.withRetry(random, () =>
      this.exchange(client, instance, 'updateEvent', 'EVENT', 'PUT', `/events/${event.id}`, eventBody(event.programID, t), { id: event.id, programID: event.programID, token: t }),
    );
  }

  /** Sends, and once in a while sends again after a 503, as an impatient client would. */
  private async withRetry(random: () => number, send: () => Promise<Exchange>): Promise<Exchange> {
    const first = await send();
    if (first.status !== 503 || random() >= (this.options.retryRate ?? 0.5)) return first;
    await new Promise((resolve) => setTimeout(resolve, 20 + Math.floor(random() * 80)));
    const again = await send();
    again.retryOf = first.seq;
    return again;
  }

  private async exchange(
    client: number,
    instance: VtnInstance,
    action: Action,
    kind: ObjectKind,
    method: string,
    path: string,
    body: unknown,
    fields: Partial<Exchange>,
  ): Promise<Exchange> {
    const seq = ++this.sequence;
    // Named by the client and its own count, so that a seed gives each client's n-th request the same faults.
    const own = (this.perClient.get(client) ?? 0) + 1;
    this.perClient.set(client, own);
    const exchange: Exchange = {
      seq,
      trace: client >= 0 ? `c${client}.${own}` : `check.${own}`,
      client,
      instance: instance.name,
      action,
      method,
      path,
      kind,
      ...fields,
      startedAt: this.now(),
      endedAt: Number.NaN,
      status: 0,
    };
    this.exchanges.push(exchange);
    let answer: Answer;
    try {
      answer = await instance.invoke(method, path, body, exchange.trace);
    } catch (error) {
      // The handler itself threw: API Gateway would answer 500.
      answer = { status: 500, headers: {}, body: { detail: `handler threw: ${(error as Error).message}` } };
    }
    exchange.endedAt = this.now();
    exchange.status = answer.status;
    exchange.retryAfter = answer.headers['retry-after'];
    if (answer.status === 201) exchange.id = (answer.body as { id?: string })?.id;
    if (answer.status >= 400) exchange.detail = (answer.body as { detail?: string })?.detail;
    if (answer.status === 200 && method === 'GET') {
      if (Array.isArray(answer.body)) exchange.readCount = answer.body.length;
      else exchange.readToken = tokenOf(kind, answer.body as Record<string, unknown>);
    }
    return exchange;
  }
}

/** The unique value a write put into an object of this kind. */
export function tokenOf(kind: ObjectKind, object: Record<string, unknown> | undefined): string | undefined {
  if (!object) return undefined;
  if (kind === 'PROGRAM') return (object.targets as string[] | undefined)?.[0];
  return (kind === 'EVENT' ? object.eventName : object.clientName) as string | undefined;
}

/** Target sets an event moves between, so that writes add, keep and drop target entries. */
const EVENT_TARGETS = [['g0'], ['g1'], ['g0', 'g1'], undefined];

export function eventBody(programID: string, token: string) {
  const targets = EVENT_TARGETS[[...token].reduce((sum, char) => sum + char.charCodeAt(0), 0) % EVENT_TARGETS.length];
  return {
    programID,
    eventName: token,
    ...(targets ? { targets } : {}),
    intervalPeriod: { start: '2030-07-01T17:00:00Z', duration: 'PT1H' },
    intervals: [{ id: 0, payloads: [{ type: 'PRICE', values: [0.31] }] }],
  };
}

export function subscriptionBody(token: string, programID?: string) {
  return {
    clientName: token,
    ...(programID ? { programID } : {}),
    objectOperations: [{ objects: ['EVENT'], operations: ['CREATE', 'UPDATE'], callbackUrl: 'https://ven.example.com/callback' }],
  };
}
