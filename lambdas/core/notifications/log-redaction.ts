import type { Delivery } from './change';

/**
 * A callback URL as a log may show it: scheme, host, port and path, with userinfo, query and
 * fragment, where clients put credentials and tokens, replaced by `***`. Logs only; deliveries
 * and queued retries keep the URL as written.
 */
export function loggedUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '***';
  }
  const userinfo = parsed.username || parsed.password ? '***@' : '';
  const query = parsed.search ? '?***' : '';
  const fragment = parsed.hash ? '#***' : '';
  return `${parsed.protocol}//${userinfo}${parsed.host}${parsed.pathname}${query}${fragment}`;
}

/**
 * A delivery as a log may show it: its callback URL, and those of a subscription it carries,
 * through `loggedUrl`.
 */
export function loggedDelivery<T extends Delivery>(delivery: T): T {
  const { notification } = delivery;
  const operations = notification.objectType === 'SUBSCRIPTION' ? notification.object.objectOperations : undefined;
  const object = Array.isArray(operations)
    ? { ...notification.object, objectOperations: operations.map((operation: unknown) => withLoggedUrl(operation)) }
    : notification.object;
  return { ...delivery, callbackUrl: loggedUrl(delivery.callbackUrl), notification: { ...notification, object } };
}

function withLoggedUrl(operation: unknown): unknown {
  if (typeof operation !== 'object' || operation === null || !('callbackUrl' in operation) || typeof operation.callbackUrl !== 'string') return operation;
  return { ...operation, callbackUrl: loggedUrl(operation.callbackUrl) };
}
