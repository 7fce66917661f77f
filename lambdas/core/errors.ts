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

/** No access token, or one that does not verify; `challenge` is the WWW-Authenticate value. */
export class UnauthorizedError extends VtnError {
  readonly status = 401;
  readonly title = 'Unauthorized';
  constructor(message: string, readonly challenge: string) {
    super(message);
  }
}

/** The caller may not do this (another client's object it can see, a field its role may not set). */
export class ForbiddenError extends VtnError {
  readonly status = 403;
  readonly title = 'Forbidden';
}

/** A valid token without the scope the operation requires. */
export class InsufficientScopeError extends ForbiddenError {
  constructor(readonly scope: string) {
    super(`this operation requires the scope ${scope}, which the access token does not carry`);
  }
}

export type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'invalid_scope' | 'unsupported_grant_type';

/** A refused token request (RFC 6749 §5.2): answered as an OAuth2 error body, not a problem. */
export class OAuthError extends VtnError {
  readonly status: number;
  readonly title: string;
  constructor(readonly error: OAuthErrorCode, description: string) {
    super(description);
    this.status = error === 'invalid_client' ? 401 : 400;
    this.title = error === 'invalid_client' ? 'Unauthorized' : 'Bad Request';
  }
}

export class NotImplementedError extends VtnError {
  readonly status = 501;
  readonly title = 'Not Implemented';
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

/** A service the VTN depends on (an identity provider's key set) did not answer: retryable. */
export class DependencyUnavailableError extends VtnError {
  readonly status = 503;
  readonly title = 'Service Unavailable';
}
