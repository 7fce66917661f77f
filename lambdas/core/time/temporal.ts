import { Temporal } from 'temporal-polyfill';
import { InvalidInputError } from '../errors';

/**
 * Temporal codecs for the OpenADR wire format.
 * In memory: Temporal.ZonedDateTime (UTC) and Temporal.Duration.
 * On the wire and in storage: canonical UTC `Z` date-times and ISO 8601 durations.
 */

// RFC 3339 date-time; the spec's special start values "0001-01-01" and "0001-01-01T00:00:00" carry no offset.
const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/;
const BEGINNING_OF_TIME_VALUES = new Set(['0001-01-01', '0001-01-01T00:00:00']);
// The spec's duration pattern, verbatim.
const DURATION =
  /^(-?)P(?=\d|T\d)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)([DW]))?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;
const MAX_FRACTION_DIGITS = 9;
/** A date-time already as formatDateTime writes it: UTC, seconds below 60, a fraction without trailing zeros. */
const CANONICAL_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:[0-5]\d(?:\.(\d{0,8}[1-9]))?Z$/;

/**
 * A duration already as the polyfill writes it: no zero or zero-led component, a fraction without
 * trailing zeros. Durations are not balanced when written (PT90M stays PT90M).
 */
const CANONICAL_DURATION =
  /^-?P(?=\d|T\d)(?:[1-9]\d*Y)?(?:[1-9]\d*M)?(?:[1-9]\d*[DW])?(?:T(?=\d)(?:[1-9]\d*H)?(?:[1-9]\d*M)?(?:(?:[1-9]\d*|0(?=\.))(?:\.\d*[1-9])?S)?)?$/;

/**
 * The polyfill takes tens of microseconds to write a date-time or a duration, and every object a
 * request reads is parsed and written again. Values are immutable: the text of each is kept once
 * known (for a canonical date-time, the text it was parsed from), and a duration text parsed before
 * gives the same value back.
 */
const texts = new WeakMap<Temporal.ZonedDateTime | Temporal.Duration, string>();
const durations = new Map<string, Temporal.Duration>();
const MAX_KEPT_DURATIONS = 1000;

/**
 * "0001-01-01": an intervalPeriod.start meaning 'now' (User Guide 7.3), as epoch nanoseconds:
 * the polyfill's parser is not run while a function loads.
 */
const BEGINNING_OF_TIME_NS = -62_135_596_800n * 1_000_000_000n;
let beginningOfTime: Temporal.ZonedDateTime | undefined;
/** "P9999Y": a duration meaning 'infinity' (User Guide 7.3). */
export const UNBOUNDED_YEARS = 9999;

export function isBeginningOfTime(value: Temporal.ZonedDateTime): boolean {
  return value.epochNanoseconds === BEGINNING_OF_TIME_NS;
}

export function isUnbounded(duration: Temporal.Duration): boolean {
  return (
    duration.years === UNBOUNDED_YEARS &&
    duration.months === 0 &&
    duration.weeks === 0 &&
    duration.days === 0 &&
    duration.hours === 0 &&
    duration.minutes === 0 &&
    duration.seconds === 0 &&
    duration.milliseconds === 0 &&
    duration.microseconds === 0 &&
    duration.nanoseconds === 0
  );
}

/** Parses an RFC 3339 date-time with any offset and fractional precision. */
export function parseDateTime(value: unknown, field: string): Temporal.ZonedDateTime {
  if (typeof value !== 'string') throw InvalidInputError.field(field, 'must be an RFC 3339 date-time string');
  if (BEGINNING_OF_TIME_VALUES.has(value)) return (beginningOfTime ??= new Temporal.ZonedDateTime(BEGINNING_OF_TIME_NS, 'UTC'));
  const match = RFC3339.exec(value);
  if (!match) {
    throw InvalidInputError.field(field, `"${value}" is not an RFC 3339 date-time (e.g. 2024-06-15T09:30:00Z)`);
  }
  const canonical = fromCanonicalUtc(value);
  if (canonical) return canonical;
  const [, date, time, fraction, offset] = match;
  // Temporal keeps nanoseconds; finer digits are beyond any clock that sends them.
  const fractionPart = fraction ? `.${fraction.slice(0, MAX_FRACTION_DIGITS)}` : '';
  const normalisedOffset = offset === 'z' || offset === 'Z' ? 'Z' : offset;
  try {
    return Temporal.Instant.from(`${date}T${time}${fractionPart}${normalisedOffset}`).toZonedDateTimeISO('UTC');
  } catch {
    throw InvalidInputError.field(field, `"${value}" is not a valid date-time`);
  }
}

/**
 * A date-time already in canonical UTC (as stored, and as most clients send it), read without the
 * polyfill's parser, several times slower on a fresh instance. Undefined for anything else, and
 * for a date the calendar lacks (Date.parse would roll it over): the parser decides those.
 */
function fromCanonicalUtc(value: string): Temporal.ZonedDateTime | undefined {
  const match = CANONICAL_UTC.exec(value);
  if (!match) return undefined;
  const seconds = value.slice(0, 19);
  const epochMs = Date.parse(`${seconds}Z`);
  if (Number.isNaN(epochMs) || new Date(epochMs).toISOString().slice(0, 19) !== seconds) return undefined;
  const parsed = new Temporal.ZonedDateTime(BigInt(epochMs) * 1_000_000n + BigInt((match[1] ?? '').padEnd(9, '0')), 'UTC');
  texts.set(parsed, value);
  return parsed;
}

/** Parses an ISO 8601 duration as the spec's duration pattern allows. */
export function parseDuration(value: unknown, field: string): Temporal.Duration {
  if (typeof value !== 'string') throw InvalidInputError.field(field, 'must be an ISO 8601 duration string');
  if (!DURATION.test(value)) {
    throw InvalidInputError.field(field, `"${value}" is not an ISO 8601 duration (e.g. PT1H, P1D, P9999Y)`);
  }
  const known = durations.get(value);
  if (known) return known;
  const trimmed = value.replace(/\.(\d{10,})S$/, (_, digits: string) => `.${digits.slice(0, MAX_FRACTION_DIGITS)}S`);
  try {
    const parsed = Temporal.Duration.from(trimmed);
    // Writing a duration is the slowest of the polyfill's steps on a fresh instance.
    if (CANONICAL_DURATION.test(trimmed)) texts.set(parsed, trimmed);
    if (durations.size >= MAX_KEPT_DURATIONS) durations.clear();
    durations.set(value, parsed);
    return parsed;
  } catch {
    throw InvalidInputError.field(field, `"${value}" is outside the supported duration range`);
  }
}

/** Canonical UTC with the shortest exact fraction, for object bodies. */
export function formatDateTime(value: Temporal.ZonedDateTime): string {
  return keptText(value, () => value.toInstant().toString());
}

/**
 * Canonical UTC with a fixed nine-digit fraction and four-digit year, so that lexical order
 * is time order whatever offset or precision the client sent. Used for index keys.
 */
export function sortableDateTime(value: Temporal.ZonedDateTime | Temporal.Instant): string {
  const instant = value instanceof Temporal.Instant ? value : value.toInstant();
  return instant.toString({ fractionalSecondDigits: MAX_FRACTION_DIGITS });
}

/** The first and last instants whose sortableDateTime() keeps lexical order (years 0000-9999 in UTC). */
export const SORTABLE_RANGE = {
  earliest: Temporal.ZonedDateTime.from('0000-01-01T00:00:00+00:00[UTC]'),
  latest: Temporal.ZonedDateTime.from('9999-12-31T23:59:59.999999999+00:00[UTC]'),
};

/** Whether sortableDateTime() of this instant keeps lexical order. */
export function hasSortableYear(value: Temporal.ZonedDateTime): boolean {
  const { compare } = Temporal.ZonedDateTime;
  return compare(value, SORTABLE_RANGE.earliest) >= 0 && compare(value, SORTABLE_RANGE.latest) <= 0;
}

export function formatDuration(value: Temporal.Duration): string {
  return keptText(value, () => value.toString());
}

function keptText<V extends Temporal.ZonedDateTime | Temporal.Duration>(value: V, write: () => string): string {
  let text = texts.get(value);
  if (text === undefined) texts.set(value, (text = write()));
  return text;
}

export function nowUtc(): Temporal.ZonedDateTime {
  return Temporal.Now.zonedDateTimeISO('UTC');
}
