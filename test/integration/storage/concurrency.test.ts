import { PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { ConflictError, NotFoundError } from '../../../lambdas/core/errors';
import type { Program } from '../../../lambdas/core/openadr/types';
import { DynamoStorage } from '../../../lambdas/core/storage/dynamo/dynamo-storage';
import { localDynamoClient } from '../../../local/embedded-dynamodb';
import { TestDatabase } from '../../support/database';
import { aProgram, anEvent, recordCommands } from '../../support/fixtures';

let db: TestDatabase;
beforeAll(async () => (db = await TestDatabase.start()));
afterAll(() => db.stop());

/** N storage instances on one table, as N Lambda instances would be. */
async function instances(n: number, options = {}): Promise<DynamoStorage[]> {
  const tableName = await db.freshTable();
  return Array.from({ length: n }, () => db.storage(tableName, options));
}

function outcomes(results: PromiseSettledResult<unknown>[]) {
  return {
    ok: results.filter((r) => r.status === 'fulfilled').length,
    conflicts: results.filter((r) => r.status === 'rejected' && r.reason instanceof ConflictError).length,
    other: results.filter((r) => r.status === 'rejected' && !(r.reason instanceof ConflictError)).map((r) => (r as PromiseRejectedResult).reason),
  };
}

describe('writes under concurrency', () => {
  it('never overwrites on create', async () => {
    const [vtn] = await instances(1);
    const program = await vtn.programs.create(aProgram());
    await expect(vtn.programs.create({ ...program, programName: 'another name' })).rejects.toBeInstanceOf(ConflictError);
    const event = await vtn.events.create(anEvent(program.id, { eventName: 'first' }));
    await expect(vtn.events.create({ ...event, eventName: 'second' })).rejects.toBeInstanceOf(ConflictError);
    expect((await vtn.events.get(event.id)).eventName).toBe('first');
  });

  it('lets exactly one of many concurrent creates claim a programName', async () => {
    const vtns = await instances(8);
    const results = await Promise.allSettled(vtns.map((vtn) => vtn.programs.create(aProgram({ programName: 'ResTOU' }))));
    expect(outcomes(results)).toEqual({ ok: 1, conflicts: 7, other: [] });
    expect((await vtns[0].programs.list({ skip: 0, limit: 50 })).map((p) => p.programName)).toEqual(['ResTOU']);
  });

  it('lets exactly one of many concurrent renames take a name', async () => {
    const vtns = await instances(6);
    const programs: Program[] = [];
    for (const vtn of vtns) programs.push(await vtn.programs.create(aProgram()));
    const results = await Promise.allSettled(
      vtns.map((vtn, i) => vtn.programs.update(programs[i].id, (current) => ({ ...current, programName: 'Shared' }))),
    );
    expect(outcomes(results)).toEqual({ ok: 1, conflicts: 5, other: [] });
    const names = (await vtns[0].programs.list({ skip: 0, limit: 50 })).map((p) => p.programName);
    expect(names.filter((name) => name === 'Shared')).toHaveLength(1);
  });

  it('frees the old name on rename and on delete', async () => {
    const [vtn] = await instances(1);
    const program = await vtn.programs.create(aProgram({ programName: 'Old' }));
    await vtn.programs.update(program.id, (current) => ({ ...current, programName: 'New' }));
    await expect(vtn.programs.create(aProgram({ programName: 'New' }))).rejects.toBeInstanceOf(ConflictError);
    await vtn.programs.create(aProgram({ programName: 'Old' }));
    await vtn.programs.delete(program.id);
    await vtn.programs.create(aProgram({ programName: 'New' }));
  });

  it('keeps a name claimed by a create in flight, and frees it once the lease runs out', async () => {
    let now = Date.now();
    const [vtn] = await instances(1, { clock: () => now, nameClaimLeaseMs: 30_000 });
    const tableName = (vtn as unknown as { gateway: { tableName: string } }).gateway.tableName;
    // A create that claimed the name and then died before writing its program.
    await db.client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { objectType: { S: 'PROGRAM_NAME' }, id: { S: 'Orphaned' }, ownerID: { S: 'never-written' }, claimedAt: { N: String(now) } },
      }),
    );
    await expect(vtn.programs.create(aProgram({ programName: 'Orphaned' }))).rejects.toBeInstanceOf(ConflictError);
    now += 30_001;
    const program = await vtn.programs.create(aProgram({ programName: 'Orphaned' }));
    expect((await vtn.programs.findByName('Orphaned'))?.id).toBe(program.id);
  });

  it('releases the claim when the program write itself fails', async () => {
    const [vtn] = await instances(1);
    const existing = await vtn.programs.create(aProgram());
    // Same id: the program write fails its condition after the name was claimed.
    await expect(vtn.programs.create({ ...existing, programName: 'Fresh' })).rejects.toBeInstanceOf(ConflictError);
    await vtn.programs.create(aProgram({ programName: 'Fresh' }));
  });

  it('reports not found for update and delete of a missing object and never resurrects one', async () => {
    const vtns = await instances(2);
    const program = await vtns[0].programs.create(aProgram());
    await expect(vtns[0].events.update('missing', (e) => e)).rejects.toBeInstanceOf(NotFoundError);
    await expect(vtns[0].events.delete('missing')).rejects.toBeInstanceOf(NotFoundError);
    await expect(vtns[0].programs.update('missing', (p) => p)).rejects.toBeInstanceOf(NotFoundError);

    for (let round = 0; round < 10; round++) {
      const event = await vtns[0].events.create(anEvent(program.id));
      const [updated, deleted] = await Promise.allSettled([
        vtns[0].events.update(event.id, (current) => ({ ...current, eventName: `round ${round}` })),
        vtns[1].events.delete(event.id),
      ]);
      expect(deleted.status).toBe('fulfilled');
      if (updated.status === 'rejected') expect(updated.reason).toBeInstanceOf(NotFoundError);
      await expect(vtns[1].events.get(event.id)).rejects.toBeInstanceOf(NotFoundError);
    }
  });

  it('applies concurrent updates one after another, losing none', async () => {
    const vtns = await instances(4);
    const program = await vtns[0].programs.create(aProgram());
    const event = await vtns[0].events.create(anEvent(program.id, { targets: [] }));
    await Promise.all(
      vtns.map((vtn, i) => vtn.events.update(event.id, (current) => ({ ...current, targets: [...(current.targets ?? []), `t${i}`] }))),
    );
    expect((await vtns[0].events.get(event.id)).targets?.sort()).toEqual(['t0', 't1', 't2', 't3']);
  });

  it('hides a deleted program’s events at once and removes them', async () => {
    const [vtn, other] = await instances(2, { coherenceMs: 0 });
    const program = await vtn.programs.create(aProgram());
    const keep = await vtn.programs.create(aProgram());
    const events = [];
    for (let i = 0; i < 30; i++) events.push(await vtn.events.create(anEvent(i % 3 ? program.id : keep.id)));
    await other.events.list({ skip: 0, limit: 50 }); // warm the other instance's cache
    await vtn.programs.delete(program.id);
    for (const reader of [vtn, other]) {
      const listed = await reader.events.list({ skip: 0, limit: 50 });
      expect(listed.every((e) => e.programID === keep.id)).toBe(true);
      expect(listed).toHaveLength(10);
      await expect(reader.events.get(events[1].id)).rejects.toBeInstanceOf(NotFoundError);
    }
  });

  it('finishes a large purge on a later program delete when the budget runs out', async () => {
    const tableName = await db.freshTable();
    const hurried = db.storage(tableName, { purgeBudgetMs: 0 });
    const big = await hurried.programs.create(aProgram());
    for (let i = 0; i < 230; i++) await hurried.events.create(anEvent(big.id));
    const remaining = async () =>
      (
        await db.client.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: 'programID-index',
            KeyConditionExpression: 'programID = :p',
            ExpressionAttributeValues: { ':p': { S: `EVENT#${big.id}` } },
            Select: 'COUNT',
          }),
        )
      ).Count;

    await hurried.programs.delete(big.id);
    expect(await remaining()).toBeGreaterThan(0);
    expect(await hurried.events.list({ skip: 0, limit: 50 })).toEqual([]);

    const patient = db.storage(tableName, { purgeBudgetMs: 60_000 });
    await patient.programs.delete((await patient.programs.create(aProgram())).id);
    expect(await remaining()).toBe(0);
  });
});

describe('cache coherence across instances', () => {
  it('shows another instance’s writes within the bound, spending one small read per window', async () => {
    let now = 1_000_000;
    const tableName = await db.freshTable();
    const writer = db.storage(tableName, { clock: () => now });
    const readerClient = localDynamoClient(db.endpoint);
    const reads = recordCommands(readerClient);
    const reader = new DynamoStorage({
      client: readerClient,
      tableName,
      programCacheTtlMs: 3_600_000,
      eventCacheTtlMs: 300_000,
      coherenceMs: 1_000,
      clock: () => now,
    });

    const program = await writer.programs.create(aProgram());
    expect(await reader.programs.list({ skip: 0, limit: 50 })).toHaveLength(1);
    expect(await reader.events.list({ skip: 0, limit: 50 })).toHaveLength(0);

    await writer.programs.create(aProgram());
    await writer.events.create(anEvent(program.id));
    reads.clear();
    now += 500; // inside the window: cached answers, no reads at all
    expect(await reader.programs.list({ skip: 0, limit: 50 })).toHaveLength(1);
    expect(await reader.events.list({ skip: 0, limit: 50 })).toHaveLength(0);
    expect(reads.count()).toBe(0);

    now += 501; // the window has passed: one version check, then fresh answers
    expect(await reader.programs.list({ skip: 0, limit: 50 })).toHaveLength(2);
    expect(await reader.events.list({ skip: 0, limit: 50 })).toHaveLength(1);
    expect(reads.count('BatchGetItemCommand')).toBe(1);

    reads.clear();
    now += 1_001; // nothing changed: one check, caches kept
    await reader.programs.list({ skip: 0, limit: 50 });
    await reader.events.list({ skip: 0, limit: 50 });
    expect(reads.calls.map((call) => call.name)).toEqual(['BatchGetItemCommand']);
    readerClient.destroy();
  });
});
