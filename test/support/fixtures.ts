import { newObjectId } from '../../lambdas/core/ids';
import { hydrate } from '../../lambdas/core/openadr/temporal-fields';
import type { Program, Subscription, VtnEvent } from '../../lambdas/core/openadr/types';

const STAMP = '2024-05-01T00:00:00Z';

export function aProgram(fields: Record<string, unknown> = {}): Program {
  return hydrate<Program>('PROGRAM', {
    id: newObjectId(),
    objectType: 'PROGRAM',
    programName: `program-${newObjectId()}`,
    createdDateTime: STAMP,
    modificationDateTime: STAMP,
    ...fields,
  });
}

export function anEvent(programID: string, fields: Record<string, unknown> = {}): VtnEvent {
  return hydrate<VtnEvent>('EVENT', {
    id: newObjectId(),
    objectType: 'EVENT',
    programID,
    createdDateTime: STAMP,
    modificationDateTime: STAMP,
    intervals: [{ id: 0, payloads: [{ type: 'PRICE', values: [0.1] }] }],
    ...fields,
  });
}

export function aSubscription(fields: Record<string, unknown> = {}): Subscription {
  return hydrate<Subscription>('SUBSCRIPTION', {
    id: newObjectId(),
    objectType: 'SUBSCRIPTION',
    clientID: 'client-1',
    clientName: 'ven-1',
    createdDateTime: STAMP,
    modificationDateTime: STAMP,
    objectOperations: [{ objects: ['EVENT'], operations: ['CREATE'], callbackUrl: 'https://example.com/cb' }],
    ...fields,
  });
}

/** Counts the DynamoDB commands a client sends, by command name. */
export function countCommands(client: { middlewareStack: { add: Function } }): Map<string, number> {
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName: string }) => (args: unknown) => {
      counts.set(context.commandName, (counts.get(context.commandName) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'countCommands' },
  );
  return counts;
}
