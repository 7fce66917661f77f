import { Temporal } from 'temporal-polyfill';
import { SCOPES, type Role, type Scope } from '../auth/scopes';
import { InvalidInputError, NotFoundError } from '../errors';
import { callbackUrlProblem } from '../notifications/address-policy';
import type { Subscription } from '../openadr/types';
import { eventRequest, programRequest, subscriptionRequest } from '../openadr/validation';
import type { EventQuery, ProgramQuery, SubscriptionQuery, VtnStorage } from '../storage/port';
import { SORTABLE_RANGE } from '../time/temporal';
import { newObject, replacement, toWire, type WireObject } from './objects';

/** Event search as a client asks for it: `active` means "not yet ended at the time of asking". */
export type EventSearch = Omit<EventQuery, 'activeAt'> & { active?: boolean };

/** Who is calling, from the verified access token. */
export interface Caller {
  clientID: string;
  role: Role;
  scopes: readonly Scope[];
}

/** Every caller when authentication is off (VTN_AUTH=off): a BL holding every scope. */
export const ANONYMOUS: Caller = { clientID: 'anonymous', role: 'BL', scopes: SCOPES };

export interface OperationsOptions {
  /** Accept callback URLs on loopback, private and link-local addresses (local development). */
  allowPrivateCallbacks: boolean;
}

/**
 * The OpenADR operations: validate input, apply the protocol's rules, stamp metadata, and answer
 * in wire form. The only layer that knows both the protocol and the storage port. Each operation
 * is done for a caller; program and event operations do not read it yet (no target-based
 * privacy: every client that may read them sees every program and event).
 */
export class VtnOperations {
  constructor(
    private readonly storage: VtnStorage,
    private readonly options: OperationsOptions = { allowPrivateCallbacks: false },
  ) {}

  // programs
  async listPrograms(_caller: Caller, query: ProgramQuery): Promise<WireObject[]> {
    return (await this.storage.programs.list(query)).map(toWire);
  }
  async getProgram(_caller: Caller, id: string): Promise<WireObject> {
    return toWire(await this.storage.programs.get(id));
  }
  async createProgram(_caller: Caller, body: unknown): Promise<WireObject> {
    return toWire(await this.storage.programs.create(newObject('PROGRAM', programRequest, body)));
  }
  /** An update of an unknown object is 404 whatever its body: existence is checked first. */
  async updateProgram(_caller: Caller, id: string, body: unknown): Promise<WireObject> {
    await this.storage.programs.get(id);
    return toWire(await this.storage.programs.update(id, replacement('PROGRAM', programRequest, body)));
  }
  async deleteProgram(_caller: Caller, id: string): Promise<WireObject> {
    return toWire(await this.storage.programs.delete(id));
  }

  // events
  async listEvents(_caller: Caller, { active, dateStart, dateEnd, ...query }: EventSearch): Promise<WireObject[]> {
    const { compare } = Temporal.ZonedDateTime;
    if (dateStart && dateEnd && compare(dateStart, dateEnd) > 0) throw InvalidInputError.field('dateEnd', 'must not be before dateStart');
    // Storage sees only bounds inside SORTABLE_RANGE, where every event starts: clamped, or no query at all.
    const { earliest, latest } = SORTABLE_RANGE;
    if ((dateStart && compare(dateStart, latest) > 0) || (dateEnd && compare(dateEnd, earliest) < 0)) return [];
    const range = {
      dateStart: dateStart && (compare(dateStart, earliest) < 0 ? earliest : dateStart),
      dateEnd: dateEnd && (compare(dateEnd, latest) > 0 ? latest : dateEnd),
    };
    const activeAt = active ? Temporal.Now.instant() : undefined;
    return (await this.storage.events.list({ ...query, ...range, activeAt })).map(toWire);
  }
  async getEvent(_caller: Caller, id: string): Promise<WireObject> {
    return toWire(await this.storage.events.get(id));
  }
  async createEvent(_caller: Caller, body: unknown): Promise<WireObject> {
    const event = newObject('EVENT', eventRequest, body);
    await this.requireProgram(event.programID);
    return toWire(await this.storage.events.create(event));
  }
  async updateEvent(_caller: Caller, id: string, body: unknown): Promise<WireObject> {
    await this.storage.events.get(id);
    const change = replacement('EVENT', eventRequest, body);
    await this.requireProgram((body as { programID: string }).programID);
    return toWire(await this.storage.events.update(id, change));
  }
  async deleteEvent(_caller: Caller, id: string): Promise<WireObject> {
    return toWire(await this.storage.events.delete(id));
  }

  // subscriptions: a VEN sees only its own (by clientID); a BL sees all
  async listSubscriptions(caller: Caller, query: SubscriptionQuery): Promise<WireObject[]> {
    if (caller.role === 'BL') return (await this.storage.subscriptions.list(query)).map(toWire);
    if (query.limit === 0) return [];
    // The whole list is cached and kept coherent; a VEN's share of it is filtered here.
    const own = (await this.storage.subscriptions.all()).filter((subscription) => subscription.clientID === caller.clientID && matches(subscription, query));
    return own.slice(query.skip, query.skip + query.limit).map(toWire);
  }
  async getSubscription(caller: Caller, id: string): Promise<WireObject> {
    return toWire(await this.visibleSubscription(caller, id));
  }
  async createSubscription(caller: Caller, body: unknown): Promise<WireObject> {
    const subscription = newObject('SUBSCRIPTION', subscriptionRequest, body, { clientID: caller.clientID });
    this.requireCallableCallbacks(subscription);
    return toWire(await this.storage.subscriptions.create(subscription));
  }
  async updateSubscription(caller: Caller, id: string, body: unknown): Promise<WireObject> {
    await this.visibleSubscription(caller, id);
    const change = replacement('SUBSCRIPTION', subscriptionRequest, body, ['clientID']);
    this.requireCallableCallbacks(body as Subscription);
    return toWire(await this.storage.subscriptions.update(id, change));
  }
  async deleteSubscription(caller: Caller, id: string): Promise<WireObject> {
    await this.visibleSubscription(caller, id);
    return toWire(await this.storage.subscriptions.delete(id));
  }

  /** Another VEN's subscription does not exist for this one (clientID never changes). */
  private async visibleSubscription(caller: Caller, id: string): Promise<Subscription> {
    const subscription = await this.storage.subscriptions.get(id);
    if (caller.role === 'VEN' && subscription.clientID !== caller.clientID) throw new NotFoundError('SUBSCRIPTION', id);
    return subscription;
  }

  /** Callbacks must be http(s) and, unless allowed, not aim at local or private addresses (SSRF). */
  private requireCallableCallbacks(subscription: Pick<Subscription, 'objectOperations'>): void {
    const issues = subscription.objectOperations.flatMap((operation, index) => {
      const reason = callbackUrlProblem(operation.callbackUrl, this.options.allowPrivateCallbacks);
      return reason ? [{ field: `objectOperations[${index}].callbackUrl`, reason }] : [];
    });
    if (issues.length > 0) throw new InvalidInputError(issues);
  }

  /** An event must name a program that exists. */
  private async requireProgram(programID: string): Promise<void> {
    try {
      await this.storage.programs.get(programID);
    } catch (error) {
      if (error instanceof NotFoundError) throw InvalidInputError.field('programID', `program ${programID} does not exist`);
      throw error;
    }
  }
}

/** The subscription query's filters, as storage applies them: each given filter must hold. */
function matches(subscription: Subscription, query: SubscriptionQuery): boolean {
  const objects = subscription.objectOperations.flatMap((operation) => operation.objects as string[]);
  return (
    (query.programID === undefined || subscription.programID === query.programID) &&
    (query.clientName === undefined || subscription.clientName === query.clientName) &&
    (!query.objects?.length || query.objects.some((object) => objects.includes(object)))
  );
}
