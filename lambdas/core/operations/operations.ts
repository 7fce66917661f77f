import { Temporal } from 'temporal-polyfill';
import { InvalidInputError, NotFoundError } from '../errors';
import { callbackUrlProblem } from '../notifications/address-policy';
import type { Subscription } from '../openadr/types';
import { eventRequest, programRequest, subscriptionRequest } from '../openadr/validation';
import type { EventQuery, ProgramQuery, SubscriptionQuery, VtnStorage } from '../storage/port';
import { SORTABLE_RANGE } from '../time/temporal';
import { newObject, replacement, toWire, type WireObject } from './objects';

/** Event search as a client asks for it: `active` means "not yet ended at the time of asking". */
export type EventSearch = Omit<EventQuery, 'activeAt'> & { active?: boolean };

/** Who is calling; until authentication exists, subscriptions take the anonymous client. */
export interface Caller {
  clientID: string;
}

export const ANONYMOUS: Caller = { clientID: 'anonymous' };

export interface OperationsOptions {
  /** Accept callback URLs on loopback, private and link-local addresses (local development). */
  allowPrivateCallbacks: boolean;
}

/**
 * The OpenADR operations: validate input, apply the protocol's rules, stamp metadata, and answer
 * in wire form. The only layer that knows both the protocol and the storage port.
 */
export class VtnOperations {
  constructor(
    private readonly storage: VtnStorage,
    private readonly options: OperationsOptions = { allowPrivateCallbacks: false },
  ) {}

  // programs
  async listPrograms(query: ProgramQuery): Promise<WireObject[]> {
    return (await this.storage.programs.list(query)).map(toWire);
  }
  async getProgram(id: string): Promise<WireObject> {
    return toWire(await this.storage.programs.get(id));
  }
  async createProgram(body: unknown): Promise<WireObject> {
    return toWire(await this.storage.programs.create(newObject('PROGRAM', programRequest, body)));
  }
  /** An update of an unknown object is 404 whatever its body: existence is checked first. */
  async updateProgram(id: string, body: unknown): Promise<WireObject> {
    await this.storage.programs.get(id);
    return toWire(await this.storage.programs.update(id, replacement('PROGRAM', programRequest, body)));
  }
  async deleteProgram(id: string): Promise<WireObject> {
    return toWire(await this.storage.programs.delete(id));
  }

  // events
  async listEvents({ active, dateStart, dateEnd, ...query }: EventSearch): Promise<WireObject[]> {
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
  async getEvent(id: string): Promise<WireObject> {
    return toWire(await this.storage.events.get(id));
  }
  async createEvent(body: unknown): Promise<WireObject> {
    const event = newObject('EVENT', eventRequest, body);
    await this.requireProgram(event.programID);
    return toWire(await this.storage.events.create(event));
  }
  async updateEvent(id: string, body: unknown): Promise<WireObject> {
    await this.storage.events.get(id);
    const change = replacement('EVENT', eventRequest, body);
    await this.requireProgram((body as { programID: string }).programID);
    return toWire(await this.storage.events.update(id, change));
  }
  async deleteEvent(id: string): Promise<WireObject> {
    return toWire(await this.storage.events.delete(id));
  }

  // subscriptions
  async listSubscriptions(query: SubscriptionQuery): Promise<WireObject[]> {
    return (await this.storage.subscriptions.list(query)).map(toWire);
  }
  async getSubscription(id: string): Promise<WireObject> {
    return toWire(await this.storage.subscriptions.get(id));
  }
  async createSubscription(body: unknown, caller: Caller = ANONYMOUS): Promise<WireObject> {
    const subscription = newObject('SUBSCRIPTION', subscriptionRequest, body, { clientID: caller.clientID });
    this.requireCallableCallbacks(subscription);
    return toWire(await this.storage.subscriptions.create(subscription));
  }
  async updateSubscription(id: string, body: unknown): Promise<WireObject> {
    await this.storage.subscriptions.get(id);
    const change = replacement('SUBSCRIPTION', subscriptionRequest, body, ['clientID']);
    this.requireCallableCallbacks(body as Subscription);
    return toWire(await this.storage.subscriptions.update(id, change));
  }
  async deleteSubscription(id: string): Promise<WireObject> {
    return toWire(await this.storage.subscriptions.delete(id));
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
