import { InvalidInputError, type FieldIssue } from '../errors';

/**
 * Validation: the checks of path and query parameters, and how every check (request bodies'
 * too, request-bodies.ts) reports each bad field with its path.
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

/** A value as a problem's reason quotes it. */
export const describeValue = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : JSON.stringify(value);

/** A UTF-16 surrogate not in a pair (with the u flag, a pair matches as one code point instead). */
const LONE_SURROGATE = /\p{Cs}/u;
export const LONE_SURROGATE_REASON = 'must be valid Unicode (lone surrogate)';

export function string(options: { min?: number; max?: number; pattern?: RegExp; patternText?: string } = {}): Check {
  return leaf((value, path, issues) => {
    if (typeof value !== 'string') return void issues.push({ field: path, reason: `must be a string, got ${describeValue(value)}` });
    // Not storable: DynamoDB keeps strings as UTF-8, which has no encoding for it.
    if (LONE_SURROGATE.test(value)) return void issues.push({ field: path, reason: LONE_SURROGATE_REASON });
    const length = [...value].length;
    if (options.min !== undefined && length < options.min) {
      issues.push({ field: path, reason: options.min === 1 ? 'must not be empty' : `must be at least ${options.min} characters long` });
    }
    if (options.max !== undefined && length > options.max) issues.push({ field: path, reason: `must be at most ${options.max} characters long` });
    if (options.pattern && !options.pattern.test(value)) issues.push({ field: path, reason: `must match ${options.patternText ?? options.pattern.source}` });
  });
}

export function oneOfValues(values: readonly string[]): Check {
  return leaf((value, path, issues) => {
    if (typeof value !== 'string' || !values.includes(value)) {
      issues.push({ field: path, reason: `must be one of ${values.join(', ')}, got ${describeValue(value)}` });
    }
  });
}

export const OBJECT_ID = /^[a-zA-Z0-9_-]*$/;
export const objectID = string({ min: 1, max: 128, pattern: OBJECT_ID, patternText: '^[a-zA-Z0-9_-]*$' });
const shortName = string({ min: 1, max: 128 });
export const target = shortName;
export const clientName = shortName;
export const venName = shortName;
export const resourceName = shortName;

/** Runs a check and returns the value as accepted, or throws one InvalidInputError listing every issue. */
export function validate(check: Check, value: unknown, path = ''): unknown {
  const issues: FieldIssue[] = [];
  const accepted = check(value, path, issues);
  if (issues.length > 0) throw InvalidInputError.listing(issues);
  return accepted;
}
