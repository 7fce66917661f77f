import { writeAll } from '../../../bench/seed';
import type { Report } from '../../../lambdas/core/openadr/types';
import type { DynamoStorage } from '../../../lambdas/core/storage/dynamo/dynamo-storage';
import type { ReportQuery } from '../../../lambdas/core/storage/port';
import { TestDatabase } from '../../support/database';
import { aReport } from '../../support/fixtures';
import { interceptedClient } from '../../support/intercept';

let db: TestDatabase;
beforeAll(async () => (db = await TestDatabase.start()));
afterAll(() => db.stop());

type Filters = Omit<ReportQuery, 'skip' | 'limit'>;

/** Every combination of the given filters, the empty one included. */
function combinations(filters: Filters): Filters[] {
  return Object.entries(filters).reduce<Filters[]>(
    (all, [name, value]) => [...all, ...all.map((combination) => ({ ...combination, [name]: value }))],
    [{}],
  );
}

const SUBJECT = { programID: 'program-1', eventID: 'event-1', clientName: 'meter|1', clientID: 'ven-a' };
const ids = (reports: Report[]) => reports.map((report) => report.id);

describe('report pages across DynamoDB pages', () => {
  const SUBJECT_REPORTS = 1_200;
  let storage: DynamoStorage;
  let subject: string[];
  /** Reports sharing one filter value with the subject's: its program, its client, its clientName. */
  const sharing: Record<string, string[]> = {};

  beforeAll(async () => {
    const tableName = await db.freshTable();
    const subjectReports = Array.from({ length: SUBJECT_REPORTS }, () => aReport(SUBJECT.eventID, SUBJECT.programID, { clientID: SUBJECT.clientID, clientName: SUBJECT.clientName }));
    const groups = {
      programID: () => aReport('event-2', SUBJECT.programID, { clientID: 'ven-b', clientName: 'meter' }),
      clientID: () => aReport('event-3', 'program-2', { clientID: SUBJECT.clientID, clientName: 'meter' }),
      // Its clientID and clientName begin with the subject's, up to the escaped separator.
      clientName: () => aReport('event-4', 'program-3', { clientID: 'ven-a|', clientName: SUBJECT.clientName }),
    };
    const others = Object.entries(groups).flatMap(([filter, make]) => {
      const reports = Array.from({ length: 100 }, make);
      sharing[filter] = ids(reports).sort();
      return reports;
    });
    await writeAll(db.client, tableName, [...subjectReports, ...others]);
    storage = db.storage(tableName);
    subject = ids(subjectReports).sort();
  });

  test('every combination pages through its reports in key order, by id within the subject, also deep and past the end', async () => {
    const filtered = combinations(SUBJECT).filter((filters) => Object.keys(filters).length > 0);
    expect(filtered).toHaveLength(15);
    for (const filters of filtered) {
      const [only] = Object.keys(filters);
      // One filter alone also finds the reports sharing it, which sort after the subject's.
      const expected = Object.keys(filters).length === 1 ? [...subject, ...(sharing[only] ?? [])] : subject;
      for (const [skip, limit] of [
        [0, 50],
        [990, 20],
        [1_000, 50],
        [1_170, 50],
        [1_280, 50],
        [1_300, 50],
      ]) {
        const page = ids(await storage.reports.list({ ...filters, skip, limit }));
        expect({ filters, skip, page }).toEqual({ filters, skip, page: expected.slice(skip, skip + limit) });
      }
    }
  });

  test('a list of everything pages the REPORT partition by id', async () => {
    const last = ids(await storage.reports.list({ skip: 1_450, limit: 50 }));
    expect(last).toEqual([...subject, ...Object.values(sharing).flat()].sort().slice(1_450));
    expect(await storage.reports.list({ skip: 1_500, limit: 50 })).toEqual([]);
  });
});

describe('the cost of report queries', () => {
  const PER_GROUP = 60;
  let tableName: string;
  let itemsRead = 0;
  let storage: DynamoStorage;
  let reportsOfSubjectEvent: number;

  /**
   * Two clients, two clientNames and three events in two programs: every group of reports shares
   * some filter values with the subject's and differs in others. A second round adds as many again.
   */
  async function addReports(): Promise<void> {
    const reports: Report[] = [];
    for (const clientID of [SUBJECT.clientID, 'ven-b']) {
      for (const clientName of [SUBJECT.clientName, 'meter']) {
        for (const [eventID, programID] of [
          [SUBJECT.eventID, SUBJECT.programID],
          ['event-2', SUBJECT.programID],
          ['event-3', 'program-2'],
        ]) {
          for (let index = 0; index < PER_GROUP; index++) reports.push(aReport(eventID, programID, { clientID, clientName }));
        }
      }
    }
    await writeAll(db.client, tableName, reports);
  }

  beforeAll(async () => {
    tableName = await db.freshTable();
    await addReports();
    storage = db.storage(tableName, {
      client: interceptedClient(db.endpoint, async (command, _input, send) => {
        const result = (await send()) as { output?: { ScannedCount?: number } };
        if (command === 'QueryCommand') itemsRead += result.output?.ScannedCount ?? 0;
        return result;
      }),
    });
  });

  async function read(query: ReportQuery): Promise<{ found: number; itemsRead: number }> {
    itemsRead = 0;
    const found = (await storage.reports.list(query)).length;
    return { found, itemsRead };
  }

  const queries = () => [
    ...combinations({ programID: SUBJECT.programID, eventID: SUBJECT.eventID, clientName: SUBJECT.clientName }),
    ...combinations({ programID: SUBJECT.programID, eventID: SUBJECT.eventID, clientName: SUBJECT.clientName }).map((filters) => ({ ...filters, clientID: SUBJECT.clientID })),
  ];

  test('a BL clientName beside an eventID, or a programID beside an eventID, reads no more than that event holds', async () => {
    reportsOfSubjectEvent = 4 * PER_GROUP;
    const late = { eventID: SUBJECT.eventID, clientName: 'meter', skip: 2 * PER_GROUP - 10, limit: 10 };
    const cost = await read(late);
    expect(cost.found).toBe(10);
    expect(cost.itemsRead).toBeGreaterThan(late.skip + late.limit);
    expect(cost.itemsRead).toBeLessThanOrEqual(reportsOfSubjectEvent);
    const otherProgram = await read({ eventID: SUBJECT.eventID, programID: 'program-2', skip: 0, limit: 10 });
    expect(otherProgram).toEqual({ found: 0, itemsRead: expect.any(Number) });
    expect(otherProgram.itemsRead).toBeLessThanOrEqual(reportsOfSubjectEvent);
  });

  test('every other combination, for a BL and for a VEN, reads skip + limit items, however many reports there are', async () => {
    const page = { skip: 7, limit: 13 };
    const costs = async () => {
      const all = [];
      for (const filters of queries()) all.push({ filters, ...(await read({ ...filters, ...page })) });
      return all;
    };
    const before = await costs();
    await addReports();
    const after = await costs();
    expect(after).toEqual(before);
    for (const { filters, found, itemsRead: cost } of before) {
      expect({ filters, found }).toEqual({ filters, found: page.limit });
      // Only a BL's clientName beside an eventID is a filter; here the subject's reports come first in the event's key range.
      expect({ filters, cost }).toEqual({ filters, cost: page.skip + page.limit });
    }
  });
});
