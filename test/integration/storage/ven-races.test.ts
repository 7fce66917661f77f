/**
 * Races on vens and resources between two storage instances (two Lambda instances): unique
 * names and clientIDs under simultaneous creates, and resources written while their ven goes.
 */
import { ConflictError, InvalidInputError } from '../../../lambdas/core/errors';
import type { DynamoStorage } from '../../../lambdas/core/storage/dynamo/dynamo-storage';
import { TestDatabase } from '../../support/database';
import { gate, interceptedClient, partition, type InterceptedInput } from '../../support/intercept';
import { aResource, aVen } from '../../support/ven-fixtures';

let db: TestDatabase;
beforeAll(async () => (db = await TestDatabase.start()));
afterAll(() => db.stop());

/** Live items of a partition (tombstones left out). */
async function live(tableName: string, objectType: string) {
  return (await partition(db.client, tableName, objectType)).filter((item) => !item.deletedAt);
}

/**
 * Two instances whose first claim put in `claimPartition` waits until both have reached it, so
 * that both claims meet the table at the same moment.
 */
function twoInstancesMeetingAt(tableName: string, claimPartition: string): DynamoStorage[] {
  const arrivals = [gate(), gate()];
  const both = Promise.all(arrivals.map((arrival) => arrival.opened));
  return arrivals.map((arrival) => {
    let armed = true;
    return db.storage(tableName, {
      client: interceptedClient(db.endpoint, async (command, input, send) => {
        if (armed && command === 'PutItemCommand' && input.Item?.objectType?.S === claimPartition) {
          armed = false;
          arrival.open();
          await both;
        }
        return send();
      }),
    });
  });
}

function outcomes(results: PromiseSettledResult<unknown>[]): string[] {
  return results.map((result) => (result.status === 'fulfilled' ? 'created' : (result.reason as Error).constructor.name)).sort();
}

describe('unique vens under simultaneous creates', () => {
  it('lets exactly one of two creates of one venName win', async () => {
    const tableName = await db.freshTable();
    const [one, two] = twoInstancesMeetingAt(tableName, 'VEN_NAME');
    const results = await Promise.allSettled([one.vens.create(aVen({ venName: 'Same' })), two.vens.create(aVen({ venName: 'Same' }))]);
    expect(outcomes(results)).toEqual(['ConflictError', 'created']);
    const vens = await live(tableName, 'VEN');
    expect(vens).toHaveLength(1);
    // The loser holds nothing: only the winner's clientID is claimed.
    expect((await live(tableName, 'VEN_CLIENT')).map((claim) => claim.ownerID.S)).toEqual([vens[0].id.S]);
  });

  it('lets exactly one of two vens for one clientID win, and the loser gives back its venName', async () => {
    const tableName = await db.freshTable();
    const [one, two] = twoInstancesMeetingAt(tableName, 'VEN_CLIENT');
    const results = await Promise.allSettled([
      one.vens.create(aVen({ venName: 'One', clientID: 'c-1' })),
      two.vens.create(aVen({ venName: 'Two', clientID: 'c-1' })),
    ]);
    expect(outcomes(results)).toEqual(['ConflictError', 'created']);
    const vens = await live(tableName, 'VEN');
    expect(vens).toHaveLength(1);
    expect((await live(tableName, 'VEN_NAME')).map((claim) => claim.id.S)).toEqual([vens[0].venName.S]);
    await expect(db.storage(tableName).vens.findByClient('c-1')).resolves.toMatchObject({ id: vens[0].id.S });
  });
});

describe('no resource outlives its ven', () => {
  /** An instance whose first request matching `when` runs `meanwhile` first (before or after sending it). */
  function interleaved(tableName: string, when: (command: string, input: InterceptedInput) => boolean, meanwhile: () => Promise<void>, after = false) {
    let armed = true;
    return db.storage(tableName, {
      client: interceptedClient(db.endpoint, async (command, input, send) => {
        if (!armed || !when(command, input)) return send();
        armed = false;
        if (!after) await meanwhile();
        const answer = await send();
        if (after) await meanwhile();
        return answer;
      }),
    });
  }
  const resourcePut = (command: string, input: InterceptedInput) => command === 'PutItemCommand' && input.Item?.objectType?.S === 'RESOURCE';

  it('answers 400 naming venID and leaves nothing when the ven is deleted before the resource’s put lands', async () => {
    const tableName = await db.freshTable();
    const deleter = db.storage(tableName);
    const ven = await deleter.vens.create(aVen());
    // The ven check passed; another instance deletes the ven, purge included, before the put.
    const creator = interleaved(tableName, resourcePut, async () => void (await deleter.vens.delete(ven.id)));
    const outcome = creator.resources.create(aResource(ven, { resourceName: 'meter' }));
    await expect(outcome).rejects.toBeInstanceOf(InvalidInputError);
    await expect(outcome).rejects.toMatchObject({ issues: [{ field: 'venID' }] });
    expect({ resources: await live(tableName, 'RESOURCE'), claims: await live(tableName, 'RESOURCE_NAME') }).toEqual({ resources: [], claims: [] });
  });

  it('answers 400 naming venID and leaves nothing when the ven’s delete runs between the put and the check after it', async () => {
    const tableName = await db.freshTable();
    const deleter = db.storage(tableName);
    const ven = await deleter.vens.create(aVen());
    const checkReached = gate();
    const checkHeld = gate();
    let putLanded = false;
    const creator = db.storage(tableName, {
      client: interceptedClient(db.endpoint, async (command, input, send) => {
        if (resourcePut(command, input)) {
          const answer = await send();
          putLanded = true;
          return answer;
        }
        // The check after the write: does the ven still exist?
        if (putLanded && command === 'GetItemCommand' && input.Key?.objectType?.S === 'VEN' && input.ProjectionExpression) {
          putLanded = false;
          checkReached.open();
          await checkHeld.opened;
        }
        return send();
      }),
    });
    const outcome = creator.resources.create(aResource(ven, { resourceName: 'meter' }));
    await checkReached.opened;
    await deleter.vens.delete(ven.id);
    checkHeld.open();
    await expect(outcome).rejects.toMatchObject({ issues: [{ field: 'venID' }] });
    expect({ resources: await live(tableName, 'RESOURCE'), claims: await live(tableName, 'RESOURCE_NAME') }).toEqual({ resources: [], claims: [] });
  });

  it('answers 400 and keeps the resource as it was when an update moves it to a ven being deleted', async () => {
    const tableName = await db.freshTable();
    const other = db.storage(tableName);
    const home = await other.vens.create(aVen());
    const leaving = await other.vens.create(aVen());
    const resource = await other.resources.create(aResource(home, { resourceName: 'meter' }));
    const moveTo = (command: string, input: InterceptedInput) => resourcePut(command, input) && input.Item?.programID?.S === `RESOURCE#${leaving.id}`;
    const mover = interleaved(tableName, moveTo, async () => void (await other.vens.delete(leaving.id)), true);
    const outcome = mover.resources.update(resource.id, (current) => ({ ...current, venID: leaving.id }));
    await expect(outcome).rejects.toMatchObject({ issues: [{ field: 'venID' }] });
    await expect(other.resources.get(resource.id)).resolves.toMatchObject({ venID: home.id, resourceName: 'meter' });
    expect((await live(tableName, 'RESOURCE_NAME')).map((claim) => claim.id.S)).toEqual([`${home.id}#meter`]);
  });

  it('refuses resources once their ven is being deleted, and leaves none of those created before', async () => {
    const tableName = await db.freshTable();
    const deleter = db.storage(tableName);
    const ven = await deleter.vens.create(aVen());
    let puts = 0;
    let deleting: Promise<unknown> | undefined;
    const creator = db.storage(tableName, {
      client: interceptedClient(db.endpoint, async (command, input, send) => {
        const answer = await send();
        // Once a few resources stand, the ven goes while the rest are in flight.
        if (resourcePut(command, input) && ++puts === 5) deleting = deleter.vens.delete(ven.id);
        return answer;
      }),
    });
    // One after another, so that the delete meets creates at every step of theirs.
    const refusals: unknown[] = [];
    for (let n = 0; n < 20; n++) await creator.resources.create(aResource(ven, { resourceName: `r-${n}` })).catch((error: unknown) => refusals.push(error));
    await deleting;
    expect(refusals.length).toBeGreaterThan(0);
    for (const refusal of refusals) expect(refusal).toMatchObject({ issues: [{ field: 'venID' }] });
    expect({ resources: await live(tableName, 'RESOURCE'), claims: await live(tableName, 'RESOURCE_NAME') }).toEqual({ resources: [], claims: [] });
  });
});

describe('conflicts keep the loser unchanged', () => {
  it('refuses a rename onto a venName another instance just took, and keeps the old name claimed', async () => {
    const tableName = await db.freshTable();
    const [one, two] = twoInstancesMeetingAt(tableName, 'VEN_NAME');
    const seed = db.storage(tableName);
    const renamed = await seed.vens.create(aVen({ venName: 'Before' }));
    const results = await Promise.allSettled([
      one.vens.update(renamed.id, (current) => ({ ...current, venName: 'Wanted' })),
      two.vens.create(aVen({ venName: 'Wanted' })),
    ]);
    const names = (await live(tableName, 'VEN')).map((item) => item.venName.S).sort();
    expect(results.filter((result) => result.status === 'rejected').map((result) => (result as PromiseRejectedResult).reason)).toEqual([expect.any(ConflictError)]);
    expect(names.filter((name) => name === 'Wanted')).toHaveLength(1);
    expect((await live(tableName, 'VEN_NAME')).map((claim) => claim.id.S).sort()).toEqual(names);
  });
});
