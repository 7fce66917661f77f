import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The time a request may still spend. The entry sets it from the Lambda's remaining time; code
 * far below (a paging loop) consults it without being handed it through every layer.
 */

/** The Lambda timeout of the API's functions; the local stand-in gives handlers the same. */
export const HANDLER_TIMEOUT_MS = 10_000;

/** API Gateway gives up after 30 s. */
const MAX_INTEGRATION_MS = 29_000;

/** The entry whose writes send callbacks their echo challenge. */
export const CHALLENGING_RESOURCE = 'subscriptions';

/**
 * The Lambda timeout of a resource's function: the subscription function also has room for an
 * echo challenge, which may take the webhook timeout.
 */
export function handlerTimeoutMs(resource: string, webhookTimeoutMs: number): number {
  return resource === CHALLENGING_RESOURCE ? Math.min(MAX_INTEGRATION_MS, HANDLER_TIMEOUT_MS + webhookTimeoutMs) : HANDLER_TIMEOUT_MS;
}

/** Work stops this long before the Lambda's timeout, which leaves time to answer and log. */
export const DEADLINE_MARGIN_MS = 1_000;

const deadlines = new AsyncLocalStorage<number>();

/** Runs `work` with a deadline (epoch ms) for everything it awaits. */
export function withDeadline<T>(deadline: number, work: () => T): T {
  return deadlines.run(deadline, work);
}

/** Milliseconds left before the current deadline; Infinity outside one. */
export function timeLeftMs(): number {
  const deadline = deadlines.getStore();
  return deadline === undefined ? Infinity : deadline - Date.now();
}
