import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { InvalidInputError, PayloadTooLargeError } from '../../errors';
import { dehydrate, hydrate } from '../../openadr/temporal-fields';
import { eventSpan } from '../../openadr/timing';
import { EVENT_PROGRAM, SUBSCRIBER_ROLE, type Program, type Report, type Resource, type StoredObject, type StoredObjectType, type Subscription, type Ven, type VtnEvent } from '../../openadr/types';
import { hasSortableYear, sortableDateTime } from '../../time/temporal';
import { reportIndexAttributes, reportProgramOf } from './report-keys';

/**
 * Item codec: the object lives in a JSON `data` attribute (canonical wire form); beside it sit
 * the attributes the indexes and filters read. Internal bookkeeping items use their own
 * partitions so that no object query ever sees them.
 */

export type Item = Record<string, AttributeValue>;

/** Partitions of bookkeeping items. */
export const PROGRAM_NAME_CLAIM = 'PROGRAM_NAME';
export const PENDING_PURGE = 'PROGRAM_PURGE';
export const VEN_NAME_CLAIM = 'VEN_NAME';
/** One ven per client: claims keyed by clientID (the CLIENT partition holds the registry). */
export const VEN_CLIENT_CLAIM = 'VEN_CLIENT';
/** Keyed by resourceKey: a name is unique within its ven only. */
export const RESOURCE_NAME_CLAIM = 'RESOURCE_NAME';
export const PENDING_VEN_PURGE = 'VEN_PURGE';

/** The item attribute holding a subscription's SUBSCRIBER_ROLE. */
const SUBSCRIBER_ROLE_ATTRIBUTE = 'subscriberRole';

/** DynamoDB's item limit is 400 KB; leave room for the index attributes. */
export const MAX_DATA_BYTES = 380 * 1024;

/**
 * The programID index is the parent index: it holds events and subscriptions by program and
 * resources by ven. Scoping its key by type lets each query read only its own type instead of
 * filtering the others out.
 */
export function programScope(objectType: StoredObjectType, programID: string): string {
  return `${objectType}#${programID}`;
}

/** A resource's name within its ven, as its claim is keyed; ids cannot hold the separator. */
export function resourceKey(venID: string, resourceName: string): string {
  return `${venID}#${resourceName}`;
}

/**
 * eventStart and eventEnd are `<sortable UTC instant>#<id>`: time order, and a stable page order
 * among events at one instant. The separator sorts below every character of an id.
 */
const INSTANT_SEPARATOR = '#';
/** The eventEnd instant of an event that does not end (see eventSpan): after every instant. */
const NO_END = 'NONE';

/** Smallest and largest eventStart/eventEnd key values at an instant, for ranges on the instant. */
export function firstKeyAt(sortable: string): string {
  return sortable;
}
export function lastKeyAt(sortable: string): string {
  return `${sortable}${INSTANT_SEPARATOR}~`;
}

/** When the item's event ends (epoch ms); undefined when it has no end. */
export function itemEventEnd(item: Item): number | undefined {
  const instant = item.eventEnd?.S?.split(INSTANT_SEPARATOR)[0];
  return instant === undefined || instant === NO_END ? undefined : Date.parse(instant);
}

export function toItem(object: StoredObject, version: number): Item {
  const wire = dehydrate(object.objectType, object);
  const data = JSON.stringify(wire);
  const bytes = Buffer.byteLength(data, 'utf8');
  if (bytes > MAX_DATA_BYTES) {
    throw new PayloadTooLargeError(
      `the ${object.objectType.toLowerCase()} is ${bytes} bytes once stored; the limit is ${MAX_DATA_BYTES} bytes`,
    );
  }
  const item = marshall(
    {
      objectType: object.objectType,
      id: object.id,
      version,
      data,
      ...indexAttributes(object),
    },
    { removeUndefinedValues: true },
  );
  // The index attributes copy parts of the data (targets), so the whole item can pass DynamoDB's
  // limit although the data alone does not.
  const itemBytes = itemSize(item);
  if (itemBytes > MAX_ITEM_BYTES) {
    throw new PayloadTooLargeError(
      `the ${object.objectType.toLowerCase()} is ${itemBytes} bytes once stored with the copies its indexes read (such as targets); the limit is ${MAX_ITEM_BYTES} bytes`,
    );
  }
  return item;
}

/** DynamoDB's 400 KB item limit, less room for the bookkeeping attributes added on write. */
const MAX_ITEM_BYTES = 400 * 1024 - 512;

/** An item's size as DynamoDB counts it (attribute names and values), rounded up where it estimates. */
function itemSize(item: Item): number {
  return Object.entries(item).reduce((total, [name, value]) => total + Buffer.byteLength(name, 'utf8') + valueSize(value), 0);
}

function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S, 'utf8');
  if (value.N !== undefined) return value.N.length + 1;
  if (value.B !== undefined) return value.B.length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS) return value.SS.reduce((total, element) => total + Buffer.byteLength(element, 'utf8'), 0);
  if (value.NS) return value.NS.reduce((total, element) => total + element.length + 1, 0);
  if (value.L) return 3 + value.L.reduce((total, element) => total + 1 + valueSize(element), 0);
  if (value.M) return 3 + Object.entries(value.M).reduce((total, [key, element]) => total + 1 + Buffer.byteLength(key, 'utf8') + valueSize(element), 0);
  return 0;
}

function indexAttributes(object: StoredObject): Record<string, unknown> {
  switch (object.objectType) {
    case 'PROGRAM':
      return { programName: (object as Program).programName, targets: nonEmpty(object.targets) };
    case 'EVENT':
      return eventAttributes(object as VtnEvent);
    case 'REPORT':
      return reportIndexAttributes(object as Report);
    case 'SUBSCRIPTION': {
      const subscription = object as Subscription;
      return {
        programID: subscription.programID ? programScope('SUBSCRIPTION', subscription.programID) : undefined,
        clientName: subscription.clientName,
        objects: nonEmpty([...new Set(subscription.objectOperations.flatMap((op) => op.objects))]),
        targets: nonEmpty(subscription.targets),
        [SUBSCRIBER_ROLE_ATTRIBUTE]: subscription[SUBSCRIBER_ROLE],
      };
    }
    case 'VEN': {
      const ven = object as Ven;
      return { venName: ven.venName, clientID: ven.clientID, targets: nonEmpty(ven.targets) };
    }
    case 'RESOURCE': {
      const resource = object as Resource;
      return {
        programID: programScope('RESOURCE', resource.venID),
        resourceName: resource.resourceName,
        clientID: resource.clientID,
        targets: nonEmpty(resource.targets),
      };
    }
  }
}

function eventAttributes(event: VtnEvent): Record<string, unknown> {
  const span = eventSpan(event);
  if (span.start && !hasSortableYear(span.start)) {
    throw InvalidInputError.field('intervalPeriod.start', 'must fall between years 0000 and 9999 in UTC');
  }
  return {
    programID: programScope('EVENT', event.programID),
    eventStart: span.start ? `${sortableDateTime(span.start)}${INSTANT_SEPARATOR}${event.id}` : undefined,
    eventEnd: `${span.end ? sortableDateTime(span.end) : NO_END}${INSTANT_SEPARATOR}${event.id}`,
    targets: nonEmpty(event.targets),
  };
}

function nonEmpty(values: readonly string[] | null | undefined): string[] | undefined {
  return values && values.length > 0 ? [...values] : undefined;
}

/** The object as the API shows it: the `data` attribute is stored in wire form already. */
export function wireFromItem(item: Item): Record<string, unknown> {
  return JSON.parse(item.data.S as string) as Record<string, unknown>;
}

export function fromItem<T extends StoredObject>(item: Item): T {
  const object = hydrate<T>(item.objectType.S as StoredObjectType, wireFromItem(item));
  // Kept beside the report's data, not in it.
  if (object.objectType === 'REPORT') (object as Report)[EVENT_PROGRAM] = reportProgramOf(item);
  const role = item[SUBSCRIBER_ROLE_ATTRIBUTE]?.S;
  if (object.objectType === 'SUBSCRIPTION' && (role === 'BL' || role === 'VEN')) (object as Subscription)[SUBSCRIBER_ROLE] = role;
  return object;
}

export function itemVersion(item: Item): number {
  return Number(item.version?.N ?? '0');
}
