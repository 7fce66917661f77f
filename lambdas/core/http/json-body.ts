import { InvalidInputError, MAX_LISTED_ISSUES, type FieldIssue } from '../errors';

/**
 * Nesting a body may have: the schemas need under ten levels, so this leaves room for extensions
 * while keeping every recursive walk of a body (copies, JSON.stringify) far from the stack limit.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Parses a JSON body, refusing with 400 naming the field what could not be kept as sent: nesting
 * deeper than MAX_JSON_DEPTH, and numbers a 64-bit float does not hold as written (1e400 would
 * come back as null, 9007199254740993 as 9007199254740992).
 */
export function parseJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw InvalidInputError.field('body', `is not valid JSON (${(error as Error).message})`);
  }
  const issues = sourceTextIssues(text);
  if (issues.length > 0) throw InvalidInputError.listing(issues);
  return value;
}

/** Where the scan is inside a container: the member's key, or the element's index. */
type Frame = { kind: '{'; key: string } | { kind: '['; index: number };

const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** One pass over text JSON.parse accepted; iterative, so no depth can overflow it. */
function sourceTextIssues(text: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const frames: Frame[] = [];
  let expectKey = false;
  for (let at = 0; at < text.length; ) {
    const char = text[at];
    if (char === '"') {
      const end = closingQuote(text, at);
      const top = frames.at(-1);
      if (expectKey && top?.kind === '{') top.key = JSON.parse(text.slice(at, end + 1)) as string;
      expectKey = false;
      at = end + 1;
    } else if (char === '-' || (char >= '0' && char <= '9')) {
      NUMBER.lastIndex = at;
      const literal = NUMBER.exec(text)![0];
      const reason = numberProblem(literal);
      if (reason) {
        issues.push({ field: fieldPath(frames), reason });
        if (issues.length === MAX_LISTED_ISSUES) return issues;
      }
      at += literal.length;
    } else {
      if (char === '{' || char === '[') {
        if (frames.length === MAX_JSON_DEPTH) {
          issues.push({ field: fieldPath(frames), reason: `nests deeper than ${MAX_JSON_DEPTH} levels` });
          return issues;
        }
        frames.push(char === '{' ? { kind: '{', key: '' } : { kind: '[', index: 0 });
        expectKey = char === '{';
      } else if (char === '}' || char === ']') {
        frames.pop();
      } else if (char === ',') {
        const top = frames.at(-1);
        if (top?.kind === '[') top.index += 1;
        else expectKey = true;
      }
      at += 1;
    }
  }
  return issues;
}

/** The index of the quote that closes the string opening at `open`. */
function closingQuote(text: string, open: number): number {
  for (let from = open + 1; ; ) {
    const quote = text.indexOf('"', from);
    let backslashes = 0;
    while (text[quote - 1 - backslashes] === '\\') backslashes += 1;
    if (backslashes % 2 === 0) return quote;
    from = quote + 1;
  }
}

/** `intervals[0].payloads[1].values[2]`, or `body` for the top level. */
function fieldPath(frames: Frame[]): string {
  const path = frames.map((frame) => (frame.kind === '[' ? `[${frame.index}]` : `.${frame.key}`)).join('');
  return path === '' ? 'body' : path.replace(/^\./, '');
}

function numberProblem(literal: string): string | undefined {
  const value = Number(literal);
  const shown = literal.length > 40 ? `${literal.slice(0, 40)}…` : literal;
  if (!Number.isFinite(value)) return `${shown} is beyond the range of a 64-bit float`;
  const kept = String(value);
  if (kept === literal || exactDecimal(kept) === exactDecimal(literal)) return undefined;
  return `${shown} cannot be kept exactly: a 64-bit float holds it as ${kept}`;
}

/** A number's exact value as significant digits and exponent: `-12.50e3` -> `-125e2`, `0.0` -> `0`. */
function exactDecimal(literal: string): string {
  const [, sign, whole, fraction = '', exponent = '0'] = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(literal)!;
  const digits = (whole + fraction).replace(/^0+/, '');
  if (digits === '') return '0';
  const significant = digits.replace(/0+$/, '');
  const scale = Number(exponent) - fraction.length + (digits.length - significant.length);
  return `${sign}${significant}e${scale}`;
}
