import type { FieldIssue } from '../errors';

/** RFC 9457 problem details, as the spec's `problem` schema has them, plus two extensions. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  /** For 400s: every bad field and why. */
  errors?: FieldIssue[];
  /** Correlates the response with the server's logs. */
  requestId?: string;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

export function problem(status: number, detail: string, instance: string, extensions: Partial<Problem> = {}): Problem {
  return { type: 'about:blank', title: TITLES[status] ?? 'Error', status, detail, instance, ...extensions };
}
