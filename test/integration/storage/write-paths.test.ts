import { ConflictError, InvalidInputError, PayloadTooLargeError } from '../../../lambdas/core/errors';
import { COHERENCE_SHARDS } from '../../../lambdas/core/storage/dynamo/coherence';
import { TestDatabase } from '../../support/database';
import { eventsOf, interceptedClient, partition, throttled, type InterceptedInput } from '../../support/intercept';
import { aProgram, anEvent } from '../../support/fixtures';

let db: TestDatabase;
beforeAll(async () => (db = await TestDatabase.start()));
afterAll(() => db.stop());

const isIndexQuery = (command: string, input: InterceptedInput) => command === 'QueryCommand' && input.IndexName !== undefined;

/** A storage instance whose index queries can be made to fail, as under throttling. */
function storageWithFailingIndexes(tableName: string) {
  let failing = false;
  const vtn = db.storage(tableName, {
    client: interceptedClient(db.endpoint, (command, input, send) => (failing && isIndexQuery(command, input) ? Promise.reject(throttled()) : send())),
  });
  return { vtn, failIndexes: (on: boolean) => (failing = on) };
}

async function table(): Promise<string> {
  return db.freshTable();
}

describe('name claims', () => {
  it('keeps a name protected after two identical renames race', async () => {
    const tableName = await table();
    const [a, b] = [db.storage(tableName), db.storage(tableName)];
    for (let round = 0; round < 5; round++) {
      const program = await a.programs.create(aProgram());
      const target = `renamed-${round}`;
      const results = await Promise.allSettled([a, b].map((vtn) => vtn.programs.update(program.id, (current) => ({ ...current, programName: target }))));
      expect(results.filter((result) => result.status === 'fulfilled').length).toBeGreaterThan(0);
      await expect(a.programs.create(aProgram({ programName: target }))).rejects.toBeInstanceOf(ConflictError);
    }
  });

  it('frees the target name when a rename is refused after validation', async () => {
    const vtn = db.storage(await table());
    const program = await vtn.programs.create(aProgram());
    const huge = 'x'.repeat(400 * 1024);
    await expect(vtn.programs.update(program.id, (current) => ({ ...current, programName: 'Wanted', notes: huge }))).rejects.toBeInstanceOf(PayloadTooLargeError);
    await expect(vtn.programs.create(aProgram({ programName: 'Wanted' }))).resolves.toMatchObject({ programName: 'Wanted' });
  });
});

describe('a write whose answer was lost', () => {
  /** Every write of these commands is applied, its answer lost, and sent again, as the SDK's retry would. */
  function storageLosingAnswers(tableName: string, commands: string[]) {
    return db.storage(tableName, {
      client: interceptedClient(db.endpoint, async (command, _input, send) => {
        if (!commands.includes(command)) return send();
        await send();
        return send();
      }),
    });
  }

  it('counts as done when its retry fails the condition the first attempt met', async () => {
    const tableName = await table();
    const vtn = storageLosingAnswers(tableName, ['PutItemCommand', 'DeleteItemCommand']);
    const program = await vtn.programs.create(aProgram({ programName: 'Once' }));
    const renamed = await vtn.programs.update(program.id, (current) => ({ ...current, programName: 'Twice' }));
    expect(renamed.programName).toBe('Twice');
    const event = await vtn.events.create(anEvent(program.id));
    await vtn.events.update(event.id, (current) => ({ ...current, eventName: 'moved' }));
    await expect(vtn.events.delete(event.id)).resolves.toMatchObject({ id: event.id });

    const plain = db.storage(tableName);
    expect((await plain.programs.get(program.id)).programName).toBe('Twice');
    await expect(plain.programs.create(aProgram({ programName: 'Twice' }))).rejects.toBeInstanceOf(ConflictError);
    await expect(plain.programs.create(aProgram({ programName: 'Once' }))).resolves.toMatchObject({ programName: 'Once' });
    await expect(vtn.programs.delete(program.id)).resolves.toMatchObject({ id: program.id });
    await expect(plain.programs.create(aProgram({ programName: 'Twice' }))).resolves.toMatchObject({ programName: 'Twice' });
  });
});

describe('a write whose index check fails', () => {
  it('still answers, keeps its name claim, and tells other instances', async () => {
    const tableName = await table();
    const { vtn, failIndexes } = storageWithFailingIndexes(tableName);
    const other = db.storage(tableName, { coherenceMs: 0 });
    expect(await other.programs.list({ skip: 0, limit: 50 })).toEqual([]);

    failIndexes(true);
    const program = await vtn.programs.create(aProgram({ programName: 'Settled' }));
    await expect(vtn.programs.create(aProgram({ programName: 'Settled' }))).rejects.toBeInstanceOf(ConflictError);
    expect((await other.programs.list({ skip: 0, limit: 50 })).map((p) => p.id)).toEqual([program.id]);
  });

  it('still completes a program delete: gone everywhere, its events purged by the next delete', async () => {
    const tableName = await table();
    const { vtn, failIndexes } = storageWithFailingIndexes(tableName);
    const other = db.storage(tableName, { coherenceMs: 0 });
    const program = await vtn.programs.create(aProgram());
    for (let i = 0; i < 3; i++) await vtn.events.create(anEvent(program.id));
    expect(await other.programs.list({ skip: 0, limit: 50 })).toHaveLength(1);

    failIndexes(true);
    await expect(vtn.programs.delete(program.id)).resolves.toMatchObject({ id: program.id });
    expect(await other.programs.list({ skip: 0, limit: 50 })).toEqual([]);
    expect(await eventsOf(db.client, tableName, program.id)).toBe(3);

    failIndexes(false);
    await vtn.programs.delete((await vtn.programs.create(aProgram())).id);
    expect(await eventsOf(db.client, tableName, program.id)).toBe(0);
  });
});

describe('program purges', () => {
  it('spare an event that an update moved to another program while the index still lists it under the old one', async () => {
    const tableName = await table();
    let staleKey: Record<string, { S: string }> | undefined;
    const purger = db.storage(tableName, {
      client: interceptedClient(db.endpoint, async (command, input, send) => {
        const answer = (await send()) as { output: { Items?: unknown[] } };
        // A lagging index: the purge's read still shows the moved event under its old program.
        if (staleKey && isIndexQuery(command, input) && input.ProjectionExpression) answer.output.Items = [...(answer.output.Items ?? []), staleKey];
        return answer;
      }),
    });
    const leaving = await purger.programs.create(aProgram());
    const staying = await purger.programs.create(aProgram());
    const event = await purger.events.create(anEvent(leaving.id));
    await purger.events.update(event.id, (current) => ({ ...current, programID: staying.id }));
    staleKey = { objectType: { S: 'EVENT' }, id: { S: event.id } };

    await purger.programs.delete(leaving.id);
    await expect(purger.events.get(event.id)).resolves.toMatchObject({ programID: staying.id });
  });

  it('leave a mark before deleting, so a purge cut short is finished later', async () => {
    const tableName = await table();
    let failPurge = false;
    const vtn = db.storage(tableName, {
      client: interceptedClient(db.endpoint, (command, input, send) =>
        failPurge && isIndexQuery(command, input) && input.ProjectionExpression ? Promise.reject(new Error('function killed')) : send(),
      ),
    });
    const program = await vtn.programs.create(aProgram());
    for (let i = 0; i < 3; i++) await vtn.events.create(anEvent(program.id));
    failPurge = true;
    await vtn.programs.delete(program.id);
    expect(await eventsOf(db.client, tableName, program.id)).toBe(3);

    const later = db.storage(tableName);
    await later.programs.delete((await later.programs.create(aProgram())).id);
    expect(await eventsOf(db.client, tableName, program.id)).toBe(0);
  });

  it('never let an event written during its program’s delete outlive it', async () => {
    const tableName = await table();
    const deleter = db.storage(tableName);
    let releasePut: () => void = () => undefined;
    const putHeld = new Promise<void>((resolve) => (releasePut = resolve));
    let putReached: () => void = () => undefined;
    const reached = new Promise<void>((resolve) => (putReached = resolve));
    const creator = db.storage(tableName, {
      client: interceptedClient(db.endpoint, async (command, input, send) => {
        const item = input.Item as Record<string, { S?: string }> | undefined;
        if (command === 'PutItemCommand' && item?.objectType?.S === 'EVENT') {
          putReached();
          await putHeld;
        }
        return send();
      }),
    });
    const program = await deleter.programs.create(aProgram());
    const event = anEvent(program.id);

    const creating = creator.events.create(event);
    await reached;
    await deleter.programs.delete(program.id);
    releasePut();

    await expect(creating).rejects.toBeInstanceOf(InvalidInputError);
    await expect(creating).rejects.toThrow(/programID/);
    expect(await eventsOf(db.client, tableName, program.id)).toBe(0);
  });
});

describe('cache coherence counters', () => {
  it('spread the writes over several items, and another instance sees a write on any of them', async () => {
    const tableName = await table();
    let now = 1_000_000;
    const writer = db.storage(tableName, { clock: () => now });
    const reader = db.storage(tableName, { clock: () => now });
    const seen = new Set<number>();
    for (let i = 0; i < 24; i++) {
      await reader.programs.list({ skip: 0, limit: 50 });
      await writer.programs.create(aProgram());
      now += 1_001;
      expect(await reader.programs.list({ skip: 0, limit: 50 })).toHaveLength(i + 1);
    }
    for (let shard = 0; shard < COHERENCE_SHARDS; shard++) {
      if ((await partition(db.client, tableName, `META#${shard}`)).length) seen.add(shard);
    }
    expect(seen.size).toBeGreaterThan(1);
  });
});

describe('item size', () => {
  it('refuses an object whose index copies (targets) take it past the item limit, writing nothing', async () => {
    const tableName = await table();
    const vtn = db.storage(tableName);
    // About 290 KB of targets: the data alone is under its limit, the item with its copy is not.
    const targets = Array.from({ length: 2_300 }, (_, i) => `${String(i).padStart(6, '0')}-${'t'.repeat(120)}`);
    await expect(vtn.programs.create(aProgram({ programName: 'Big', targets }))).rejects.toBeInstanceOf(PayloadTooLargeError);
    const program = await vtn.programs.create(aProgram({ programName: 'Big' }));
    await expect(vtn.events.create(anEvent(program.id, { targets }))).rejects.toBeInstanceOf(PayloadTooLargeError);
    await expect(vtn.programs.update(program.id, (current) => ({ ...current, targets }))).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect((await vtn.programs.get(program.id)).targets).toBeUndefined();
  });
});
