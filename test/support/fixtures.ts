import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { newObjectId } from '../../lambdas/core/ids';
import { hydrate } from '../../lambdas/core/openadr/temporal-fields';
import { EVENT_PROGRAM, type Program, type Report, type Subscription, type VtnEvent } from '../../lambdas/core/openadr/types';

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

/** A report about `eventID`, written while that event was in `programID`. */
export function aReport(eventID: string, programID: string, fields: Record<string, unknown> = {}): Report {
  const report = hydrate<Report>('REPORT', {
    id: newObjectId(),
    objectType: 'REPORT',
    clientID: 'client-1',
    clientName: 'ven-1',
    eventID,
    createdDateTime: STAMP,
    modificationDateTime: STAMP,
    resources: [{ resourceName: 'meter', intervals: [{ id: 0, payloads: [{ type: 'USAGE', values: [1.5] }] }] }],
    ...fields,
  });
  report[EVENT_PROGRAM] = programID;
  return report;
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

export interface CommandRecorder {
  calls: { name: string; input: Record<string, unknown> }[];
  count(name?: string): number;
  clear(): void;
  stop(): void;
}

let recorderCounter = 0;

/** Records the DynamoDB commands a client sends (name and input) until stopped. */
export function recordCommands(client: DynamoDBClient): CommandRecorder {
  const name = `recordCommands${++recorderCounter}`;
  const calls: CommandRecorder['calls'] = [];
  client.middlewareStack.add(
    (next, context) => (args) => {
      calls.push({ name: context.commandName as string, input: args.input as Record<string, unknown> });
      return next(args);
    },
    { step: 'initialize', name },
  );
  return {
    calls,
    count: (command) => calls.filter((call) => command === undefined || call.name === command).length,
    clear: () => calls.splice(0, calls.length),
    stop: () => client.middlewareStack.remove(name),
  };
}
