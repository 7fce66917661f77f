import type { Temporal } from 'temporal-polyfill';
import type { Role, Scope } from '../auth/scopes';
import type { ObjectByType, Program, StoredObjectType, Subscription, VtnEvent } from '../openadr/types';

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
   * between (retrying on contention). A missing object is NotFoundError; never resurrects one.
   */
  update(id: string, change: (current: T) => T): Promise<T>;
  /** Returns the deleted object; a missing one is NotFoundError. */
  delete(id: string): Promise<T>;
}

export interface Page {
  skip: number;
  limit: number;
}

export type ProgramQuery = Page & { targets?: string[] };

export interface EventQuery extends Page {
  programID?: string;
  targets?: string[];
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

export interface ProgramStore extends ObjectStore<Program, ProgramQuery> {
  findByName(programName: string): Promise<Program | undefined>;
}

export interface SubscriptionStore extends ObjectStore<Subscription, SubscriptionQuery> {
  /** Every subscription, for matching changes to subscribers; cached, and coherent like programs. */
  all(): Promise<Subscription[]>;
}

export interface VtnStorage {
  programs: ProgramStore;
  events: ObjectStore<VtnEvent, EventQuery>;
  subscriptions: SubscriptionStore;
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
