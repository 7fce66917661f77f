import { InvalidInputError, type FieldIssue } from '../errors';
import { hasSortableYear, parseDateTime, parseDuration } from '../time/temporal';
import { OBJECT_TYPES } from './types';

/**
 * Request validation against the OpenADR 3.1.0 request schemas (programRequest, eventRequest,
 * subscriptionRequest and what they reference): types, required fields, lengths, ranges, enums,
 * patterns, and date-time, duration and URI formats. Every bad field is reported with its path.
 * Properties the schemas do not name are allowed, as the spec allows them. An optional property
 * sent as null counts as absent, and is left out of the value a check returns.
 */

/** Reports what is wrong with `value` in `issues`; returns the value as accepted. */
export type Check = (value: unknown, path: string, issues: FieldIssue[]) => unknown;

type Test = (value: unknown, path: string, issues: FieldIssue[]) => void;

/** A check that accepts a value as it is. */
const leaf =
  (test: Test): Check =>
  (value, path, issues) => {
    test(value, path, issues);
    return value;
  };

const describe = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : JSON.stringify(value);

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** A UTF-16 surrogate not in a pair (with the u flag, a pair matches as one code point instead). */
const LONE_SURROGATE = /\p{Cs}/u;

export function string(options: { min?: number; max?: number; pattern?: RegExp; patternText?: string } = {}): Check {
  return leaf((value, path, issues) => {
    if (typeof value !== 'string') return void issues.push({ field: path, reason: `must be a string, got ${describe(value)}` });
    // Not storable: DynamoDB keeps strings as UTF-8, which has no encoding for it.
    if (LONE_SURROGATE.test(value)) return void issues.push({ field: path, reason: 'must be valid Unicode (lone surrogate)' });
    const length = [...value].length;
    if (options.min !== undefined && length < options.min) {
      issues.push({ field: path, reason: options.min === 1 ? 'must not be empty' : `must be at least ${options.min} characters long` });
    }
    if (options.max !== undefined && length > options.max) issues.push({ field: path, reason: `must be at most ${options.max} characters long` });
    if (options.pattern && !options.pattern.test(value)) issues.push({ field: path, reason: `must match ${options.patternText ?? options.pattern.source}` });
  });
}

export function integer(options: { min?: number; max?: number; int32?: boolean } = {}): Check {
  const min = options.min ?? (options.int32 ? INT32_MIN : undefined);
  const max = options.max ?? (options.int32 ? INT32_MAX : undefined);
  return leaf((value, path, issues) => {
    if (typeof value !== 'number' || !Number.isInteger(value)) return void issues.push({ field: path, reason: `must be an integer, got ${describe(value)}` });
    if (min !== undefined && value < min) issues.push({ field: path, reason: `must be >= ${min}` });
    if (max !== undefined && value > max) issues.push({ field: path, reason: `must be <= ${max}` });
  });
}

export const number = leaf((value, path, issues) => {
  if (typeof value !== 'number' || !Number.isFinite(value)) issues.push({ field: path, reason: `must be a number, got ${describe(value)}` });
});

export const boolean = leaf((value, path, issues) => {
  if (typeof value !== 'boolean') issues.push({ field: path, reason: `must be true or false, got ${describe(value)}` });
});

export function oneOfValues(values: readonly string[]): Check {
  return leaf((value, path, issues) => {
    if (typeof value !== 'string' || !values.includes(value)) {
      issues.push({ field: path, reason: `must be one of ${values.join(', ')}, got ${describe(value)}` });
    }
  });
}

export function arrayOf(item: Check): Check {
  return (value, path, issues) => {
    if (!Array.isArray(value)) {
      issues.push({ field: path, reason: `must be an array, got ${describe(value)}` });
      return value;
    }
    return value.map((element, index) => item(element, `${path}[${index}]`, issues));
  };
}

/**
 * Accepts the value if any alternative accepts it; otherwise reports the issues of the
 * alternative that got furthest: one whose type fits (its issues lie inside the value), then the
 * one with fewest issues.
 */
export function anyOf(...alternatives: Check[]): Check {
  return (value, path, issues) => {
    let best: { found: FieldIssue[]; score: number } | undefined;
    for (const alternative of alternatives) {
      const found: FieldIssue[] = [];
      const accepted = alternative(value, path, found);
      if (found.length === 0) return accepted;
      const atTheValueItself = found.filter((issue) => issue.field === path).length;
      const score = atTheValueItself * 1000 + found.length;
      if (!best || score < best.score) best = { found, score };
    }
    issues.push(...(best?.found ?? []));
    return value;
  };
}

/** The spec's `discriminator`: the value's `property` picks the schema that applies. */
export function discriminated(property: string, checks: Record<string, Check>): Check {
  const known = Object.keys(checks);
  return (value, path, issues) => {
    const tag = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[property] : undefined;
    if (typeof tag === 'string' && Object.hasOwn(checks, tag)) return checks[tag](value, path, issues);
    const accepted = anyOf(...Object.values(checks))(value, path, issues);
    if (!issues.some((issue) => issue.field.startsWith(path))) {
      issues.push({ field: path ? `${path}.${property}` : property, reason: `must be one of ${known.join(', ')}` });
    }
    return accepted;
  };
}

/**
 * An object with these properties (others are kept as they are). Optional properties may be
 * null, meaning absent, as clients that send every unset property as null expect.
 */
export function object(properties: Record<string, Check>, required: string[] = []): Check {
  return (value, path, issues) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      issues.push({ field: path || 'body', reason: `must be a JSON object, got ${describe(value)}` });
      return value;
    }
    const at = (key: string) => (path ? `${path}.${key}` : key);
    for (const key of required) if (!Object.hasOwn(value, key)) issues.push({ field: at(key), reason: 'is required' });
    // fromEntries defines own properties, so a "__proto__" key stays data.
    return Object.fromEntries(
      Object.entries(value).flatMap(([key, child]) => {
        if (!Object.hasOwn(properties, key)) return [[key, child]];
        if (child === null && !required.includes(key)) return [];
        return [[key, properties[key](child, at(key), issues)]];
      }),
    );
  };
}

const formatCheck = (parse: (value: unknown, field: string) => unknown): Check =>
  leaf((value, path, issues) => {
    try {
      parse(value, path);
    } catch (error) {
      if (error instanceof InvalidInputError) issues.push(...error.issues);
      else throw error;
    }
  });

/** Objects come back in UTC, and RFC 3339 has four-digit years: so 0000-9999 once in UTC. */
export const dateTime = formatCheck((value, field) => {
  if (!hasSortableYear(parseDateTime(value, field))) throw InvalidInputError.field(field, `"${value}" falls outside years 0000-9999 in UTC`);
});
export const duration = formatCheck(parseDuration);

// RFC 3986: a scheme, then anything without whitespace.
const URI = /^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]*$/;
export const uri = string({ min: 2, max: 8000, pattern: URI, patternText: 'an absolute URI (scheme:...)' });

export const OBJECT_ID = /^[a-zA-Z0-9_-]*$/;
export const objectID = string({ min: 1, max: 128, pattern: OBJECT_ID, patternText: '^[a-zA-Z0-9_-]*$' });
const shortName = string({ min: 1, max: 128 });
export const target = shortName;
export const clientName = shortName;
const targets = arrayOf(target);
const int32 = integer({ int32: true });

const intervalPeriod = object({ start: dateTime, duration, randomizeStart: duration });
const point = object({ x: number, y: number }, ['x', 'y']);
const valuesMap = object(
  { type: shortName, values: arrayOf(anyOf(number, string(), boolean, point)) },
  ['type', 'values'],
);

const eventPayloadDescriptor = object(
  {
    objectType: oneOfValues(['EVENT_PAYLOAD_DESCRIPTOR']),
    payloadType: shortName,
    units: shortName,
    currency: string(),
  },
  ['objectType', 'payloadType'],
);

const reportPayloadDescriptor = object(
  {
    objectType: oneOfValues(['REPORT_PAYLOAD_DESCRIPTOR']),
    payloadType: shortName,
    readingType: shortName,
    units: shortName,
    accuracy: number,
    confidence: integer({ min: 0, max: 100 }),
  },
  ['objectType', 'payloadType'],
);

const reportDescriptor = object(
  {
    payloadType: shortName,
    readingType: shortName,
    units: shortName,
    targets,
    aggregate: boolean,
    startInterval: int32,
    numIntervals: int32,
    historical: boolean,
    frequency: int32,
    repeat: int32,
    reportIntervals: oneOfValues(['INTERVALS', 'SUB_INTERVALS', 'OPEN_INTERVALS']),
  },
  ['payloadType'],
);

const interval = object({ id: int32, intervalPeriod, payloads: arrayOf(valuesMap) }, ['id', 'payloads']);

export const programRequest = object(
  {
    programName: shortName,
    intervalPeriod,
    programDescriptions: arrayOf(object({ URL: uri }, ['URL'])),
    payloadDescriptors: arrayOf(
      discriminated('objectType', {
        EVENT_PAYLOAD_DESCRIPTOR: eventPayloadDescriptor,
        REPORT_PAYLOAD_DESCRIPTOR: reportPayloadDescriptor,
      }),
    ),
    attributes: arrayOf(valuesMap),
    targets,
  },
  ['programName'],
);

export const eventRequest = object(
  {
    programID: objectID,
    eventName: string(),
    duration,
    priority: integer({ min: 0 }),
    targets,
    reportDescriptors: arrayOf(reportDescriptor),
    payloadDescriptors: arrayOf(eventPayloadDescriptor),
    intervalPeriod,
    intervals: arrayOf(interval),
  },
  ['programID'],
);

export const OPERATIONS = ['READ', 'CREATE', 'UPDATE', 'DELETE'] as const;

export const subscriptionRequest = object(
  {
    clientName,
    programID: objectID,
    objectOperations: arrayOf(
      object(
        {
          objects: arrayOf(oneOfValues(OBJECT_TYPES)),
          operations: arrayOf(oneOfValues(OPERATIONS)),
          callbackUrl: uri,
          bearerToken: string(),
        },
        ['objects', 'operations', 'callbackUrl'],
      ),
    ),
    targets,
  },
  ['clientName', 'objectOperations'],
);

/** Runs a check and returns the value as accepted, or throws one InvalidInputError listing every issue. */
export function validate(check: Check, value: unknown, path = ''): unknown {
  const issues: FieldIssue[] = [];
  const accepted = check(value, path, issues);
  if (issues.length > 0) throw InvalidInputError.listing(issues);
  return accepted;
}
