import type { Temporal } from 'temporal-polyfill';

/** Object types addressable through the API (spec: objectTypes). */
export const OBJECT_TYPES = ['PROGRAM', 'EVENT', 'REPORT', 'SUBSCRIPTION', 'VEN', 'RESOURCE'] as const;
export type ObjectType = (typeof OBJECT_TYPES)[number];

/** The types this VTN stores today; REPORT joins by adding a codec and a store. */
export type StoredObjectType = 'PROGRAM' | 'EVENT' | 'SUBSCRIPTION' | 'VEN' | 'RESOURCE';

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

export interface Subscription extends ObjectMetadata, Open {
  objectType: 'SUBSCRIPTION';
  clientID: string;
  clientName: string;
  programID?: string;
  objectOperations: ObjectOperation[];
  targets?: string[] | null;
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

export type StoredObject = Program | VtnEvent | Subscription | Ven | Resource;

export interface ObjectByType {
  PROGRAM: Program;
  EVENT: VtnEvent;
  SUBSCRIPTION: Subscription;
  VEN: Ven;
  RESOURCE: Resource;
}
