import type { Temporal } from 'temporal-polyfill';
import { formatDateTime, formatDuration, parseDateTime, parseDuration } from '../time/temporal';
import type { StoredObjectType } from './types';

/**
 * Where each object type carries date-times and durations. One table drives both directions:
 * wire -> memory (parse, with errors naming the field) and memory -> wire (canonical strings).
 * A path step `[]` walks every element of an array.
 */
type Kind = 'dateTime' | 'duration';
type FieldPath = { path: string[]; kind: Kind };

const intervalPeriodAt = (...prefix: string[]): FieldPath[] => [
  { path: [...prefix, 'intervalPeriod', 'start'], kind: 'dateTime' },
  { path: [...prefix, 'intervalPeriod', 'duration'], kind: 'duration' },
  { path: [...prefix, 'intervalPeriod', 'randomizeStart'], kind: 'duration' },
];

const METADATA: FieldPath[] = [
  { path: ['createdDateTime'], kind: 'dateTime' },
  { path: ['modificationDateTime'], kind: 'dateTime' },
];

export const TEMPORAL_FIELDS: Record<StoredObjectType, FieldPath[]> = {
  PROGRAM: [...METADATA, ...intervalPeriodAt()],
  EVENT: [
    ...METADATA,
    { path: ['duration'], kind: 'duration' },
    ...intervalPeriodAt(),
    ...intervalPeriodAt('intervals', '[]'),
  ],
  // A 3.1.0 report has no intervalPeriod of its own: one sent is an unknown field, kept as written.
  REPORT: [...METADATA, ...intervalPeriodAt('resources', '[]'), ...intervalPeriodAt('resources', '[]', 'intervals', '[]')],
  SUBSCRIPTION: [...METADATA],
  VEN: [...METADATA],
  RESOURCE: [...METADATA],
};

type Converter = (value: unknown, field: string, kind: Kind) => unknown;

function convertAt(node: unknown, path: string[], field: string, kind: Kind, convert: Converter): void {
  if (node === null || typeof node !== 'object') return;
  const [step, ...rest] = path;
  if (step === '[]') {
    if (!Array.isArray(node)) return;
    node.forEach((element, index) => convertAt(element, rest, `${field}[${index}]`, kind, convert));
    return;
  }
  const record = node as Record<string, unknown>;
  const childField = field ? `${field}.${step}` : step;
  if (rest.length > 0) return convertAt(record[step], rest, childField, kind, convert);
  // Validation drops nulls from requests; anything else stored as null stays as it is.
  if (record[step] === undefined || record[step] === null) return;
  record[step] = convert(record[step], childField, kind);
}

/** Returns a deep copy of `object` with every known temporal field converted. */
function convertTemporalFields<T>(objectType: StoredObjectType, object: unknown, convert: Converter): T {
  const copy = structuredCloneJson(object);
  for (const { path, kind } of TEMPORAL_FIELDS[objectType]) convertAt(copy, path, '', kind, convert);
  return copy as T;
}

const parseField: Converter = (value, field, kind) =>
  kind === 'dateTime' ? parseDateTime(value, field) : parseDuration(value, field);

const formatField: Converter = (value, _field, kind) =>
  kind === 'dateTime' ? formatDateTime(value as Temporal.ZonedDateTime) : formatDuration(value as Temporal.Duration);

/** Wire JSON -> in-memory object; throws InvalidInputError naming the first bad field. */
export function hydrate<T>(objectType: StoredObjectType, wire: unknown): T {
  return convertTemporalFields<T>(objectType, wire, parseField);
}

/** In-memory object -> wire JSON with canonical UTC date-times and ISO 8601 durations. */
export function dehydrate(objectType: StoredObjectType, object: unknown): Record<string, unknown> {
  return convertTemporalFields<Record<string, unknown>>(objectType, object, formatField);
}

/** Copies plain JSON data while keeping Temporal values (immutable) by reference. */
function structuredCloneJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(structuredCloneJson);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    // fromEntries defines own properties: a "__proto__" key stays data instead of setting the prototype.
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, structuredCloneJson(child)]));
  }
  return value;
}
