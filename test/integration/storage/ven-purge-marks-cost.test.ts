/**
 * Resource lists hide the resources of vens whose purge may not be finished, which costs a read
 * per purge mark; a mark whose purge has run and whose lease has passed costs nothing, though
 * only the next ven write removes it.
 */
import { writeAll } from '../../../bench/seed';
import type { DynamoStorage } from '../../../lambdas/core/storage/dynamo/dynamo-storage';
import { TestDatabase } from '../../support/database';
import { interceptedClient } from '../../support/intercept';
import { aResource, aVen } from '../../support/ven-fixtures';

let db: TestDatabase;
beforeAll(async () => (db = await TestDatabase.start()));
afterAll(() => db.stop());

it('a resource list long after 30 ven deletes reads no ven to check their marks', async () => {
  const tableName = await db.freshTable();
  const vens = Array.from({ length: 30 }, () => aVen());
  const keeper = aVen();
  await writeAll(db.client, tableName, [...vens, keeper, aResource(keeper)]);
  const admin = db.storage(tableName);
  for (let offset = 0; offset < vens.length; offset += 10) await Promise.all(vens.slice(offset, offset + 10).map((ven) => admin.vens.delete(ven.id)));

  const requests: string[] = [];
  const reader = db.storage(tableName, {
    clock: () => Date.now() + 3_600_000, // an hour later: every mark is long past its lease
    client: interceptedClient(db.endpoint, (command, input, send) => {
      if (!JSON.stringify(input).includes('META#')) requests.push(command);
      return send();
    }),
  }) as DynamoStorage;
  const resources = await reader.resources.list({ skip: 0, limit: 10, venID: keeper.id });
  expect(resources).toHaveLength(1);
  expect(requests.length).toBeLessThanOrEqual(3);
});
