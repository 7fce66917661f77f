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

function withoutFields(object: WireObject, fields: readonly string[]): WireObject {
  return Object.fromEntries(Object.entries(object).filter(([key]) => !fields.includes(key)));
}

/** Server-set fields, given outright or derived from the accepted body (a BL names a ven's clientID). */
export type ServerFields = WireObject | ((accepted: WireObject) => WireObject);

function serverFieldsFor(serverFields: ServerFields, accepted: WireObject): WireObject {
  return typeof serverFields === 'function' ? serverFields(accepted) : serverFields;
}

/** Validates a request body against its schema and builds a new object with fresh metadata. */
export function newObject<K extends StoredObjectType>(
  objectType: K,
  schema: Check,
  body: unknown,
  serverFields: ServerFields = {},
): ObjectByType[K] {
  const accepted = validate(schema, body) as WireObject;
  const now = formatDateTime(nowUtc());
  return hydrate<ObjectByType[K]>(objectType, {
    ...clientFields(accepted),
    ...serverFieldsFor(serverFields, accepted),
    id: newObjectId(),
    createdDateTime: now,
    modificationDateTime: now,
    objectType,
  });
}

/**
 * Validates a request body and returns the change that replaces an object's client fields while
 * keeping id, createdDateTime and `keptFields` as they are, and advancing modificationDateTime.
 */
export function replacement<K extends StoredObjectType>(
  objectType: K,
  schema: Check,
  body: unknown,
  keptFields: readonly string[] = [],
  serverFields: ServerFields = {},
): (current: ObjectByType[K]) => ObjectByType[K] {
  const accepted = validate(schema, body) as WireObject;
  const fields = { ...clientFields(accepted), ...serverFieldsFor(serverFields, accepted) };
  return (current) => {
    const kept = Object.fromEntries(keptFields.filter((key) => current[key] !== undefined).map((key) => [key, current[key]]));
    return hydrate<ObjectByType[K]>(objectType, {
      ...withoutFields(fields, keptFields),
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
