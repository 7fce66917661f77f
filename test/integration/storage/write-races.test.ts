/**
 * Write-path races and lost answers: each test states an invariant from the README
 * ("Consistency") and drives, with intercepted clients, an interleaving that would break it.
 */
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { withDeadline } from '../../../lambdas/core/deadline';
import { TestDatabase } from '../../support/database';
import { eventsOf, gate, interceptedClient, partition, throttled } from '../../support/intercept';
import { aProgram, anEvent } from '../../support/fixtures';

let db: TestDatabase;
beforeAll(async () => (db = await TestDatabase.start()));
afterAll(() => db.stop());

async function programsNamed(tableName: string, name: string): Promise<string[]> {
  return (await partition(db.client, tableName, 'PROGRAM')).filter((item) => item.programName?.S === name).map((item) => item.id.S as string);
}

/**
 * A program named Alpha is renamed to Beta by one instance, whose release of Alpha is held back
 * until another instance has renamed the program back to Alpha; then a new program tries to take
 * Alpha. Returns the ids of the programs named Alpha.
 */
async function renamedBackWhileReleaseIsLate(tableName: string, prepare?: (programID: string) => Promise<void>): Promise<string[]> {
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
  await prepare?.(program.id);
  const renaming = first.programs.update(program.id, (current) => ({ ...current, programName: 'Beta' }));
  await releaseReached.opened; // first has written "Beta" and is about to release "Alpha"
  await second.programs.update(program.id, (current) => ({ ...current, programName: 'Alpha' }));
  releaseHeld.open();
  await renaming;
  await db.storage(tableName).programs.create(aProgram({ programName: 'Alpha' })).catch(() => undefined);
  return programsNamed(tableName, 'Alpha');
}

describe('programName uniqueness', () => {
  it('keeps the name a program bears when a rename’s late release of it runs after a rename back', async () => {
    expect(await renamedBackWhileReleaseIsLate(await db.freshTable())).toHaveLength(1);
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
    const leaseMs = 1_000;
    const deleter = db.storage(tableName, { nameClaimLeaseMs: leaseMs });
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

    // The event stands (answered 201: created, then its program's purge takes it); the program's
    // mark covers it until the lease has passed, and the next program write after that purges it.
    expect(outcome).toBe('ok');
    expect((await partition(db.client, tableName, 'PROGRAM_PURGE')).map((mark) => mark.id.S)).toEqual([program.id]);
    await new Promise((resolve) => setTimeout(resolve, leaseMs + 50));
    await db.storage(tableName, { nameClaimLeaseMs: leaseMs }).programs.create(aProgram());
    expect({ left: await eventsOf(db.client, tableName, program.id), marks: await partition(db.client, tableName, 'PROGRAM_PURGE') }).toEqual({ left: 0, marks: [] });
  });
});

describe('a refused write changes nothing', () => {
  it.each([
    ['before the move lands', false],
    ['after the move landed, its purge included', true],
  ])('answers 400 and keeps the event as it was when an update moves it into a program deleted %s', async (_when, afterMove) => {
    const tableName = await db.freshTable();
    const other = db.storage(tableName);
    const home = await other.programs.create(aProgram());
    const leaving = await other.programs.create(aProgram());
    const event = await other.events.create(anEvent(home.id, { eventName: 'keep me' }));
    let armed = true;
    const mover = db.storage(tableName, {
      client: interceptedClient(db.endpoint, async (command, input, send) => {
        if (!armed || command !== 'PutItemCommand' || input.Item?.objectType?.S !== 'EVENT' || input.Item?.programID?.S !== `EVENT#${leaving.id}`) return send();
        armed = false;
        if (!afterMove) await other.programs.delete(leaving.id);
        const answer = await send();
        if (afterMove) await other.programs.delete(leaving.id);
        return answer;
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

describe('programName uniqueness with programs written before claim tokens', () => {
  it('keeps a legacy program’s name claimed when its rename’s late release runs after a rename back', async () => {
    const tableName = await db.freshTable();
    const named = await renamedBackWhileReleaseIsLate(tableName, async (programID) => {
      // As written before claims had tokens: neither the program nor its claim carries one.
      for (const [objectType, id] of [['PROGRAM', programID], ['PROGRAM_NAME', 'Alpha']]) {
        await db.client.send(
          new UpdateItemCommand({ TableName: tableName, Key: { objectType: { S: objectType }, id: { S: id } }, UpdateExpression: 'REMOVE claimToken, createdAt' }),
        );
      }
    });
    expect(named).toHaveLength(1);
  });
});

describe('a write recognises its own success', () => {
  it('answers a program create as created when its lost answer’s retry meets the tombstone of a 200 delete', async () => {
    const tableName = await db.freshTable();
    const deleter = db.storage(tableName);
    let armed = true;
    const creator = db.storage(tableName, {
      client: interceptedClient(db.endpoint, async (command, input, send) => {
        if (armed && command === 'PutItemCommand' && input.Item?.objectType?.S === 'PROGRAM') {
          armed = false;
          await send(); // applied; answer lost
          await deleter.programs.delete(input.Item.id!.S as string); // another client deletes it: 200
          return send(); // the SDK's retry meets the tombstone
        }
        return send();
      }),
    });
    const outcome = await creator.programs.create(aProgram({ programName: 'Gamma' })).then(() => 'created', (error: Error) => `${error.constructor.name}: ${error.message}`);
    // The create happened (and a later delete answered 200 for it): it must not be a 409.
    expect(outcome).toBe('created');
  });

  it('answers an event create as created when another client updated it before the retry of its lost answer', async () => {
    const tableName = await db.freshTable();
    const other = db.storage(tableName);
    const program = await other.programs.create(aProgram());
    let armed = true;
    const creator = db.storage(tableName, {
      client: interceptedClient(db.endpoint, async (command, input, send) => {
        if (armed && command === 'PutItemCommand' && input.Item?.objectType?.S === 'EVENT') {
          armed = false;
          await send(); // applied; answer lost
          await other.events.update(input.Item.id!.S as string, (current) => ({ ...current, eventName: 'seen and edited' }));
          return send(); // the SDK's retry fails its condition on the updated item
        }
        return send();
      }),
    });
    const event = anEvent(program.id);
    const outcome = await creator.events.create(event).then(() => 'created', (error: Error) => `${error.constructor.name}: ${error.message}`);
    const stored = await other.events.get(event.id).then(() => 'exists', () => 'absent');
    expect({ outcome, stored }).toEqual({ outcome: 'created', stored: 'exists' });
  });
});

describe('purge runs stay within the request', () => {
  it('does not spend a program create’s whole deadline walking lingering purge marks', async () => {
    const tableName = await db.freshTable();
    const setup = db.storage(tableName);
    const MARKS = 60;
    for (let i = 0; i < MARKS; i++) await setup.programs.delete((await setup.programs.create(aProgram())).id);
    expect((await partition(db.client, tableName, 'PROGRAM_PURGE')).length).toBe(MARKS); // within the 30 s lease, all stay

    let requests = 0;
    let afterDeadline = 0;
    let requestDeadline = Number.POSITIVE_INFINITY;
    const creator = db.storage(tableName, {
      client: interceptedClient(db.endpoint, async (_command, _input, send) => {
        requests += 1;
        if (Date.now() > requestDeadline) afterDeadline += 1;
        await new Promise((resolve) => setTimeout(resolve, 5)); // ~in-region latency
        return send();
      }),
    });
    await creator.programs.list({ skip: 0, limit: 1 }); // warm the coherence read
    requests = 0;
    requestDeadline = Date.now() + 1_000; // a request with a second left
    await withDeadline(requestDeadline, () => creator.programs.create(aProgram()));
    // One create: a handful of requests (marks purged once are skipped), none after the deadline.
    expect(afterDeadline).toBe(0);
    expect(requests).toBeLessThan(20);
  });
});

describe('once an object is written, the rest of the write happens', () => {
  it('answers an event create as written when the program check after the put is throttled (the program exists)', async () => {
    const tableName = await db.freshTable();
    const other = db.storage(tableName);
    const program = await other.programs.create(aProgram());
    let afterPut = false;
    const creator = db.storage(tableName, {
      client: interceptedClient(db.endpoint, async (command, input, send) => {
        if (command === 'PutItemCommand' && input.Item?.objectType?.S === 'EVENT') {
          const answer = await send();
          afterPut = true;
          return answer;
        }
        if (afterPut && command === 'GetItemCommand' && input.Key?.objectType?.S === 'PROGRAM') throw throttled();
        return send();
      }),
    });
    const event = anEvent(program.id);
    const outcome = await creator.events.create(event).then(() => 'created', (error: Error) => error.constructor.name);
    const stored = await other.events.get(event.id).then(() => 'exists', () => 'absent');
    // A 503 invites the client to retry: a second, duplicate event (events have no unique key).
    expect({ outcome, stored }).toEqual({ outcome: 'created', stored: 'exists' });
  });

  it('answers a program create as written when the name check after the put is throttled', async () => {
    const tableName = await db.freshTable();
    let afterPut = false;
    const creator = db.storage(tableName, {
      client: interceptedClient(db.endpoint, async (command, input, send) => {
        if (command === 'PutItemCommand' && input.Item?.objectType?.S === 'PROGRAM') {
          const answer = await send();
          afterPut = true;
          return answer;
        }
        if (afterPut && command === 'GetItemCommand' && input.Key?.objectType?.S === 'PROGRAM_NAME') throw throttled();
        return send();
      }),
    });
    const program = aProgram({ programName: 'Delta' });
    const outcome = await creator.programs.create(program).then(() => 'created', (error: Error) => error.constructor.name);
    // The client retries its 503: 409, the name is its own program's, whose id it never learnt.
    const retry = await db.storage(tableName).programs.create(aProgram({ programName: 'Delta' })).then(() => 'created', (error: Error) => error.constructor.name);
    expect({ outcome, retry, named: (await programsNamed(tableName, 'Delta')).length }).toEqual({ outcome: 'created', retry: 'ConflictError', named: 1 });
  });
});

describe('an update withdrawn from a deleted program', () => {
  it('leaves no event of the program behind when putting the old version back is delayed past the purge mark’s lease', async () => {
    const tableName = await db.freshTable();
    const leaseMs = 1_000;
    const other = db.storage(tableName, { nameClaimLeaseMs: leaseMs });
    const program = await other.programs.create(aProgram());
    const event = await other.events.create(anEvent(program.id, { eventName: 'before' }));
    let eventPuts = 0;
    const updater = db.storage(tableName, {
      nameClaimLeaseMs: leaseMs,
      client: interceptedClient(db.endpoint, async (command, input, send) => {
        if (command !== 'PutItemCommand' || input.Item?.objectType?.S !== 'EVENT' || input.Item?.id?.S !== event.id) return send();
        eventPuts++;
        if (eventPuts === 1) {
          // The update's put lands; then the program is deleted, its events purged.
          const answer = await send();
          await other.programs.delete(program.id);
          return answer;
        }
        if (eventPuts === 2) {
          // Putting the old version back is held up past the mark's lease, and a purge pass
          // (any program write) runs meanwhile and retires the lapsed mark.
          await new Promise((resolve) => setTimeout(resolve, leaseMs + 50));
          await db.storage(tableName, { nameClaimLeaseMs: leaseMs }).programs.create(aProgram());
        }
        return send();
      }),
    });
    const outcome = await updater.events.update(event.id, (current) => ({ ...current, eventName: 'after' })).then(
      () => 'ok',
      (error: Error) => error.constructor.name,
    );
    expect({ outcome, eventPuts }).toEqual({ outcome: 'InvalidInputError', eventPuts: 2 });

    // The next pass after the lease purges what was put back.
    await new Promise((resolve) => setTimeout(resolve, leaseMs + 50));
    await db.storage(tableName, { nameClaimLeaseMs: leaseMs }).programs.create(aProgram());
    expect({ left: await eventsOf(db.client, tableName, program.id), marks: await partition(db.client, tableName, 'PROGRAM_PURGE') }).toEqual({ left: 0, marks: [] });
  });
});
