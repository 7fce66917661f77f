import { Temporal } from 'temporal-polyfill';
import type { Caller } from '../auth/caller';
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from '../errors';
import { withJsonText } from '../json-text';
import { callbackUrlProblem } from '../notifications/address-policy';
import { grantedOnly } from '../openadr/targets';
import { EVENT_PROGRAM, SUBSCRIBER_ROLE, type ObjectByType, type Resource, type StoredObject, type StoredObjectType, type Subscription, type Ven, type VtnEvent } from '../openadr/types';
import { eventRequest, programRequest, reportRequest, resourceRequest, subscriptionRequest, venRequest } from '../openadr/request-bodies';
import type { EventQuery, Grant, ProgramQuery, ReportQuery, ResourceQuery, SubscriptionQuery, VenQuery, VtnStorage } from '../storage/port';
import { SORTABLE_RANGE } from '../time/temporal';
import { newObject, replacement, toWire, type WireObject } from './objects';
import { BL_READER, mayRead, programTargetsOf, shownTo, type Reader } from './privacy';

/** Event search as a client asks for it: `active` means "not yet ended at the time of asking". */
export type EventSearch = Omit<EventQuery, 'activeAt'> & { active?: boolean };

export interface OperationsOptions {
  /** Accept http callback URLs, and those on loopback, private and link-local addresses (local development). */
  allowPrivateCallbacks: boolean;
  /** Sends a callback URL the echo challenge; answers why it failed, or undefined when it passed. */
  verifyCallback: (callbackUrl: string) => Promise<string | undefined>;
}

/**
 * The OpenADR operations: validate input, apply the protocol's rules, stamp metadata, and answer
 * in wire form. The only layer that knows both the protocol and the storage port. Each operation
 * is done for a caller, whose role and grant decide what it may see (Definition.md "Object
 * Privacy"): a BL everything; a VEN its own vens, resources and subscriptions, and the programs
 * and events its grant reaches.
 */
export class VtnOperations {
  /**
   * The wire form of each event page storage has cached, per view of it (a BL's; a VEN's by its
   * granted targets, which decide what it is shown), with its JSON text. Kept as long as storage
   * keeps the page: a refilled page is another array, so it is shown afresh.
   */
  private readonly shownPages = new WeakMap<readonly VtnEvent[], Map<string, readonly WireObject[]>>();

  constructor(
    private readonly storage: VtnStorage,
    private readonly options: OperationsOptions,
  ) {}

  // programs and events: a BL sees all; a VEN those its grant reaches, with only granted targets
  async listPrograms(caller: Caller, query: ProgramQuery): Promise<WireObject[]> {
    const reader = await this.readerOf(caller);
    const audience = audienceOf(reader);
    const targets = narrowedTargets(query.targets, audience);
    if (targets?.length === 0) return [];
    return (await this.storage.programs.list({ ...query, targets, audience })).map((program) => shownTo(reader, 'PROGRAM', toWire(program)));
  }
  async getProgram(caller: Caller, id: string): Promise<WireObject> {
    const reader = await this.readerOf(caller);
    const program = await this.storage.programs.get(id);
    if (!mayRead(reader, 'PROGRAM', program)) throw new NotFoundError('PROGRAM', id);
    return shownTo(reader, 'PROGRAM', toWire(program));
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

  async listEvents(caller: Caller, { active, dateStart, dateEnd, ...query }: EventSearch): Promise<readonly WireObject[]> {
    const { compare } = Temporal.ZonedDateTime;
    if (dateStart && dateEnd && compare(dateStart, dateEnd) > 0) throw InvalidInputError.field('dateEnd', 'must not be before dateStart');
    // Storage sees only bounds inside SORTABLE_RANGE, where every event starts: clamped, or no query at all.
    const { earliest, latest } = SORTABLE_RANGE;
    if ((dateStart && compare(dateStart, latest) > 0) || (dateEnd && compare(dateEnd, earliest) < 0)) return [];
    const range = {
      dateStart: dateStart && (compare(dateStart, earliest) < 0 ? earliest : dateStart),
      dateEnd: dateEnd && (compare(dateEnd, latest) > 0 ? latest : dateEnd),
    };
    const reader = await this.readerOf(caller);
    const audience = audienceOf(reader);
    const targets = narrowedTargets(query.targets, audience);
    if (targets?.length === 0) return [];
    const activeAt = active ? Temporal.Now.instant() : undefined;
    return this.shownPage(reader, await this.storage.events.list({ ...query, ...range, targets, activeAt, audience }));
  }

  /** An event page as `reader` sees it, made once per view of each page storage returns. */
  private shownPage(reader: Reader, page: readonly VtnEvent[]): readonly WireObject[] {
    const view = reader.role === 'BL' ? 'BL' : JSON.stringify([...new Set(reader.grant?.targets ?? [])].sort());
    let views = this.shownPages.get(page);
    if (!views) this.shownPages.set(page, (views = new Map()));
    let shown = views.get(view);
    if (!shown) views.set(view, (shown = withJsonText(page.map((event) => shownTo(reader, 'EVENT', toWire(event))))));
    return shown;
  }
  async getEvent(caller: Caller, id: string): Promise<WireObject> {
    const reader = await this.readerOf(caller);
    const event = await this.storage.events.get(id);
    // An event whose program is gone is gone too, also for a BL.
    const programTargets = await programTargetsOf(this.storage, event.programID);
    if (programTargets === null || !mayRead(reader, 'EVENT', event, programTargets)) throw new NotFoundError('EVENT', id);
    return shownTo(reader, 'EVENT', toWire(event));
  }
  async createEvent(_caller: Caller, body: unknown): Promise<WireObject> {
    const event = newObject('EVENT', eventRequest, body);
    await this.requireProgram(event.programID);
    return toWire(await this.storage.events.create(event));
  }
  /** The event is read once: storage finds it (or 404) before the body is checked. */
  async updateEvent(_caller: Caller, id: string, body: unknown): Promise<WireObject> {
    let change: ((current: VtnEvent) => VtnEvent) | undefined;
    const updated = await this.storage.events.update(id, async (current) => {
      if (!change) {
        change = replacement('EVENT', eventRequest, body);
        await this.requireProgram((body as { programID: string }).programID);
      }
      return change(current);
    });
    return toWire(updated);
  }
  async deleteEvent(_caller: Caller, id: string): Promise<WireObject> {
    return toWire(await this.storage.events.delete(id));
  }

  /** The caller as privacy judges it: a VEN with its grant. */
  private async readerOf(caller: Caller): Promise<Reader> {
    return caller.role === 'BL' ? BL_READER : { role: 'VEN', clientID: caller.clientID, grant: await this.storage.grantOf(caller.clientID) };
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
    return toWire(await this.ownObject(caller, 'SUBSCRIPTION', id));
  }
  async createSubscription(caller: Caller, body: unknown): Promise<WireObject> {
    const subscription = newObject('SUBSCRIPTION', subscriptionRequest, body, { clientID: caller.clientID });
    subscription[SUBSCRIBER_ROLE] = caller.role;
    await this.requireCallableCallbacks(subscription);
    return toWire(await this.storage.subscriptions.create(subscription));
  }
  async updateSubscription(caller: Caller, id: string, body: unknown): Promise<WireObject> {
    await this.ownObject(caller, 'SUBSCRIPTION', id);
    const change = replacement('SUBSCRIPTION', subscriptionRequest, body, ['clientID']);
    await this.requireCallableCallbacks(body as Subscription);
    const updated = await this.storage.subscriptions.update(id, (current) => {
      const next = change(current);
      // The role is its client's: its own update records it (older ones had none), a BL's keeps it.
      const role = current.clientID === caller.clientID ? caller.role : current[SUBSCRIBER_ROLE];
      if (role) next[SUBSCRIBER_ROLE] = role;
      return next;
    });
    return toWire(updated);
  }
  async deleteSubscription(caller: Caller, id: string): Promise<WireObject> {
    await this.ownObject(caller, 'SUBSCRIPTION', id);
    return toWire(await this.storage.subscriptions.delete(id));
  }

  // reports: a VEN writes its own, about events it may see, and sees only its own; a BL reads all
  async listReports(caller: Caller, query: Omit<ReportQuery, 'clientID'>): Promise<WireObject[]> {
    const own = caller.role === 'VEN' ? { clientID: caller.clientID } : {};
    return (await this.storage.reports.list({ ...query, ...own })).map(toWire);
  }
  async getReport(caller: Caller, id: string): Promise<WireObject> {
    return toWire(await this.ownObject(caller, 'REPORT', id));
  }
  async createReport(caller: Caller, body: unknown): Promise<WireObject> {
    const report = newObject('REPORT', reportRequest, body, { clientID: caller.clientID });
    report[EVENT_PROGRAM] = await this.reportedEventProgram(caller, report.eventID);
    return toWire(await this.storage.reports.create(report));
  }
  async updateReport(caller: Caller, id: string, body: unknown): Promise<WireObject> {
    const current = await this.ownObject(caller, 'REPORT', id);
    const change = replacement('REPORT', reportRequest, body, ['clientID']);
    const { eventID } = body as { eventID: string };
    // Naming the same event keeps the program it was written under, though the event may be gone.
    const program = eventID === current.eventID ? undefined : await this.reportedEventProgram(caller, eventID);
    const updated = await this.storage.reports.update(id, (latest) => {
      const next = change(latest);
      const kept = next.eventID === latest.eventID ? latest[EVENT_PROGRAM] : program;
      if (!kept) throw new ConflictError(`report ${id} was modified concurrently; retry`);
      next[EVENT_PROGRAM] = kept;
      return next;
    });
    return toWire(updated);
  }
  async deleteReport(caller: Caller, id: string): Promise<WireObject> {
    await this.ownObject(caller, 'REPORT', id);
    return toWire(await this.storage.reports.delete(id));
  }

  /** A report names an event its writer may see (an invisible one does not exist); answers its program. */
  private async reportedEventProgram(caller: Caller, eventID: string): Promise<string> {
    try {
      return (await this.getEvent(caller, eventID)).programID as string;
    } catch (error) {
      if (error instanceof NotFoundError) throw InvalidInputError.field('eventID', `event ${eventID} does not exist`);
      throw error;
    }
  }

  // vens: a BL names the client and grants targets; a VEN registers itself, without targets
  async listVens(caller: Caller, query: VenQuery): Promise<WireObject[]> {
    const own = caller.role === 'VEN' ? { clientID: caller.clientID } : {};
    return (await this.storage.vens.list({ ...query, ...own })).map(toWire);
  }
  async getVen(caller: Caller, id: string): Promise<WireObject> {
    return toWire(await this.ownObject(caller, 'VEN', id));
  }
  async createVen(caller: Caller, body: unknown): Promise<WireObject> {
    const ven = newObject('VEN', venRequest, body, (accepted) => {
      requireRequestType(caller, accepted, 'VEN');
      return { clientID: caller.role === 'BL' ? accepted.clientID : caller.clientID };
    });
    return toWire(await this.storage.vens.create(ven));
  }
  async updateVen(caller: Caller, id: string, body: unknown): Promise<WireObject> {
    const before = await this.ownObject(caller, 'VEN', id);
    // A VEN keeps its clientID and the targets a BL granted.
    const kept = caller.role === 'BL' ? [] : ['clientID', 'targets'];
    const change = replacement('VEN', venRequest, body, kept, (accepted) => {
      requireRequestType(caller, accepted, 'VEN');
      return caller.role === 'BL' ? { clientID: accepted.clientID } : {};
    });
    const own = await this.stillReadable<Ven>(caller, 'VEN', id);
    const updated = await this.storage.vens.update(id, (current) => change(own(current)));
    if (updated.clientID !== before.clientID) await this.handResourcesTo(updated);
    return toWire(updated);
  }
  async deleteVen(caller: Caller, id: string): Promise<WireObject> {
    await this.ownObject(caller, 'VEN', id);
    return toWire(await this.storage.vens.delete(id, await this.stillReadable<Ven>(caller, 'VEN', id)));
  }

  /** A resource's clientID is its ven's: a ven given to another client takes its resources along. */
  private async handResourcesTo(ven: Ven): Promise<void> {
    const page = 500;
    for (let skip = 0; ; skip += page) {
      const resources = await this.storage.resources.list({ venID: ven.id, skip, limit: page });
      for (const resource of resources.filter((candidate) => candidate.clientID !== ven.clientID)) {
        await this.storage.resources.update(resource.id, (current) => (current.venID === ven.id ? { ...current, clientID: ven.clientID } : current)).catch((error: unknown) => {
          if (!(error instanceof NotFoundError)) throw error;
        });
      }
      if (resources.length < page) return;
    }
  }

  // resources: those of a VEN's own ven; a resource's clientID is its ven's
  async listResources(caller: Caller, query: ResourceQuery): Promise<WireObject[]> {
    if (caller.role === 'BL') return (await this.storage.resources.list(query)).map(toWire);
    const { venID } = await this.storage.grantOf(caller.clientID);
    if (!venID || (query.venID !== undefined && query.venID !== venID)) return [];
    return (await this.storage.resources.list({ ...query, venID })).map(toWire);
  }
  async getResource(caller: Caller, id: string): Promise<WireObject> {
    return toWire(await this.visibleResource(caller, id));
  }
  async createResource(caller: Caller, body: unknown): Promise<WireObject> {
    const resource = newObject('RESOURCE', resourceRequest, body, (accepted) => {
      requireRequestType(caller, accepted, 'RESOURCE');
      return {};
    });
    const ven = await this.resourceVen(caller, resource.venID, body);
    return toWire(await this.storage.resources.create({ ...resource, clientID: ven.clientID }));
  }
  async updateResource(caller: Caller, id: string, body: unknown): Promise<WireObject> {
    await this.visibleResource(caller, id);
    const kept = caller.role === 'BL' ? [] : ['targets'];
    const change = replacement('RESOURCE', resourceRequest, body, kept, (accepted) => {
      requireRequestType(caller, accepted, 'RESOURCE');
      return {};
    });
    // The body has passed its schema above: venID is a string.
    const ven = await this.resourceVen(caller, (body as Pick<Resource, 'venID'>).venID, body);
    const own = await this.stillReadable<Resource>(caller, 'RESOURCE', id);
    return toWire(await this.storage.resources.update(id, (current) => ({ ...change(own(current)), clientID: ven.clientID })));
  }
  async deleteResource(caller: Caller, id: string): Promise<WireObject> {
    await this.visibleResource(caller, id);
    return toWire(await this.storage.resources.delete(id, await this.stillReadable<Resource>(caller, 'RESOURCE', id)));
  }

  /** Another client's ven, subscription or report does not exist for a VEN (Definition.md "VEN created object privacy"). */
  private async ownObject<K extends 'VEN' | 'SUBSCRIPTION' | 'REPORT'>(caller: Caller, objectType: K, id: string): Promise<ObjectByType[K]> {
    const stores = { VEN: this.storage.vens, SUBSCRIPTION: this.storage.subscriptions, REPORT: this.storage.reports };
    const object = (await stores[objectType].get(id)) as ObjectByType[K];
    // Ownership needs no grant.
    const reader: Reader = caller.role === 'BL' ? BL_READER : { role: 'VEN', clientID: caller.clientID };
    if (!mayRead(reader, objectType, object)) throw new NotFoundError(objectType, id);
    return object;
  }

  /**
   * The check, run on the very version written, that the caller may still read the object: a BL
   * may give a ven to another client, or move a resource to another ven, between the caller's
   * read and its write.
   */
  private async stillReadable<T extends StoredObject>(caller: Caller, objectType: StoredObjectType, id: string): Promise<(current: T) => T> {
    // A resource is a VEN's by its ven, read afresh: a cached grant may still name a ven given away.
    const reader: Reader =
      objectType === 'RESOURCE' && caller.role === 'VEN'
        ? { role: 'VEN', clientID: caller.clientID, grant: { venID: (await this.storage.vens.findByClient(caller.clientID))?.id, targets: [] } }
        : await this.readerOf(caller);
    return (current) => {
      if (!mayRead(reader, objectType, current)) throw new NotFoundError(objectType, id);
      return current;
    };
  }

  /** A VEN sees the resources of its own ven only. */
  private async visibleResource(caller: Caller, id: string): Promise<Resource> {
    const resource = await this.storage.resources.get(id);
    if (!mayRead(await this.readerOf(caller), 'RESOURCE', resource)) throw new NotFoundError('RESOURCE', id);
    return resource;
  }

  /**
   * The ven a resource names: it must exist (400), a VEN may name only its own (403), and a BL's
   * clientID must be the ven's, which the resource carries.
   */
  private async resourceVen(caller: Caller, venID: string, body: unknown): Promise<Ven> {
    let ven: Ven;
    try {
      ven = await this.storage.vens.get(venID);
    } catch (error) {
      if (error instanceof NotFoundError) throw InvalidInputError.field('venID', `ven ${venID} does not exist`);
      throw error;
    }
    if (caller.role === 'VEN' && ven.clientID !== caller.clientID) throw new ForbiddenError(`ven ${venID} is not this client's ven`);
    const clientID = (body as WireObject).clientID;
    if (caller.role === 'BL' && clientID !== ven.clientID) throw InvalidInputError.field('clientID', `must be the clientID of ven ${venID}, "${ven.clientID}"`);
    return ven;
  }

  /**
   * Callbacks must be https (http too when private addresses are allowed) and, unless allowed, not
   * aim at local or private addresses (SSRF); then each distinct URL must answer the echo challenge
   * (Definition.md "Webhooks"), all at once, before anything is stored.
   */
  private async requireCallableCallbacks(subscription: Pick<Subscription, 'objectOperations'>): Promise<void> {
    const field = (index: number) => `objectOperations[${index}].callbackUrl`;
    const operations = subscription.objectOperations;
    const issues = operations.flatMap((operation, index) => {
      const reason = callbackUrlProblem(operation.callbackUrl, this.options.allowPrivateCallbacks);
      return reason ? [{ field: field(index), reason }] : [];
    });
    if (issues.length > 0) throw new InvalidInputError(issues);
    const urls = [...new Set(operations.map((operation) => operation.callbackUrl))];
    // Each is sent an echo check: a subscription may not make the VTN call a host at will.
    if (urls.length > MAX_CALLBACK_URLS) throw InvalidInputError.field('objectOperations', `may name at most ${MAX_CALLBACK_URLS} distinct callback URLs, got ${urls.length}`);
    const problems = new Map(await Promise.all(urls.map(async (url) => [url, await this.options.verifyCallback(url)] as const)));
    const failed = operations.flatMap((operation, index) => {
      const reason = problems.get(operation.callbackUrl);
      return reason ? [{ field: field(index), reason }] : [];
    });
    if (failed.length > 0) throw new InvalidInputError(failed);
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

/** Distinct callback URLs one subscription may name (each costs an echo check on every write). */
export const MAX_CALLBACK_URLS = 10;

/** A BL sends the BL_ request type, a VEN the VEN_ one, which sets no targets. */
function requireRequestType(caller: Caller, accepted: WireObject, objectType: 'VEN' | 'RESOURCE'): void {
  const expected = `${caller.role}_${objectType}_REQUEST`;
  if (accepted.objectType !== expected) throw InvalidInputError.field('objectType', `must be ${expected} for a ${caller.role} client`);
  if (caller.role === 'VEN' && accepted.targets !== undefined) throw InvalidInputError.field('targets', `only a BL client may set a ${objectType.toLowerCase()}'s targets`);
}

/** A VEN's `targets` filter selects among its granted targets only; [] then matches nothing. */
function narrowedTargets(requested: string[] | undefined, audience: Grant | undefined): string[] | undefined {
  return requested?.length && audience ? grantedOnly(requested, audience.targets) : requested;
}

/** A VEN's grant, which storage queries filter by; none (no restriction) for a BL. */
function audienceOf(reader: Reader): Grant | undefined {
  return reader.role === 'VEN' ? (reader.grant ?? { targets: [] }) : undefined;
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
