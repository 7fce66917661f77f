/**
 * Write-path races and lost answers: each test states an invariant from the README
 * ("Consistency") and drives, with intercepted clients, an interleaving that would break it.
 */
import { TestDatabase } from '../../support/database';
import { eventsOf, gate, interceptedClient, partition, throttled } from '../../support/intercept';
import { aProgram, anEvent } from '../../support/fixtures';

let db: TestDatabase;
beforeAll(async () => (db = await TestDatabase.start()));
afterAll(() => db.stop());

async function programsNamed(tableName: string, name: string): Promise<string[]> {
  return (await partition(db.client, tableName, 'PROGRAM')).filter((item) => item.programName?.S === name).map((item) => item.id.S as string);
}

describe('programName uniqueness', () => {
  it('keeps the name a program bears when a rename’s late release of it runs after a rename back', async () => {
    const tableName = await db.freshTable();
    const releaseReached = gate();
    const releaseHeld = gate();
    const first = db.storage(tableName, {
      client: interceptedClient(db.endpoint, async (command, input, send) => {
        if (command === 'DeleteItemCommand' && input.Key?.objectType?.S === 'PROGRAM_NAME' && input.Key?.id?.S === 'Alpha') {
          releaseReached.open();
          await releaseHeld.opened;
        }
        return send();
      }),
    });
    const second = db.storage(tableName);
    const program = await second.programs.create(aProgram({ programName: 'Alpha' }));

    const renaming = first.programs.update(program.id, (current) => ({ ...current, programName: 'Beta' }));
    await releaseReached.opened; // first has written "Beta" and is about to release "Alpha"
    await second.programs.update(program.id, (current) => ({ ...current, programName: 'Alpha' }));
    releaseHeld.open();
    await renaming;

    // The program is named Alpha again; the name must be taken.
    const third = db.storage(tableName);
    await third.programs.create(aProgram({ programName: 'Alpha' })).catch(() => undefined);
    expect(await programsNamed(tableName, 'Alpha')).toHaveLength(1);
  });

  it('keeps the claim of a name a rename applied though its answer was lost and another update overtook the retry', async () => {
    const tableName = await db.freshTable();
    const other = db.storage(tableName);
    let programID = '';
    let armed = true;
    const renamer = db.storage(tableName, {
      client: interceptedClient(db.endpoint, async (command, input, send) => {
        if (armed && command === 'PutItemCommand' && input.Item?.objectType?.S === 'PROGRAM' && input.Item?.programName?.S === 'Beta') {
          armed = false;
          await send(); // applied; its answer is lost
          // Another client updates the program (keeping the name it now reads) before the retry.
          await other.programs.update(programID, (current) => ({ ...current, targets: ['t1'] }));
          return send(); // the SDK's retry: fails its condition
        }
        return send();
      }),
    });
    const program = await renamer.programs.create(aProgram({ programName: 'Alpha' }));
    programID = program.id;
    await renamer.programs.update(program.id, (current) => ({ ...current, programName: 'Beta' }));

    await db.storage(tableName).programs.create(aProgram({ programName: 'Beta' })).catch(() => undefined);
    expect(await programsNamed(tableName, 'Beta')).toHaveLength(1);
  });

  it('refreshes a program’s own old claim on a rename back, so a create cannot take it over mid-rename', async () => {
    const tableName = await db.freshTable();
    let failRelease = true;
    const replaceReached = gate();
    const replaceHeld = gate();
    let holdReplace = false;
    const renamer = db.storage(tableName, {
      nameClaimLeaseMs: 1_000,
      client: interceptedClient(db.endpoint, async (command, input, send) => {
        if (failRelease && command === 'DeleteItemCommand' && input.Key?.objectType?.S === 'PROGRAM_NAME') throw throttled();
        if (holdReplace && command === 'PutItemCommand' && input.Item?.objectType?.S === 'PROGRAM') {
          holdReplace = false;
          replaceReached.open();
          await replaceHeld.opened;
        }
        return send();
      }),
    });
    const program = await renamer.programs.create(aProgram({ programName: 'Alpha' }));
    await renamer.programs.update(program.id, (current) => ({ ...current, programName: 'Beta' })); // release of Alpha fails (logged)
    failRelease = false;
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // older than the lease (30 s in production)

    holdReplace = true;
    const renamingBack = renamer.programs.update(program.id, (current) => ({ ...current, programName: 'Alpha' }));
    await replaceReached.opened; // claim step passed (owner matched: hold not acquired, claimedAt old)
    const creator = db.storage(tableName, { nameClaimLeaseMs: 1_000 });
    const created = await creator.programs.create(aProgram({ programName: 'Alpha' })).then(() => true, () => false);
    replaceHeld.open();
    const renamed = await renamingBack.then(() => true, () => false);

    expect({ created, renamed, named: (await programsNamed(tableName, 'Alpha')).length }).toMatchObject({ named: 1 });
  });
});

describe('deleted objects stay deleted', () => {
  it('keeps an event deleted when the retry of its create (answer lost) comes after the delete', async () => {
    const tableName = await db.freshTable();
    const deleter = db.storage(tableName);
    const program = await deleter.programs.create(aProgram());
    let armed = true;
    let deleted = false;
    const creator = db.storage(tableName, {
      client: interceptedClient(db.endpoint, async (command, input, send) => {
        if (armed && command === 'PutItemCommand' && input.Item?.objectType?.S === 'EVENT') {
          armed = false;
          await send(); // applied; answer lost (e.g. the 5 s requestTimeout)
          // Meanwhile another client sees it (a list, a webhook from the stream) and deletes it: 200.
          await deleter.events.delete(input.Item.id!.S as string);
          deleted = true;
          return send(); // the SDK's retry: attribute_not_exists holds again
        }
        return send();
      }),
    });
    const event = anEvent(program.id);
    const outcome = await creator.events.create(event).then(() => 'ok', (error: Error) => error.constructor.name);
    expect(deleted).toBe(true);
    // The delete answered 200: the event must be gone for good.
    expect({ outcome, stored: (await partition(db.client, tableName, 'EVENT')).filter((item) => !item.deletedAt).map((item) => item.id.S) }).toMatchObject({ stored: [] });
  });
});

describe('no event outlives its program', () => {
  it('purges an event whose program went before its put landed, though the check after the put was throttled', async () => {
    const tableName = await db.freshTable();
    const deleter = db.storage(tableName);
    const program = await deleter.programs.create(aProgram());
    let afterPut = false;
    let programDeleted = false;
    const creator = db.storage(tableName, {
      client: interceptedClient(db.endpoint, async (command, input, send) => {
        if (command === 'PutItemCommand' && input.Item?.objectType?.S === 'EVENT') {
          // The program check (operations.requireProgram, from cache) passed; the program is deleted
          // by another instance, purge included, before this put lands.
          await deleter.programs.delete(program.id);
          programDeleted = true;
          const answer = await send();
          afterPut = true;
          return answer;
        }
        // The read that checks the program still exists is throttled (after the SDK's own retries).
        if (afterPut && command === 'GetItemCommand' && input.Key?.objectType?.S === 'PROGRAM') throw throttled();
        return send();
      }),
    });
    const outcome = await creator.events.create(anEvent(program.id)).then(() => 'ok', (error: Error) => error.constructor.name);
    expect(programDeleted).toBe(true);

    // A later program delete runs the purge of every marked program.
    const later = db.storage(tableName);
    await later.programs.delete((await later.programs.create(aProgram())).id);
    expect({ outcome, left: await eventsOf(db.client, tableName, program.id), marks: (await partition(db.client, tableName, 'PROGRAM_PURGE')).length }).toMatchObject({ left: 0 });
  });
});

describe('a refused write changes nothing', () => {
  it('answers 400 and keeps the event as it was when an update moves it into a program being deleted', async () => {
    const tableName = await db.freshTable();
    const other = db.storage(tableName);
    const home = await other.programs.create(aProgram());
    const leaving = await other.programs.create(aProgram());
    const event = await other.events.create(anEvent(home.id, { eventName: 'keep me' }));
    let armed = true;
    const mover = db.storage(tableName, {
      client: interceptedClient(db.endpoint, async (command, input, send) => {
        if (armed && command === 'PutItemCommand' && input.Item?.objectType?.S === 'EVENT' && input.Item?.programID?.S === `EVENT#${leaving.id}`) {
          armed = false;
          await other.programs.delete(leaving.id); // the target program goes while the move is in flight
        }
        return send();
      }),
    });
    const outcome = await mover.events.update(event.id, (current) => ({ ...current, programID: leaving.id })).then(
      () => 'ok',
      (error: Error) => error.constructor.name,
    );
    expect(outcome).toBe('InvalidInputError'); // answered 400 naming programID...
    // ...so nothing may have changed: the event must still be in its program.
    await expect(db.storage(tableName).events.get(event.id)).resolves.toMatchObject({ programID: home.id, eventName: 'keep me' });
  });
});
