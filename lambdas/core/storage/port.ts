import type { Temporal } from 'temporal-polyfill';
import type { Role, Scope } from '../auth/scopes';
import type { ObjectByType, Program, Report, Resource, StoredObjectType, Subscription, Ven, VtnEvent } from '../openadr/types';

/**
 * The storage port. Each object type has a store with the same five verbs; a new type (VEN,
 * RESOURCE, REPORT) adds a store and a query shape, not a new interface.
 * Errors: NotFoundError, ConflictError, InvalidInputError, StorageUnavailableError.
 */
export interface ObjectStore<T, Query> {
  list(query: Query): Promise<T[]>;
  get(id: string): Promise<T>;
  /** Never overwrites: an existing id is a ConflictError. */
  create(object: T): Promise<T>;
  /**
   * Applies `change` to the current object and writes the result only if nobody else wrote in
   * between (retrying on contention). A missing object is NotFoundError, found before `change`
   * runs (which may throw to refuse the write); never resurrects one.
   */
  update(id: string, change: (current: T) => T | Promise<T>): Promise<T>;
  /**
   * Returns the deleted object; a missing one is NotFoundError. `expect` sees the version about to
   * be deleted (each one, should it change meanwhile) and may throw to refuse the delete.
   */
  delete(id: string, expect?: (current: T) => void): Promise<T>;
}

export interface Page {
  skip: number;
  limit: number;
}

/**
 * The targets granted to a VEN's client: those of its ven and of that ven's resources. A VEN
 * sees programs and events without targets, and those sharing at least one granted target.
 */
export interface Grant {
  /** The client's ven, if it has one (at most one per clientID). */
  venID?: string;
  targets: string[];
}

/** A ven with what its client is granted, as the MQTT notifier reads the whole directory. */
export interface VenGrant {
  venID: string;
  clientID: string;
  /** The ven's and its resources' targets. */
  targets: string[];
}

export interface ProgramQuery extends Page {
  /** Keep only programs carrying at least one of these targets. */
  targets?: string[];
  /** Keep only programs this grant may see (untargeted, or sharing a granted target). */
  audience?: Grant;
}

export interface EventQuery extends Page {
  programID?: string;
  /** Keep only events carrying at least one of these targets (with an audience, of those granted). */
  targets?: string[];
  /**
   * Keep only events this grant may see: untargeted or sharing a granted target, in a program
   * the grant may see (by the same rule). Absent: no restriction (a BL).
   */
  audience?: Grant;
  /** Keep only events whose end is after this instant (or unbounded, or unknown). */
  activeAt?: Temporal.Instant;
  /** Inclusive range on the event's start. */
  dateStart?: Temporal.ZonedDateTime;
  dateEnd?: Temporal.ZonedDateTime;
}

export interface SubscriptionQuery extends Page {
  programID?: string;
  clientName?: string;
  /** Keep subscriptions naming any of these object types. */
  objects?: string[];
}

export interface VenQuery extends Page {
  venName?: string;
  /** Keep vens carrying at least one of these targets. */
  targets?: string[];
  /** Keep only the ven of this client (a VEN caller's own). */
  clientID?: string;
}

export interface ResourceQuery extends Page {
  venID?: string;
  resourceName?: string;
  /** Keep resources carrying at least one of these targets. */
  targets?: string[];
}

/** Every given filter must hold. */
export interface ReportQuery extends Page {
  /** Reports whose event belonged to this program when they were written (see EVENT_PROGRAM). */
  programID?: string;
  eventID?: string;
  clientName?: string;
  /** Keep only this client's reports (a VEN caller's own). */
  clientID?: string;
}

export interface ProgramStore extends ObjectStore<Program, ProgramQuery> {
  findByName(programName: string): Promise<Program | undefined>;
  /**
   * The targets a deleted program had, for its events' deletes to be judged by (they follow the
   * program's); undefined for a program not deleted, or deleted long enough ago that its events'
   * purge is done with (see the storage's purge marks).
   */
  deletedTargets(programID: string): Promise<string[] | undefined>;
}

export interface SubscriptionStore extends ObjectStore<Subscription, SubscriptionQuery> {
  /** Every subscription, for matching changes to subscribers; cached, and coherent like programs. */
  all(): Promise<Subscription[]>;
}

/**
 * venName is unique in the VTN and clientID has at most one ven (ConflictError on create and
 * update). Deleting a ven deletes its resources.
 */
export interface VenStore extends ObjectStore<Ven, VenQuery> {
  /** The ven registered for a client, if any. */
  findByClient(clientID: string): Promise<Ven | undefined>;
}

/**
 * resourceName is unique within its ven (ConflictError). A resource's venID must name an
 * existing ven: InvalidInputError naming venID otherwise, also when the ven is deleted while
 * the resource is being written (no orphan survives).
 */
export type ResourceStore = ObjectStore<Resource, ResourceQuery>;

/**
 * A report must carry its EVENT_PROGRAM on create and update (InvalidInputError otherwise).
 * Reports outlive their events and programs: deleting those leaves reports as they are.
 */
export type ReportStore = ObjectStore<Report, ReportQuery>;

export interface VtnStorage {
  programs: ProgramStore;
  events: ObjectStore<VtnEvent, EventQuery>;
  reports: ReportStore;
  subscriptions: SubscriptionStore;
  vens: VenStore;
  resources: ResourceStore;
  /**
   * What a client has been granted (its ven's and resources' targets). Cached, and kept coherent
   * across instances like programs: a BL's change to a ven or resource is seen within the bound.
   */
  grantOf(clientID: string): Promise<Grant>;
  /**
   * Every ven with its client's grant, for publishing to each ven's topics. Cached and coherent
   * like `grantOf`: a change costs no read once warm.
   */
  venGrants(): Promise<VenGrant[]>;
}

export type StoreFor<K extends StoredObjectType> = ObjectStore<ObjectByType[K], unknown>;

/** A registered OAuth2 client. Its secret is kept only as a slow hash. */
export interface ClientRecord {
  clientID: string;
  role: Role;
  scopes: Scope[];
  secretHash: string;
  createdDateTime: string;
  secretRotatedDateTime?: string;
}

/** The client registry: its own partition of the table. */
export interface ClientStore {
  get(clientID: string): Promise<ClientRecord | undefined>;
  list(): Promise<ClientRecord[]>;
  /** Never overwrites: an existing clientID is a ConflictError. */
  create(client: ClientRecord): Promise<void>;
  /** Creates or replaces. */
  put(client: ClientRecord): Promise<void>;
  /** A missing client is NotFoundError. */
  replaceSecret(clientID: string, secretHash: string, at: string): Promise<void>;
  /** Returns the removed client; a missing one is NotFoundError. */
  remove(clientID: string): Promise<ClientRecord>;
}
