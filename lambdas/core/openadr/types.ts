import type { Temporal } from 'temporal-polyfill';

/** Object types addressable through the API (spec: objectTypes). */
export const OBJECT_TYPES = ['PROGRAM', 'EVENT', 'REPORT', 'SUBSCRIPTION', 'VEN', 'RESOURCE'] as const;
export type ObjectType = (typeof OBJECT_TYPES)[number];

/** The types this VTN stores. */
export type StoredObjectType = 'PROGRAM' | 'EVENT' | 'REPORT' | 'SUBSCRIPTION' | 'VEN' | 'RESOURCE';

export const OPERATIONS = ['CREATE', 'UPDATE', 'DELETE'] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface IntervalPeriod {
  start?: Temporal.ZonedDateTime;
  duration?: Temporal.Duration;
  randomizeStart?: Temporal.Duration;
}

export interface ObjectMetadata {
  id: string;
  createdDateTime: Temporal.ZonedDateTime;
  modificationDateTime: Temporal.ZonedDateTime;
  objectType: StoredObjectType;
}

/** Fields the spec defines beyond the ones the server reads are kept as the client wrote them. */
type Open = { [field: string]: unknown };

export interface Program extends ObjectMetadata, Open {
  objectType: 'PROGRAM';
  programName: string;
  intervalPeriod?: IntervalPeriod | null;
  targets?: string[] | null;
}

export interface Interval extends Open {
  id: number;
  intervalPeriod?: IntervalPeriod | null;
  payloads: unknown[];
}

export interface VtnEvent extends ObjectMetadata, Open {
  objectType: 'EVENT';
  programID: string;
  eventName?: string | null;
  duration?: Temporal.Duration | null;
  targets?: string[] | null;
  intervalPeriod?: IntervalPeriod | null;
  intervals?: Interval[];
}

export interface ObjectOperation extends Open {
  objects: ObjectType[];
  operations: string[];
  callbackUrl: string;
  bearerToken?: string | null;
}

/**
 * The role of the client a subscription belongs to, which decides what it hears of (a BL all, a
 * VEN what it may read). Kept beside the subscription, not in it (a symbol key: never
 * serialised), since the notifier has no token to learn it from. Absent on subscriptions written
 * before it was kept: those count as a VEN's.
 */
export const SUBSCRIBER_ROLE: unique symbol = Symbol('subscriberRole');

export interface Subscription extends ObjectMetadata, Open {
  objectType: 'SUBSCRIPTION';
  clientID: string;
  clientName: string;
  programID?: string;
  objectOperations: ObjectOperation[];
  targets?: string[] | null;
  [SUBSCRIBER_ROLE]?: 'BL' | 'VEN';
}

/** A VEN's registration; its targets are the ones granted to its client (only a BL sets them). */
export interface Ven extends ObjectMetadata, Open {
  objectType: 'VEN';
  clientID: string;
  venName: string;
  targets?: string[] | null;
  attributes?: unknown[] | null;
}

/** A resource of a ven; its clientID is its ven's, and its targets are granted like the ven's. */
export interface Resource extends ObjectMetadata, Open {
  objectType: 'RESOURCE';
  clientID: string;
  venID: string;
  resourceName: string;
  targets?: string[] | null;
  attributes?: unknown[] | null;
}

/**
 * The program a report's event belonged to when the report was written. Kept beside the report,
 * not in it (a symbol key: never serialised), so that the programID filter still finds the report
 * after its event is deleted or moved.
 */
export const EVENT_PROGRAM: unique symbol = Symbol('eventProgram');

export interface ReportResource extends Open {
  resourceName: string;
  intervalPeriod?: IntervalPeriod | null;
  intervals: Interval[];
}

/** What a VEN reports against an event; clientName and resourceName are the client's own strings. */
export interface Report extends ObjectMetadata, Open {
  objectType: 'REPORT';
  clientID: string;
  eventID: string;
  clientName: string;
  reportName?: string | null;
  payloadDescriptors?: unknown[] | null;
  resources: ReportResource[];
  [EVENT_PROGRAM]?: string;
}

export type StoredObject = Program | VtnEvent | Report | Subscription | Ven | Resource;

export interface ObjectByType {
  PROGRAM: Program;
  EVENT: VtnEvent;
  REPORT: Report;
  SUBSCRIPTION: Subscription;
  VEN: Ven;
  RESOURCE: Resource;
}
