import { BatchWriteItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Temporal } from 'temporal-polyfill';
import { newObjectId } from '../lambdas/core/ids';
import { hydrate } from '../lambdas/core/openadr/temporal-fields';
import { EVENT_PROGRAM, SUBSCRIBER_ROLE, type Program, type Report, type StoredObject, type Subscription, type Ven, type VtnEvent } from '../lambdas/core/openadr/types';
import type { VtnStorage } from '../lambdas/core/storage/port';
import { entryItems } from '../lambdas/core/storage/dynamo/event-targets';
import { toItem } from '../lambdas/core/storage/dynamo/item-codec';

export interface DataSetSize {
  programs: number;
  events: number;
  subscriptions: number;
  /** Days of the window before and after now; 182 and 183 by default. */
  window?: { pastDays: number; futureDays: number };
  /** Create events in start order, as history accrues, instead of in random order. */
  chronological?: boolean;
}

export interface DataSet {
  programIDs: string[];
  eventIDs: string[];
  /** The program of each event, by event id. */
  programOf: Map<string, string>;
  /** The window the events' starts are spread over. */
  from: Temporal.Instant;
  to: Temporal.Instant;
}

const GROUPS = Array.from({ length: 10 }, (_, index) => `feeder-${index}`);

/** A small deterministic generator, so that every run seeds the same shapes. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * A realistic data set, written straight to the table through the item codec (the API would
 * only be slower at it): programs with payload descriptors, events spread over a year around
 * now with hourly price intervals, most targeted at one or two feeder groups, and
 * subscriptions, most of them to one program's events.
 */
export async function seed(client: DynamoDBClient, tableName: string, size: DataSetSize, callbackBase = 'https://ven.example.com'): Promise<DataSet> {
  const next = random(42);
  const pick = <T>(values: T[]) => values[Math.floor(next() * values.length)];
  const now = Temporal.Now.instant();
  const from = now.subtract({ hours: 24 * (size.window?.pastDays ?? 182) });
  const to = now.add({ hours: 24 * (size.window?.futureDays ?? 183) });
  const stamp = now.toString();

  const programs = Array.from({ length: size.programs }, (_, index) =>
    hydrate<Program>('PROGRAM', {
      id: newObjectId(),
      objectType: 'PROGRAM',
      createdDateTime: stamp,
      modificationDateTime: stamp,
      programName: `program-${index}`,
      payloadDescriptors: [{ objectType: 'EVENT_PAYLOAD_DESCRIPTOR', payloadType: 'PRICE', units: 'KWH', currency: 'USD' }],
      targets: index % 5 === 0 ? null : [pick(GROUPS)],
    }),
  );

  const spanSeconds = to.epochMilliseconds / 1000 - from.epochMilliseconds / 1000;
  const events = Array.from({ length: size.events }, (_, index) => {
    const offset = size.chronological ? (index + next()) / size.events : next();
    const start = from.add({ seconds: Math.floor(offset * spanSeconds) });
    const intervals = Array.from({ length: 4 }, (_, id) => ({ id, payloads: [{ type: 'PRICE', values: [Math.round(next() * 5000) / 10000] }] }));
    const targeted = next() < 0.8;
    return hydrate<VtnEvent>('EVENT', {
      id: newObjectId(),
      objectType: 'EVENT',
      createdDateTime: stamp,
      modificationDateTime: stamp,
      programID: programs[index % programs.length].id,
      eventName: `event-${index}`,
      priority: index % 3,
      targets: targeted ? [...new Set([pick(GROUPS), pick(GROUPS)])] : undefined,
      intervalPeriod: { start: start.toString(), duration: 'PT1H' },
      intervals,
    });
  });

  const subscriptions = Array.from({ length: size.subscriptions }, (_, index) => {
    const subscription = hydrate<Subscription>('SUBSCRIPTION', {
      id: newObjectId(),
      objectType: 'SUBSCRIPTION',
      createdDateTime: stamp,
      modificationDateTime: stamp,
      clientID: 'anonymous',
      clientName: `ven-${index}`,
      programID: index % 10 === 0 ? undefined : programs[index % programs.length].id,
      objectOperations: [
        {
          objects: index % 4 === 0 ? ['PROGRAM', 'EVENT'] : ['EVENT'],
          operations: ['CREATE', 'UPDATE', 'DELETE'],
          callbackUrl: `${callbackBase}/ven-${index}/openadr/callback`,
          bearerToken: `token-${index}`,
        },
      ],
      targets: [pick(GROUPS)],
    });
    // The anonymous caller (authentication off) is a BL.
    subscription[SUBSCRIBER_ROLE] = 'BL';
    return subscription;
  });

  await writeAll(client, tableName, [...programs, ...events, ...subscriptions]);
  return {
    programIDs: programs.map((program) => program.id),
    eventIDs: events.map((event) => event.id),
    programOf: new Map(events.map((event) => [event.id, event.programID])),
    from,
    to,
  };
}

/**
 * Writes objects straight through the item codec, with the target entries of events, 25 items
 * to a request, four requests at a time.
 */
export async function writeAll(client: DynamoDBClient, tableName: string, objects: StoredObject[]): Promise<void> {
  const now = Date.now();
  const items = objects.flatMap((object) => {
    const item = toItem(object, 1);
    return object.objectType === 'EVENT' ? [...entryItems(item, 1, now), item] : [item];
  });
  const batches: (typeof items)[] = [];
  for (let offset = 0; offset < items.length; offset += 25) batches.push(items.slice(offset, offset + 25));
  let nextBatch = 0;
  const worker = async () => {
    while (nextBatch < batches.length) {
      let requests = batches[nextBatch++].map((item) => ({ PutRequest: { Item: item } }));
      while (requests.length > 0) {
        const result = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: requests } }));
        requests = (result.UnprocessedItems?.[tableName] ?? []) as typeof requests;
      }
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
}

/** The client id of the seeded ven `index`. */
export const benchVenClient = (index: number) => `ven-bench-${index}`;

/**
 * Vens through the storage port (their names and clients are claimed, as the API would): ven
 * `i` belongs to client `ven-bench-<i>` and is granted its own target `ven-<i>` and one feeder
 * group, as a utility would target both one site and a region.
 */
export async function seedVens(storage: VtnStorage, count: number): Promise<void> {
  const stamp = Temporal.Now.instant().toString();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      await storage.vens.create(
        hydrate<Ven>('VEN', {
          id: newObjectId(),
          objectType: 'VEN',
          createdDateTime: stamp,
          modificationDateTime: stamp,
          clientID: benchVenClient(index),
          venName: `bench-ven-${index}`,
          targets: [`ven-${index}`, GROUPS[index % GROUPS.length]],
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/**
 * One VEN's quarter-hourly reports: `count` reports by `clientID`, one per event in turn (a year
 * of them is 35,000), each with one resource and one reading.
 */
export async function seedReports(client: DynamoDBClient, tableName: string, data: DataSet, clientID: string, count: number): Promise<void> {
  const stamp = Temporal.Now.instant().toString();
  const reports = Array.from({ length: count }, (_, index) => {
    const eventID = data.eventIDs[index % data.eventIDs.length];
    const report = hydrate<Report>('REPORT', {
      id: newObjectId(),
      objectType: 'REPORT',
      createdDateTime: stamp,
      modificationDateTime: stamp,
      clientID,
      clientName: `${clientID}-gateway`,
      eventID,
      reportName: `usage-${index}`,
      resources: [{ resourceName: 'meter', intervalPeriod: { start: stamp, duration: 'PT15M' }, intervals: [{ id: 0, payloads: [{ type: 'USAGE', values: [index / 100] }] }] }],
    });
    report[EVENT_PROGRAM] = data.programOf.get(eventID) as string;
    return report;
  });
  await writeAll(client, tableName, reports);
}
