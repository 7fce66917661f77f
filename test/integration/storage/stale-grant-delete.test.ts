/**
 * A VEN's write to a resource checks its ven afresh, not its cached grant: right after a BL gave
 * the ven to another client on another instance, the former owner's writes are refused.
 */import type { Caller } from '../../../lambdas/core/auth/caller';
import { VtnOperations } from '../../../lambdas/core/operations/operations';
import { TestDatabase } from '../../support/database';

let db: TestDatabase;
beforeAll(async () => (db = await TestDatabase.start()));
afterAll(() => db.stop());

const BL = { clientID: 'bl', role: 'BL', scopes: [] } as unknown as Caller;
const VEN1 = { clientID: 'ven-1', role: 'VEN', scopes: [] } as unknown as Caller;
const options = { allowPrivateCallbacks: true, verifyCallback: async () => undefined };

it("a former owner's DELETE right after the BL gave its ven away is 404", async () => {
  const tableName = await db.freshTable();
  const a = new VtnOperations(db.storage(tableName), options);
  const b = new VtnOperations(db.storage(tableName), options);
  const ven = await a.createVen(BL, { objectType: 'BL_VEN_REQUEST', venName: 'v', clientID: 'ven-1' });
  const resource = await a.createResource(BL, { objectType: 'BL_RESOURCE_REQUEST', venID: ven.id, resourceName: 'r', clientID: 'ven-1' });
  expect((await b.listResources(VEN1, { skip: 0, limit: 10 } as never)).map((r) => r.id)).toEqual([resource.id]); // B's grant cache warm

  await a.updateVen(BL, ven.id as string, { objectType: 'BL_VEN_REQUEST', venName: 'v', clientID: 'ven-2' }); // BL on A: ven now ven-2's
  const outcome = await b.deleteResource(VEN1, resource.id as string).then(() => 'deleted', (error: Error) => error.constructor.name);
  expect(outcome).toBe('NotFoundError');
}, 30_000);

it("a former owner's PUT right after the BL gave its ven away is refused", async () => {
  const tableName = await db.freshTable();
  const a = new VtnOperations(db.storage(tableName), options);
  const b = new VtnOperations(db.storage(tableName), options);
  const ven = await a.createVen(BL, { objectType: 'BL_VEN_REQUEST', venName: 'v', clientID: 'ven-1' });
  const resource = await a.createResource(BL, { objectType: 'BL_RESOURCE_REQUEST', venID: ven.id, resourceName: 'r', clientID: 'ven-1' });
  await b.listResources(VEN1, { skip: 0, limit: 10 } as never);
  await a.updateVen(BL, ven.id as string, { objectType: 'BL_VEN_REQUEST', venName: 'v', clientID: 'ven-2' });
  const outcome = await b
    .updateResource(VEN1, resource.id as string, { objectType: 'VEN_RESOURCE_REQUEST', venID: ven.id, resourceName: 'renamed-by-ven-1' })
    .then(() => 'updated', (error: Error) => error.constructor.name);
  expect(outcome).not.toBe('updated');
}, 30_000);
