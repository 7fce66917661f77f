import type { StoredObjectType } from '../openadr/types';

export type ChangeOperation = 'CREATE' | 'UPDATE' | 'DELETE';

/** A write to an object, as subscribers learn of it: the object in its wire form (canonical times). */
export interface Change {
  objectType: StoredObjectType;
  operation: ChangeOperation;
  object: Record<string, unknown>;
  /** A report's program (its event's when written), which the wire form does not carry. */
  program?: string;
  /**
   * An event deleted with its program: that program's targets as it was deleted. Privacy judges
   * the event within them, since the program can no longer be read.
   */
  programTargets?: string[];
  /** An event's program before this update moved it to another one. */
  formerProgram?: string;
}

/** The spec's `notification`: what a callback receives. */
export interface Notification {
  objectType: StoredObjectType;
  operation: ChangeOperation;
  object: Record<string, unknown>;
  targets: string[] | null;
}

/** One notification to one callback; what a retry or a dead letter carries (never the token). */
export interface Delivery {
  subscriptionID: string;
  callbackUrl: string;
  notification: Notification;
  /** 1 for the first try. */
  attempt: number;
  /** An event delete's program targets, as its first attempt was judged by (the program is gone). */
  programTargets?: string[];
}

export interface DeliveryTarget extends Delivery {
  bearerToken?: string | null;
  /** A VEN subscriber's clientID: each VEN's deliveries share a part of the delivery slots. */
  subscriberClientID?: string;
}
