/**
 * Starts work while the function initializes (Lambda's init phase, which sets
 * AWS_LAMBDA_INITIALIZATION_TYPE), without waiting for it: the first request then finds it done or
 * under way, overlapping what it waits on. A failure is left for that request to meet and report.
 */
export function primeDuringInit(...work: (() => Promise<unknown>)[]): void {
  if (!process.env.AWS_LAMBDA_INITIALIZATION_TYPE) return;
  for (const step of work) Promise.resolve().then(step).catch(() => undefined);
}
