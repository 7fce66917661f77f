import { Temporal } from 'temporal-polyfill';
import { newObjectId } from '../ids';
import { dehydrate, hydrate } from '../openadr/temporal-fields';
import type { ObjectByType, StoredObject, StoredObjectType } from '../openadr/types';
import { validate, type Check } from '../openadr/validation';
import { formatDateTime, nowUtc } from '../time/temporal';

export type WireObject = Record<string, unknown>;

/** Fields only the server writes; whatever a client sends for them is ignored. */
const SERVER_FIELDS = new Set(['id', 'createdDateTime', 'modificationDateTime', 'objectType', 'clientID']);

function clientFields(body: unknown): WireObject {
  return Object.fromEntries(Object.entries(body as WireObject).filter(([key]) => !SERVER_FIELDS.has(key)));
}

/** Validates a request body against its schema and builds a new object with fresh metadata. */
export function newObject<K extends StoredObjectType>(
  objectType: K,
  schema: Check,
  body: unknown,
  serverFields: WireObject = {},
): ObjectByType[K] {
  const fields = clientFields(validate(schema, body));
  const now = formatDateTime(nowUtc());
  return hydrate<ObjectByType[K]>(objectType, {
    ...fields,
    ...serverFields,
    id: newObjectId(),
    createdDateTime: now,
    modificationDateTime: now,
    objectType,
  });
}

/**
 * Validates a request body and returns the change that replaces an object's client fields while
 * keeping id, createdDateTime and server fields, and advancing modificationDateTime.
 */
export function replacement<K extends StoredObjectType>(
  objectType: K,
  schema: Check,
  body: unknown,
  keptServerFields: readonly string[] = [],
): (current: ObjectByType[K]) => ObjectByType[K] {
  const fields = clientFields(validate(schema, body));
  return (current) => {
    const kept = Object.fromEntries(keptServerFields.map((key) => [key, current[key]]));
    return hydrate<ObjectByType[K]>(objectType, {
      ...fields,
      ...kept,
      id: current.id,
      objectType,
      createdDateTime: formatDateTime(current.createdDateTime),
      modificationDateTime: formatDateTime(advancedStamp(current.modificationDateTime)),
    });
  };
}

/** Now, or just after the previous stamp if another instance's clock ran ahead of ours. */
function advancedStamp(previous: Temporal.ZonedDateTime): Temporal.ZonedDateTime {
  const now = nowUtc();
  return Temporal.ZonedDateTime.compare(now, previous) > 0 ? now : previous.add({ milliseconds: 1 });
}

export function toWire(object: StoredObject): WireObject {
  return dehydrate(object.objectType, object);
}
