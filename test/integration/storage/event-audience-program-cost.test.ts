/**
 * A VEN's list of one program's events reads that program's events, checked against its grant,
 * however many events its granted lists hold elsewhere.
 */
import { writeAll } from '../../../bench/seed';
import type { VtnEvent } from '../../../lambdas/core/openadr/types';
import type { DynamoStorage } from '../../../lambdas/core/storage/dynamo/dynamo-storage';
import type { EventQuery } from '../../../lambdas/core/storage/port';
import { TestDatabase } from '../../support/database';
import { interceptedClient } from '../../support/intercept';
import { aProgram, anEvent } from '../../support/fixtures';

let db: TestDatabase;
beforeAll(async () => (db = await TestDatabase.start()));
afterAll(() => db.stop());

interface Call { command: string; input: Record<string, unknown>; output: { ScannedCount?: number } }

function metered(tableName: string): { storage: DynamoStorage; calls: Call[] } {
  const calls: Call[] = [];
  const client = interceptedClient(db.endpoint, async (command, input, send) => {
    const result = (await send()) as { output: Call['output'] };
    calls.push({ command, input, output: result.output });
    return result;
  });
  return { storage: db.storage(tableName, { client, eventCacheTtlMs: 0 }), calls };
}

async function cost(calls: Call[], work: () => Promise<unknown>) {
  calls.splice(0);
  const result = await work();
  const own = calls.filter((call) => !JSON.stringify(call.input).includes('META#'));
  const queries = own.filter((call) => call.command === 'QueryCommand');
  return {
    shown: (result as unknown[]).length,
    queries: queries.length,
    itemsRead: queries.reduce((sum, call) => sum + (call.output.ScannedCount ?? 0), 0),
  };
}

const batch = (programID: string, prefix: string, count: number, fields: Record<string, unknown> = {}): VtnEvent[] =>
  Array.from({ length: count }, (_, index) => anEvent(programID, { id: `${prefix}-${String(index).padStart(6, '0')}`, ...fields }));

describe('a VEN listing the events of one program', () => {
  it('costs what the program holds, like a BL, not what the grant reaches', async () => {
    const tableName = await db.freshTable();
    const busy = aProgram();
    const quiet = aProgram();
    // 2,000 events in a busy program the VEN sees, then 5 in a quiet one, all targeted at the VEN.
    await writeAll(db.client, tableName, [busy, quiet, ...batch(busy.id, 'b', 2_000, { targets: ['ven-a'] }), ...batch(quiet.id, 'z', 5, { targets: ['ven-a'] })]);
    const { storage, calls } = metered(tableName);
    await storage.programs.list({ skip: 0, limit: 1 });
    const venQuery: EventQuery = { skip: 0, limit: 10, programID: quiet.id, audience: { targets: ['ven-a'] } };
    const bl = await cost(calls, () => storage.events.list({ skip: 0, limit: 10, programID: quiet.id }));
    const before = await cost(calls, () => storage.events.list(venQuery));
    // 2,000 more events of the busy program, sorting before the quiet program's.
    await writeAll(db.client, tableName, batch(busy.id, 'c', 2_000, { targets: ['ven-a'] }));
    const after = await cost(calls, () => storage.events.list(venQuery));
    expect(before.shown).toBe(5);
    expect(after.shown).toBe(5);
    expect(bl.itemsRead).toBe(5);
    expect(after.itemsRead).toBe(before.itemsRead);
    expect(before.itemsRead).toBe(bl.itemsRead);
  });
});

