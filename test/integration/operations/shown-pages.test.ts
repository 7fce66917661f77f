/**
 * An event page a storage instance has cached is answered from the wire form and JSON text made
 * the first time it was shown, per view: a BL's, or a VEN's by its granted targets. The text
 * follows the page: a write on another instance, once this one learns of it, is in the next answer.
 */
import { jsonText } from '../../../lambdas/core/json-text';
import type { Caller } from '../../../lambdas/core/auth/caller';
import { VtnOperations } from '../../../lambdas/core/operations/operations';
import { TestDatabase } from '../../support/database';

let db: TestDatabase;
beforeAll(async () => (db = await TestDatabase.start()));
afterAll(() => db.stop());

const BL = { clientID: 'bl', role: 'BL', scopes: [] } as unknown as Caller;
const VEN1 = { clientID: 'ven-1', role: 'VEN', scopes: [] } as unknown as Caller;
const VEN2 = { clientID: 'ven-2', role: 'VEN', scopes: [] } as unknown as Caller;
const options = { allowPrivateCallbacks: true, verifyCallback: async () => undefined };
const page = { skip: 0, limit: 50 };
const eventBody = (programID: unknown, eventName: string) => ({
  programID,
  eventName,
  targets: ['group-1', 'secret-group'],
  intervalPeriod: { start: '2030-07-01T17:00:00Z', duration: 'PT1H' },
  intervals: [{ id: 0, payloads: [{ type: 'PRICE', values: [0.31] }] }],
});

it("answers a cached page again with the text it made, and another instance's update once it shows", async () => {
  const tableName = await db.freshTable();
  // Coherence checked on every request: B's write shows on A at A's next list.
  const a = new VtnOperations(db.storage(tableName, { coherenceMs: 0 }), options);
  const b = new VtnOperations(db.storage(tableName, { coherenceMs: 0 }), options);
  const program = await a.createProgram(BL, { programName: 'p' });
  const event = await a.createEvent(BL, eventBody(program.id, 'before'));

  const first = await a.listEvents(BL, page);
  const again = await a.listEvents(BL, page);
  expect(again).toBe(first);
  expect(JSON.parse(jsonText(again))).toEqual([event]);
  expect(Object.isFrozen(first[0])).toBe(true);

  await b.updateEvent(BL, event.id as string, eventBody(program.id, 'after'));
  const afterUpdate = await a.listEvents(BL, page);
  expect(afterUpdate).not.toBe(first);
  expect(JSON.parse(jsonText(afterUpdate)).map((shown: { eventName: string }) => shown.eventName)).toEqual(['after']);
}, 30_000);

it("never answers one reader's view of a page to another", async () => {
  const tableName = await db.freshTable();
  const operations = new VtnOperations(db.storage(tableName), options);
  const program = await operations.createProgram(BL, { programName: 'p' });
  await operations.createVen(BL, { objectType: 'BL_VEN_REQUEST', venName: 'v1', clientID: 'ven-1', targets: ['group-1'] });
  await operations.createVen(BL, { objectType: 'BL_VEN_REQUEST', venName: 'v2', clientID: 'ven-2', targets: ['group-1'] });
  await operations.createEvent(BL, eventBody(program.id, 'e'));

  const targetsIn = async (caller: Caller) => JSON.parse(jsonText(await operations.listEvents(caller, page))).map((shown: { targets: string[] }) => shown.targets);
  for (let round = 0; round < 2; round++) {
    expect(await targetsIn(BL)).toEqual([['group-1', 'secret-group']]);
    expect(await targetsIn(VEN1)).toEqual([['group-1']]);
    expect(await targetsIn(VEN2)).toEqual([['group-1']]);
  }
}, 30_000);

it('keeps one view per reader of a page, even when storage hands every reader the same page', async () => {
  const tableName = await db.freshTable();
  const storage = db.storage(tableName);
  const program = await new VtnOperations(storage, options).createProgram(BL, { programName: 'p' });
  await new VtnOperations(storage, options).createEvent(BL, eventBody(program.id, 'e'));
  const shared = await storage.events.list(page);
  const grants: Record<string, string[]> = { 'ven-1': ['group-1'], 'ven-2': ['secret-group'] };
  const sameForAll = { events: { list: async () => shared }, grantOf: async (clientID: string) => ({ targets: grants[clientID] }) };
  const operations = new VtnOperations(sameForAll as never, options);

  const targetsIn = async (caller: Caller) => JSON.parse(jsonText(await operations.listEvents(caller, page)))[0].targets;
  expect(await targetsIn(VEN1)).toEqual(['group-1']);
  expect(await targetsIn(VEN2)).toEqual(['secret-group']);
  expect(await targetsIn(BL)).toEqual(['group-1', 'secret-group']);
  expect(await targetsIn(VEN1)).toEqual(['group-1']);
}, 30_000);

it("follows a VEN's grant as another instance moves it: resource targets, ven targets, the ven given to another client", async () => {
  const tableName = await db.freshTable();
  const a = new VtnOperations(db.storage(tableName, { coherenceMs: 0 }), options);
  const b = new VtnOperations(db.storage(tableName, { coherenceMs: 0 }), options);
  const program = await b.createProgram(BL, { programName: 'p' });
  const venRequest = (clientID: string, targets: string[] | null) => ({ objectType: 'BL_VEN_REQUEST', venName: 'v1', clientID, targets });
  const ven = await b.createVen(BL, venRequest('ven-1', ['group-1']));
  await b.createEvent(BL, { ...eventBody(program.id, 'open'), targets: null });
  await b.createEvent(BL, eventBody(program.id, 'shared'));
  await b.createEvent(BL, { ...eventBody(program.id, 'secret'), targets: ['secret-group'] });
  const shownOnA = async (caller: Caller, query = {}) =>
    (JSON.parse(jsonText(await a.listEvents(caller, { ...page, ...query }))) as { eventName: string; targets?: string[] }[])
      .map((shown) => `${shown.eventName}:${(shown.targets ?? []).join('+')}`)
      .sort();
  expect(await shownOnA(VEN1)).toEqual(['open:', 'shared:group-1']);
  expect(await shownOnA(BL)).toEqual(['open:', 'secret:secret-group', 'shared:group-1+secret-group']);

  const resourceRequest = (targets: string[]) => ({ objectType: 'BL_RESOURCE_REQUEST', resourceName: 'r', venID: ven.id, clientID: 'ven-1', targets });
  const resource = await b.createResource(BL, resourceRequest(['secret-group']));
  expect(await shownOnA(VEN1)).toEqual(['open:', 'secret:secret-group', 'shared:group-1+secret-group']);
  await b.updateResource(BL, resource.id as string, resourceRequest([]));
  expect(await shownOnA(VEN1)).toEqual(['open:', 'shared:group-1']);
  expect(await shownOnA(VEN1, { targets: ['secret-group'] })).toEqual([]);

  await b.updateVen(BL, ven.id as string, venRequest('ven-2', ['group-1']));
  expect(await shownOnA(VEN1)).toEqual(['open:']);
  expect(await shownOnA(VEN2)).toEqual(['open:', 'shared:group-1']);
  await b.updateVen(BL, ven.id as string, venRequest('ven-1', null));
  expect(await shownOnA(VEN1)).toEqual(['open:']);
  expect(await shownOnA(VEN2)).toEqual(['open:']);
  expect(await shownOnA(VEN1, { skip: 1 })).toEqual([]);
}, 30_000);
