/**
 * Work started during a Lambda init (lambdas/core/priming.ts) may fail, the database being
 * unreachable or the table not there yet: the init goes on, and the requests that follow read
 * the database afresh rather than meeting that failure again.
 */
import { invokeApi } from '../../../local/api-gateway';
import { resetRuntime } from '../../../lambdas/core/runtime';
import { ensureTable } from '../../../lambdas/core/storage/dynamo/ensure-table';
import { TestDatabase } from '../../support/database';

let db: TestDatabase;
const saved = { ...process.env };
beforeAll(async () => (db = await TestDatabase.start()));
afterAll(async () => {
  process.env = saved;
  resetRuntime();
  await db.stop();
});

it('answers requests once the table exists, though the reads begun during init failed', async () => {
  const tableName = `vtn-priming-${process.pid}`;
  Object.assign(process.env, {
    DYNAMODB_ENDPOINT: db.endpoint,
    TABLE_NAME: tableName,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    VTN_AUTH: 'off',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
  });
  resetRuntime();
  const unhandled = jest.fn();
  process.on('unhandledRejection', unhandled);
  try {
    // The entry loads (and primes) against a table that is not there.
    const missing = await invokeApi({ method: 'GET', url: '/openadr3/3.1.0/events' });
    expect(missing.statusCode).toBeGreaterThanOrEqual(500);
    await ensureTable(db.client, tableName);
    const before = await invokeApi({ method: 'GET', url: '/openadr3/3.1.0/programs' });
    expect([before.statusCode, JSON.parse(before.body as string)]).toEqual([200, []]);
    const created = await invokeApi({ method: 'POST', url: '/openadr3/3.1.0/programs', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ programName: 'p' }) });
    expect(created.statusCode).toBe(201);
    const events = await invokeApi({ method: 'GET', url: '/openadr3/3.1.0/events' });
    expect(events.statusCode).toBe(200);
    const programs = await invokeApi({ method: 'GET', url: '/openadr3/3.1.0/programs' });
    expect(JSON.parse(programs.body as string)).toHaveLength(1);
    expect(unhandled).not.toHaveBeenCalled();
  } finally {
    process.off('unhandledRejection', unhandled);
  }
}, 60_000);
