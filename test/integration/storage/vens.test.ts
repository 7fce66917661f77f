/**
 * Vens and resources against a real database: the five verbs, each list filter with skip and
 * limit, the uniqueness of venName, clientID and resourceName (and names freed again), a ven's
 * delete taking its resources, and the grant of a client.
 */
import { BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';
import { ConflictError, InvalidInputError, NotFoundError } from '../../../lambdas/core/errors';
import type { Resource, Ven } from '../../../lambdas/core/openadr/types';
import type { DynamoStorage } from '../../../lambdas/core/storage/dynamo/dynamo-storage';
import { toItem } from '../../../lambdas/core/storage/dynamo/item-codec';
import { localDynamoClient } from '../../../local/embedded-dynamodb';
import { TestDatabase } from '../../support/database';
import { recordCommands } from '../../support/fixtures';
import { partition } from '../../support/intercept';
import { aResource, aVen } from '../../support/ven-fixtures';

let db: TestDatabase;
beforeAll(async () => (db = await TestDatabase.start()));
afterAll(() => db.stop());

const page = { skip: 0, limit: 50 };
const ids = (objects: { id: string }[]) => objects.map((object) => object.id);

async function fresh(): Promise<{ tableName: string; storage: DynamoStorage }> {
  const tableName = await db.freshTable();
  return { tableName, storage: db.storage(tableName) };
}

/** Live items of a partition (tombstones left out). */
async function live(tableName: string, objectType: string) {
  return (await partition(db.client, tableName, objectType)).filter((item) => !item.deletedAt);
}

/** Writes resources straight into the table (25 per request), for lists across many pages. */
async function bulkResources(tableName: string, resources: Resource[]): Promise<void> {
  for (let offset = 0; offset < resources.length; offset += 25) {
    const batch = resources.slice(offset, offset + 25).map((resource) => ({ PutRequest: { Item: toItem(resource, 1) } }));
    await db.client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: batch } }));
  }
}

describe('vens', () => {
  it('creates, reads, updates and deletes a ven', async () => {
    const { storage } = await fresh();
    const ven = await storage.vens.create(aVen({ venName: 'Alpha', clientID: 'c-1', targets: ['t1'] }));
    await expect(storage.vens.get(ven.id)).resolves.toMatchObject({ venName: 'Alpha', clientID: 'c-1', targets: ['t1'] });
    await storage.vens.update(ven.id, (current) => ({ ...current, targets: ['t2'], attributes: [{ type: 'X', values: [1] }] }));
    await expect(storage.vens.get(ven.id)).resolves.toMatchObject({ targets: ['t2'], attributes: [{ type: 'X', values: [1] }] });
    await expect(storage.vens.delete(ven.id)).resolves.toMatchObject({ id: ven.id });
    await expect(storage.vens.get(ven.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(storage.vens.delete(ven.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(storage.vens.update(ven.id, (current) => current)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('lists by venName, clientID and targets, with skip and limit', async () => {
    const { storage } = await fresh();
    const vens: Ven[] = [];
    for (let n = 0; n < 6; n++) {
      vens.push(await storage.vens.create(aVen({ venName: `ven-${n}`, clientID: `c-${n}`, targets: n % 2 ? ['odd'] : ['even', `only-${n}`] })));
    }
    expect(ids(await storage.vens.list(page))).toEqual(ids(vens));
    expect(ids(await storage.vens.list({ skip: 2, limit: 3 }))).toEqual(ids(vens.slice(2, 5)));
    expect(ids(await storage.vens.list({ skip: 0, limit: 0 }))).toEqual([]);
    expect(ids(await storage.vens.list({ ...page, venName: 'ven-3' }))).toEqual([vens[3].id]);
    expect(ids(await storage.vens.list({ ...page, venName: 'nobody' }))).toEqual([]);
    expect(ids(await storage.vens.list({ ...page, clientID: 'c-4' }))).toEqual([vens[4].id]);
    expect(ids(await storage.vens.list({ ...page, clientID: 'c-4', venName: 'ven-3' }))).toEqual([]);
    expect(ids(await storage.vens.list({ ...page, clientID: 'c-4', targets: ['odd'] }))).toEqual([]);
    expect(ids(await storage.vens.list({ skip: 1, limit: 5, clientID: 'c-4' }))).toEqual([]);
    expect(ids(await storage.vens.list({ ...page, targets: ['odd'] }))).toEqual(ids([vens[1], vens[3], vens[5]]));
    expect(ids(await storage.vens.list({ skip: 1, limit: 1, targets: ['odd'] }))).toEqual([vens[3].id]);
    expect(ids(await storage.vens.list({ ...page, targets: ['only-2', 'only-4'] }))).toEqual(ids([vens[2], vens[4]]));
  });

  it('finds a client’s ven, and follows a BL changing its clientID', async () => {
    const { storage } = await fresh();
    const ven = await storage.vens.create(aVen({ clientID: 'c-1' }));
    await expect(storage.vens.findByClient('c-1')).resolves.toMatchObject({ id: ven.id });
    await expect(storage.vens.findByClient('c-2')).resolves.toBeUndefined();
    await storage.vens.update(ven.id, (current) => ({ ...current, clientID: 'c-2' }));
    await expect(storage.vens.findByClient('c-1')).resolves.toBeUndefined();
    await expect(storage.vens.findByClient('c-2')).resolves.toMatchObject({ id: ven.id });
    // The old clientID is free again.
    await expect(storage.vens.create(aVen({ clientID: 'c-1' }))).resolves.toBeDefined();
  });

  it('refuses a second ven with a venName, on create and on rename, and frees names after delete and rename', async () => {
    const { storage } = await fresh();
    const alpha = await storage.vens.create(aVen({ venName: 'Alpha' }));
    const beta = await storage.vens.create(aVen({ venName: 'Beta' }));
    await expect(storage.vens.create(aVen({ venName: 'Alpha' }))).rejects.toThrow(new ConflictError(`venName "Alpha" is already used by another ven`));
    await expect(storage.vens.update(beta.id, (current) => ({ ...current, venName: 'Alpha' }))).rejects.toBeInstanceOf(ConflictError);
    await expect(storage.vens.get(beta.id)).resolves.toMatchObject({ venName: 'Beta' });

    await storage.vens.update(alpha.id, (current) => ({ ...current, venName: 'Gamma' }));
    const newAlpha = await storage.vens.create(aVen({ venName: 'Alpha' }));
    await storage.vens.delete(beta.id);
    await storage.vens.create(aVen({ venName: 'Beta' }));
    expect((await storage.vens.list(page)).map((ven) => ven.venName).sort()).toEqual(['Alpha', 'Beta', 'Gamma']);
    expect(ids(await storage.vens.list({ ...page, venName: 'Alpha' }))).toEqual([newAlpha.id]);
  });

  it('refuses a second ven for a clientID, on create and on update, and frees it after delete', async () => {
    const { tableName, storage } = await fresh();
    const first = await storage.vens.create(aVen({ clientID: 'c-1', venName: 'First' }));
    const other = await storage.vens.create(aVen({ clientID: 'c-2' }));
    await expect(storage.vens.create(aVen({ clientID: 'c-1', venName: 'Second' }))).rejects.toThrow(`clientID "c-1" is already used by another ven`);
    // The refused create gave back the venName it had claimed first.
    expect((await partition(db.client, tableName, 'VEN_NAME')).map((claim) => claim.id.S)).not.toContain('Second');
    await expect(storage.vens.update(other.id, (current) => ({ ...current, clientID: 'c-1' }))).rejects.toBeInstanceOf(ConflictError);
    await storage.vens.delete(first.id);
    await expect(storage.vens.update(other.id, (current) => ({ ...current, clientID: 'c-1' }))).resolves.toMatchObject({ clientID: 'c-1' });
    await expect(storage.vens.findByClient('c-1')).resolves.toMatchObject({ id: other.id });
    expect((await partition(db.client, tableName, 'VEN_CLIENT')).map((claim) => claim.id.S)).toEqual(['c-1']);
  });
});

describe('resources', () => {
  it('creates, reads, updates and deletes a resource of an existing ven only', async () => {
    const { storage } = await fresh();
    const ven = await storage.vens.create(aVen());
    const resource = await storage.resources.create(aResource(ven, { resourceName: 'meter', targets: ['t1'] }));
    await expect(storage.resources.get(resource.id)).resolves.toMatchObject({ venID: ven.id, resourceName: 'meter', targets: ['t1'] });
    await storage.resources.update(resource.id, (current) => ({ ...current, resourceName: 'battery' }));
    await expect(storage.resources.get(resource.id)).resolves.toMatchObject({ resourceName: 'battery' });
    await storage.resources.delete(resource.id);
    await expect(storage.resources.get(resource.id)).rejects.toBeInstanceOf(NotFoundError);

    const orphan = storage.resources.create(aResource({ ...ven, id: 'no-such-ven' }));
    await expect(orphan).rejects.toBeInstanceOf(InvalidInputError);
    await expect(orphan).rejects.toMatchObject({ issues: [{ field: 'venID' }] });
    const moved = storage.resources.create(aResource(ven)).then((created) => storage.resources.update(created.id, (current) => ({ ...current, venID: 'no-such-ven' })));
    await expect(moved).rejects.toMatchObject({ issues: [{ field: 'venID' }] });
  });

  it('keeps resourceName unique within its ven only, and frees names after delete and rename', async () => {
    const { tableName, storage } = await fresh();
    const one = await storage.vens.create(aVen());
    const two = await storage.vens.create(aVen());
    const meter = await storage.resources.create(aResource(one, { resourceName: 'meter' }));
    await expect(storage.resources.create(aResource(one, { resourceName: 'meter' }))).rejects.toThrow(`resourceName "meter" is already used by another resource`);
    await expect(storage.resources.create(aResource(two, { resourceName: 'meter' }))).resolves.toBeDefined();
    const battery = await storage.resources.create(aResource(one, { resourceName: 'battery' }));
    await expect(storage.resources.update(battery.id, (current) => ({ ...current, resourceName: 'meter' }))).rejects.toBeInstanceOf(ConflictError);
    // Moving to a ven where the name is taken is a conflict too.
    await expect(storage.resources.update(meter.id, (current) => ({ ...current, venID: two.id }))).rejects.toBeInstanceOf(ConflictError);

    await storage.resources.update(meter.id, (current) => ({ ...current, resourceName: 'old-meter' }));
    await expect(storage.resources.create(aResource(one, { resourceName: 'meter' }))).resolves.toBeDefined();
    await storage.resources.delete(battery.id);
    await expect(storage.resources.create(aResource(one, { resourceName: 'battery' }))).resolves.toBeDefined();
    expect((await partition(db.client, tableName, 'RESOURCE_NAME')).map((claim) => claim.id.S).sort()).toEqual(
      [`${one.id}#battery`, `${one.id}#meter`, `${one.id}#old-meter`, `${two.id}#meter`].sort(),
    );
  });

  it('lists by venID, resourceName and targets, with skip and limit, across DynamoDB pages', async () => {
    const { tableName, storage } = await fresh();
    const big = await storage.vens.create(aVen());
    const small = await storage.vens.create(aVen());
    const many = Array.from({ length: 1_200 }, (_, n) => aResource(big, { resourceName: `r-${n}`, targets: n % 100 === 7 ? ['rare'] : ['common'] }));
    await bulkResources(tableName, many);
    const few = [await storage.resources.create(aResource(small, { resourceName: 'r-7', targets: ['rare'] })), await storage.resources.create(aResource(small))];

    expect(ids(await storage.resources.list({ venID: big.id, skip: 0, limit: 1_200 }))).toEqual(ids(many));
    expect(ids(await storage.resources.list({ venID: big.id, skip: 1_100, limit: 50 }))).toEqual(ids(many.slice(1_100, 1_150)));
    expect(ids(await storage.resources.list({ venID: big.id, skip: 1_190, limit: 50 }))).toEqual(ids(many.slice(1_190)));
    expect(ids(await storage.resources.list({ venID: small.id, ...page }))).toEqual(ids(few));
    const rare = many.filter((resource) => resource.targets?.includes('rare'));
    expect(ids(await storage.resources.list({ venID: big.id, targets: ['rare'], skip: 2, limit: 5 }))).toEqual(ids(rare.slice(2, 7)));
    expect(ids(await storage.resources.list({ targets: ['rare'], skip: 0, limit: 100 }))).toEqual(ids([...rare, few[0]]));
    expect(ids(await storage.resources.list({ resourceName: 'r-7', ...page }))).toEqual(ids([many[7], few[0]]));
    expect(ids(await storage.resources.list({ resourceName: 'r-7', skip: 1, limit: 1 }))).toEqual([few[0].id]);
    expect(ids(await storage.resources.list({ venID: small.id, resourceName: 'r-7', ...page }))).toEqual([few[0].id]);
    expect(ids(await storage.resources.list({ venID: small.id, resourceName: 'r-7', targets: ['common'], ...page }))).toEqual([]);
    expect(ids(await storage.resources.list({ venID: small.id, resourceName: 'r-8', ...page }))).toEqual([]);
    expect(await storage.resources.list({ skip: 1_000, limit: 300 })).toHaveLength(202);
  });

  it('deletes a ven’s resources and frees their names with it', async () => {
    const { tableName, storage } = await fresh();
    const ven = await storage.vens.create(aVen({ venName: 'Doomed', clientID: 'c-1' }));
    const kept = await storage.vens.create(aVen());
    for (let n = 0; n < 30; n++) await storage.resources.create(aResource(ven, { resourceName: `r-${n}` }));
    const survivor = await storage.resources.create(aResource(kept, { resourceName: 'r-0' }));

    await storage.vens.delete(ven.id);
    expect(ids(await storage.resources.list({ skip: 0, limit: 100 }))).toEqual([survivor.id]);
    expect(await live(tableName, 'RESOURCE')).toHaveLength(1);
    expect((await partition(db.client, tableName, 'RESOURCE_NAME')).map((claim) => claim.id.S)).toEqual([`${kept.id}#r-0`]);
    expect(await partition(db.client, tableName, 'VEN_NAME')).toHaveLength(1);
    await expect(storage.vens.create(aVen({ venName: 'Doomed', clientID: 'c-1' }))).resolves.toBeDefined();
  });

  it('hides the resources of a deleted ven whose purge was left for later, and the next ven write purges them', async () => {
    const tableName = await db.freshTable();
    const storage = db.storage(tableName);
    const ven = await storage.vens.create(aVen());
    const kept = await storage.vens.create(aVen());
    const orphans = [await storage.resources.create(aResource(ven)), await storage.resources.create(aResource(ven, { resourceName: 'meter' }))];
    const survivor = await storage.resources.create(aResource(kept, { resourceName: 'meter' }));

    // A delete with no time left for its purge (a function cut short after the delete).
    await db.storage(tableName, { purgeBudgetMs: 0 }).vens.delete(ven.id);
    expect((await live(tableName, 'RESOURCE')).length).toBe(3);
    expect(ids(await storage.resources.list(page))).toEqual([survivor.id]);
    expect(ids(await storage.resources.list({ ...page, venID: ven.id }))).toEqual([]);
    expect(ids(await storage.resources.list({ ...page, venID: ven.id, resourceName: 'meter' }))).toEqual([]);
    expect(ids(await storage.resources.list({ ...page, resourceName: 'meter' }))).toEqual([survivor.id]);
    await expect(storage.resources.get(orphans[0].id)).rejects.toBeInstanceOf(NotFoundError);

    await storage.vens.create(aVen());
    expect((await live(tableName, 'RESOURCE')).map((item) => item.id.S)).toEqual([survivor.id]);
    expect((await live(tableName, 'RESOURCE_NAME')).map((claim) => claim.id.S)).toEqual([`${kept.id}#meter`]);
  });
});

describe('grants', () => {
  it('grants the union of the ven’s and its resources’ targets, and nothing to a client without a ven', async () => {
    const { storage } = await fresh();
    await expect(storage.grantOf('c-1')).resolves.toEqual({ targets: [] });
    const ven = await storage.vens.create(aVen({ clientID: 'c-1', targets: ['a', 'b'] }));
    await storage.resources.create(aResource(ven, { targets: ['b', 'c'] }));
    await storage.resources.create(aResource(ven, { targets: ['c', 'd'] }));
    await storage.resources.create(aResource(ven));
    const other = await storage.vens.create(aVen({ clientID: 'c-2', targets: ['z'] }));
    await storage.resources.create(aResource(other, { targets: ['y'] }));

    await expect(storage.grantOf('c-1')).resolves.toEqual({ venID: ven.id, targets: ['a', 'b', 'c', 'd'] });
    await expect(storage.grantOf('c-2')).resolves.toEqual({ venID: other.id, targets: ['z', 'y'] });
    await storage.vens.delete(ven.id);
    await expect(storage.grantOf('c-1')).resolves.toEqual({ targets: [] });
  });

  it('shows a BL’s change of targets on another instance within the coherence bound, and costs no request when warm', async () => {
    const tableName = await db.freshTable();
    const coherenceMs = 200;
    const client = localDynamoClient(db.endpoint);
    const reader = db.storage(tableName, { client, coherenceMs });
    const writer = db.storage(tableName, { coherenceMs });
    const ven = await writer.vens.create(aVen({ clientID: 'c-1', targets: ['a'] }));
    const resource = await writer.resources.create(aResource(ven, { targets: ['b'] }));
    await expect(reader.grantOf('c-1')).resolves.toEqual({ venID: ven.id, targets: ['a', 'b'] });

    const recorder = recordCommands(client);
    await reader.grantOf('c-1');
    expect(recorder.count()).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, coherenceMs + 20));
    await reader.grantOf('c-1');
    expect(recorder.calls.map((call) => call.name)).toEqual(['BatchGetItemCommand']);
    recorder.stop();

    await writer.resources.update(resource.id, (current) => ({ ...current, targets: ['c'] }));
    await new Promise((resolve) => setTimeout(resolve, coherenceMs + 20));
    await expect(reader.grantOf('c-1')).resolves.toEqual({ venID: ven.id, targets: ['a', 'c'] });
    await writer.vens.update(ven.id, (current) => ({ ...current, targets: ['x'] }));
    await new Promise((resolve) => setTimeout(resolve, coherenceMs + 20));
    await expect(reader.grantOf('c-1')).resolves.toEqual({ venID: ven.id, targets: ['x', 'c'] });
    // A ven handed to another client moves its grant with it.
    await writer.vens.update(ven.id, (current) => ({ ...current, clientID: 'c-2' }));
    await new Promise((resolve) => setTimeout(resolve, coherenceMs + 20));
    await expect(reader.grantOf('c-1')).resolves.toEqual({ targets: [] });
    await expect(reader.grantOf('c-2')).resolves.toEqual({ venID: ven.id, targets: ['x', 'c'] });
    client.destroy();
  });
});
