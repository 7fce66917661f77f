import type { FieldIssue } from '../errors';
import { formatProblem } from './formats';
import type * as Generated from './request-validators.generated';
import type { AjvError } from './request-validators.generated';
import { describeValue, LONE_SURROGATE_REASON, type Check } from './validation';

/**
 * Request bodies, checked against the OpenADR 3.1.0 request schemas by validators generated from
 * spec/openadr3.yaml at build time (Ajv standalone): types, required fields, lengths, ranges,
 * enums, patterns, and date-time, duration and URI formats. Every bad field is reported with its
 * path. Properties the schemas do not name are allowed, as the spec allows them. An optional
 * property sent as null counts as absent, and is left out of the value a check returns.
 * Apart from the parameter checks (validation.ts), so that entries that never reach the
 * operations (auth, docs) leave the validators out of their bundles.
 */
/**
 * A request body checked by its validator generated from the 3.1.0 schemas (see
 * scripts/generate-validators.ts). The value accepted is a copy without the optional properties
 * sent as null.
 */
function generated(name: RequestSchema): Check {
  return (value, path, issues) => {
    const validator = generatedValidators()[name];
    // The validator deletes nulls from what it checks; the caller's value stays as sent.
    const copy = plainCopy(value);
    // A loop, not push(...): a body of many bad values has more issues than a call has arguments.
    if (!validator(copy)) for (const issue of fieldIssues(name, validator.errors ?? [], copy, path)) issues.push(issue);
    return copy;
  };
}

/** A deep copy of parsed JSON; fromEntries defines own properties, so a "__proto__" key stays data. */
function plainCopy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plainCopy);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, plainCopy(child)]));
}

type RequestSchema = 'programRequest' | 'eventRequest' | 'subscriptionRequest' | 'reportRequest' | 'venRequest' | 'resourceRequest';

let loaded: typeof Generated | undefined;

/**
 * The generated validators, loaded on first use: entries that check no body (auth, notifiers,
 * webhooks) share this module for its parameter checks and never evaluate them.
 */
function generatedValidators(): typeof Generated {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require('./request-validators.generated') as typeof Generated;
  return loaded;
}

export const programRequest = generated('programRequest');
export const eventRequest = generated('eventRequest');
export const subscriptionRequest = generated('subscriptionRequest');
export const reportRequest = generated('reportRequest');
export const venRequest = generated('venRequest');
export const resourceRequest = generated('resourceRequest');

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'true or false',
  array: 'an array',
  object: 'an object',
  null: 'null',
};

/** Ajv's errors as the fields and reasons a problem lists, in the order of the body. */
function fieldIssues(schema: string, errors: AjvError[], data: unknown, prefix: string): FieldIssue[] {
  const located = (error: AjvError, ...more: string[]) => fieldOf(data, [...pointerSegments(error.instancePath), ...more], prefix);
  const found: FieldIssue[][] = [];
  for (let index = 0; index < errors.length; index++) {
    const error = errors[index];
    if (error.keyword === 'anyOf' || error.keyword === 'oneOf') {
      // The alternatives' errors come just before: keep those of alternatives whose type fitted.
      let first = index;
      while (first > 0 && within(errors[first - 1].instancePath, error.instancePath)) first -= 1;
      const alternatives = errors.slice(first, index);
      const fitted = alternatives.filter((e) => !(e.keyword === 'type' && e.instancePath === error.instancePath));
      found.fill([], first, index);
      if (fitted.length > 0) {
        found[index] = fieldIssues(schema, fitted, data, prefix);
      } else {
        const types = [...new Set(alternatives.map((e) => TYPE_NAMES[e.params.type] ?? e.params.type))];
        found[index] = [{ field: located(error), reason: `must be ${types.join(' or ')}, got ${describeValue(valueAt(data, error.instancePath))}` }];
      }
      continue;
    }
    found[index] = [issueOf(schema, error, data, located)];
  }
  const issues: FieldIssue[] = [];
  const kinds: string[] = [];
  found.forEach((list, index) => {
    for (const issue of list ?? []) {
      issues.push(issue);
      kinds.push(errors[index].keyword);
    }
  });
  // A string that is not valid Unicode has no length or pattern worth reporting; a value with a
  // format says why it fails that better than the pattern that comes with it (durations).
  const malformed = new Set(issues.filter((issue) => issue.reason === LONE_SURROGATE_REASON).map((issue) => issue.field));
  const formatted = new Set(errors.filter((error) => error.keyword === 'format').map((error) => located(error)));
  return issues.filter((issue, index) => {
    if (malformed.has(issue.field)) return issue.reason === LONE_SURROGATE_REASON;
    return !(formatted.has(issue.field) && kinds[index] === 'pattern');
  });
}

function issueOf(schema: string, error: AjvError, data: unknown, located: (error: AjvError, ...more: string[]) => string): FieldIssue {
  const value = valueAt(data, error.instancePath);
  const { params } = error;
  switch (error.keyword) {
    case 'required':
      return { field: located(error, params.missingProperty), reason: 'is required' };
    case 'type': {
      if (params.type === 'object' && error.instancePath === '') return { field: located(error) || 'body', reason: `must be a JSON object, got ${describeValue(value)}` };
      const types = String(params.type).split(',').map((type) => TYPE_NAMES[type] ?? type);
      return { field: located(error), reason: `must be ${types.join(' or ')}, got ${describeValue(value)}` };
    }
    case 'x-wellFormed':
      return { field: located(error), reason: LONE_SURROGATE_REASON };
    case 'minLength':
      return { field: located(error), reason: params.limit === 1 ? 'must not be empty' : `must be at least ${params.limit} characters long` };
    case 'maxLength':
      return { field: located(error), reason: `must be at most ${params.limit} characters long` };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { field: located(error), reason: `must be ${params.comparison} ${params.limit}` };
    case 'pattern':
      return { field: located(error), reason: `must match ${params.pattern}` };
    case 'enum':
      return { field: located(error), reason: `must be one of ${(params.allowedValues as unknown[]).join(', ')}, got ${describeValue(value)}` };
    case 'format':
      return { field: located(error), reason: formatProblem(params.format, value) ?? `must be a ${params.format}` };
    case 'discriminator': {
      const { discriminatorTags } = generatedValidators();
      const tags = discriminatorTags[`${schema}${error.schemaPath}`] ?? Object.entries(discriminatorTags).find(([key]) => key.endsWith(error.schemaPath))?.[1] ?? [];
      return { field: located(error, params.tag), reason: `must be one of ${tags.join(', ')}` };
    }
    default:
      return { field: located(error), reason: error.message ?? `fails ${error.keyword}` };
  }
}

function within(path: string, parent: string): boolean {
  return path === parent || path.startsWith(`${parent}/`);
}

function pointerSegments(pointer: string): string[] {
  return pointer === '' ? [] : pointer.slice(1).split('/').map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** `intervals[0].payloads`: keys joined by dots, array indexes in brackets. */
function fieldOf(data: unknown, segments: string[], prefix: string): string {
  let field = prefix;
  let node = data;
  for (const segment of segments) {
    if (Array.isArray(node)) field += `[${segment}]`;
    else field = field ? `${field}.${segment}` : segment;
    node = node !== null && typeof node === 'object' && Object.hasOwn(node, segment) ? (node as Record<string, unknown>)[segment] : undefined;
  }
  return field;
}

function valueAt(data: unknown, pointer: string): unknown {
  let node = data;
  for (const segment of pointerSegments(pointer)) {
    node = node !== null && typeof node === 'object' && Object.hasOwn(node, segment) ? (node as Record<string, unknown>)[segment] : undefined;
  }
  return node;
}
