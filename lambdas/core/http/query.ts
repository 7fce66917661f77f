import type { Temporal } from 'temporal-polyfill';
import { InvalidInputError, type FieldIssue } from '../errors';
import { validate, type Check } from '../openadr/validation';
import { parseDateTime } from '../time/temporal';

/**
 * Query string parsing. Each parameter has a parser that turns its raw values (a parameter may
 * repeat) into a typed value or reports why not; all bad parameters are reported together.
 * Parameters nobody declared are ignored, as HTTP servers usually do.
 */
export type QueryParser<T> = (values: string[], name: string, issues: FieldIssue[]) => T;

type Parsed<S> = { [K in keyof S]: S[K] extends QueryParser<infer T> ? T : never };

export function parseQuery<S extends Record<string, QueryParser<unknown>>>(rawQueryString: string, spec: S): Parsed<S> {
  const params = new URLSearchParams(rawQueryString);
  const issues: FieldIssue[] = [];
  const parsed: Record<string, unknown> = {};
  for (const [name, parse] of Object.entries(spec)) parsed[name] = parse(params.getAll(name), name, issues);
  if (issues.length > 0) throw InvalidInputError.listing(issues);
  return parsed as Parsed<S>;
}

/** A parameter given at most once; absent, it is undefined. */
function single<T>(parse: (value: string, name: string, issues: FieldIssue[]) => T | undefined): QueryParser<T | undefined> {
  return (values, name, issues) => {
    if (values.length === 0) return undefined;
    if (values.length > 1) return void issues.push({ field: name, reason: 'must be given at most once' });
    return parse(values[0], name, issues);
  };
}

/** Absent means `fallback`. */
export function withDefault<T>(parser: QueryParser<T | undefined>, fallback: T): QueryParser<T> {
  return (values, name, issues) => parser(values, name, issues) ?? fallback;
}

const INT32_MAX = 2 ** 31 - 1;
export const MAX_PAGE_SIZE = 50;

/** skip >= 0 (default 0) and 0 <= limit <= 50 (default 50), as the spec bounds them. */
export const PAGE_PARAMS = {
  skip: withDefault(integerParam(0, INT32_MAX), 0),
  limit: withDefault(integerParam(0, MAX_PAGE_SIZE), MAX_PAGE_SIZE),
};

export function integerParam(min: number, max: number): QueryParser<number | undefined> {
  return single((value, name, issues) => {
    const number = /^-?\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(number)) return void issues.push({ field: name, reason: `must be an integer, got "${value}"` });
    if (number < min || number > max) return void issues.push({ field: name, reason: `must be between ${min} and ${max}, got ${number}` });
    return number;
  });
}

export const booleanParam: QueryParser<boolean | undefined> = single((value, name, issues) => {
  if (value === 'true') return true;
  if (value === 'false') return false;
  issues.push({ field: name, reason: `must be true or false, got "${value}"` });
});

export const dateTimeParam: QueryParser<Temporal.ZonedDateTime | undefined> = single((value, name, issues) => {
  try {
    return parseDateTime(value, name);
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    issues.push(...error.issues);
  }
});

/** A single value checked by a body schema check (objectID, clientName, ...). */
export function stringParam(check: Check): QueryParser<string | undefined> {
  return single((value, name, issues) => (checked(check, value, name, issues) ? value : undefined));
}

/**
 * Distinct values a repeated filter may have. Each becomes a term of a DynamoDB filter
 * expression, which allows 4 KB and 300 operators; about 130 values would pass that.
 */
export const MAX_FILTER_VALUES = 50;

/** A parameter that may repeat (`targets=a&targets=b`); each distinct value is checked. */
export function repeatedParam(check: Check, maxValues = MAX_FILTER_VALUES): QueryParser<string[] | undefined> {
  return (values, name, issues) => {
    if (values.length === 0) return undefined;
    const distinct = [...new Set(values)];
    if (distinct.length > maxValues) return void issues.push({ field: name, reason: `must have at most ${maxValues} distinct values, got ${distinct.length}` });
    const valid = distinct.every((value) => checked(check, value, name, issues));
    return valid ? distinct : undefined;
  };
}

function checked(check: Check, value: string, name: string, issues: FieldIssue[]): boolean {
  try {
    validate(check, value, name);
    return true;
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    issues.push(...error.issues);
    return false;
  }
}
