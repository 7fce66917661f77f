import { InvalidInputError } from '../errors';
import { hasSortableYear, parseDateTime, parseDuration } from '../time/temporal';

/**
 * The string and number formats of the OpenADR 3.1.0 schemas, as the generated validators
 * (request-validators.generated.js) call them, and the reason a value fails each. One source:
 * the generator registers these same functions with Ajv.
 */

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

// RFC 3986: a scheme, then anything without whitespace.
const URI = /^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]*$/;

/** Why `value` fails `format`, or undefined if it does not. */
export function formatProblem(format: string, value: unknown): string | undefined {
  try {
    switch (format) {
      case 'date-time': {
        // Objects come back in UTC, and RFC 3339 has four-digit years: so 0000-9999 once in UTC.
        if (!hasSortableYear(parseDateTime(value, ''))) return `"${String(value)}" falls outside years 0000-9999 in UTC`;
        return undefined;
      }
      case 'duration':
        parseDuration(value, '');
        return undefined;
      case 'uri':
        return typeof value === 'string' && URI.test(value) ? undefined : 'must match an absolute URI (scheme:...)';
      case 'int32':
        if (typeof value === 'number' && value < INT32_MIN) return `must be >= ${INT32_MIN}`;
        if (typeof value === 'number' && value > INT32_MAX) return `must be <= ${INT32_MAX}`;
        return undefined;
      case 'float':
        return typeof value === 'number' && Number.isFinite(value) ? undefined : 'must be a number';
      default:
        return `must be a ${format}`;
    }
  } catch (error) {
    if (error instanceof InvalidInputError) return error.issues[0].reason;
    throw error;
  }
}

const valid = (format: string) => (value: unknown) => formatProblem(format, value) === undefined;

/** Ajv format definitions: `type` says which values a format applies to; others pass. */
export const FORMATS = {
  'date-time': { type: 'string', validate: valid('date-time') },
  duration: { type: 'string', validate: valid('duration') },
  uri: { type: 'string', validate: valid('uri') },
  int32: { type: 'number', validate: valid('int32') },
  float: { type: 'number', validate: valid('float') },
} as const;
