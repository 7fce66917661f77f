/**
 * Typed errors raised where a problem arises; one middleware turns them into
 * RFC 9457 `problem` responses.
 */

export interface FieldIssue {
  /** Dotted path of the offending field, e.g. `intervals[0].intervalPeriod.start`. */
  field: string;
  reason: string;
}

/** The most issues a 400 lists: enough to act on, and far below Lambda's 6 MB response limit. */
export const MAX_LISTED_ISSUES = 100;

export abstract class VtnError extends Error {
  abstract readonly status: number;
  abstract readonly title: string;
}

export class InvalidInputError extends VtnError {
  readonly status = 400;
  readonly title = 'Bad Request';
  constructor(readonly issues: FieldIssue[]) {
    super(issues.map((i) => `${i.field}: ${i.reason}`).join('; '));
  }
  static field(field: string, reason: string): InvalidInputError {
    return new InvalidInputError([{ field, reason }]);
  }
  /** Lists the first MAX_LISTED_ISSUES: a body of a million bad values still gets a small answer. */
  static listing(issues: FieldIssue[]): InvalidInputError {
    return new InvalidInputError(issues.slice(0, MAX_LISTED_ISSUES));
  }
}

export class NotFoundError extends VtnError {
  readonly status = 404;
  readonly title = 'Not Found';
  constructor(readonly objectType: string, readonly id: string) {
    super(`${objectType.toLowerCase()} ${id} does not exist`);
  }
}

export class ConflictError extends VtnError {
  readonly status = 409;
  readonly title = 'Conflict';
}

export class PayloadTooLargeError extends VtnError {
  readonly status = 413;
  readonly title = 'Content Too Large';
}

/** Throttling or a transient service fault: the request may be retried unchanged. */
export class StorageUnavailableError extends VtnError {
  readonly status = 503;
  readonly title = 'Service Unavailable';
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
  }
}
