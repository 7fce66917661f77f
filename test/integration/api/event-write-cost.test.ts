/**
 * The DynamoDB requests of an event create and update through the events entry, warm, as the
 * README's table lists them (one target; in dynalite every index read finds the write at once).
 */
import { Temporal } from 'temporal-polyfill';
import { dynamoClient, resetRuntime } from '../../../lambdas/core/runtime';
import { BASE_PATH } from '../../../lambdas/routes';
import { invokeApi } from '../../../local/api-gateway';
import { TestDatabase } from '../../support/database';
import { recordCommands } from '../../support/fixtures';
import { bearer } from '../../support/tokens';

let database: TestDatabase;
beforeAll(async () => {
  database = await TestDatabase.start();
  process.env.VTN_LOG_LEVEL = 'error';
  await database.serveRuntime();
});
afterAll(async () => {
  resetRuntime();
  await database.stop();
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers = { 'content-type': 'application/json', ...(await bearer('BL')) };
  const response = await invokeApi({ method, url: `${BASE_PATH}${path}`, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.statusCode ?? 500, body: JSON.parse(response.body ?? '{}') };
}

const eventAt = (programID: unknown, start: Temporal.Instant, eventName = 'peak') => ({
  programID,
  eventName,
  targets: ['feeder-1'],
  intervalPeriod: { start: start.toString(), duration: 'PT1H' },
  intervals: [{ id: 0, payloads: [{ type: 'PRICE', values: [0.31] }] }],
});

test('an event create is 10 requests, an update that moves it 14, one that keeps its keys 8', async () => {
  const program = await call('POST', '/programs', { programName: 'cost' });
  await call('GET', '/programs');
  const start = Temporal.Now.instant().add({ hours: 24 });
  const recorder = recordCommands(dynamoClient());
  const requestsOf = async (method: string, path: string, body: unknown) => {
    recorder.clear();
    const answer = await call(method, path, body);
    expect(answer.status).toBeLessThan(300);
    return { answer, names: recorder.calls.map((call) => call.name) };
  };
  try {
    const created = await requestsOf('POST', '/events', eventAt(program.body.id, start));
    // Entry, event, four event index reads, two entry index reads, the program check, the counter.
    expect(created.names).toEqual(['PutItemCommand', 'PutItemCommand', ...Array(6).fill('QueryCommand'), 'GetItemCommand', 'UpdateItemCommand']);

    const id = created.answer.body.id as string;
    const moved = await requestsOf('PUT', `/events/${id}`, eventAt(program.body.id, start.add({ hours: 1 })));
    // One read of the event; the entry rewritten with its new copies; three index entries moved.
    expect(moved.names).toEqual(['GetItemCommand', 'PutItemCommand', 'PutItemCommand', ...Array(9).fill('QueryCommand'), 'GetItemCommand', 'UpdateItemCommand']);

    const renamed = await requestsOf('PUT', `/events/${id}`, eventAt(program.body.id, start.add({ hours: 1 }), 'renamed'));
    expect(renamed.names).toEqual(['GetItemCommand', 'PutItemCommand', ...Array(4).fill('QueryCommand'), 'GetItemCommand', 'UpdateItemCommand']);
    expect(renamed.answer.body.eventName).toBe('renamed');
  } finally {
    recorder.stop();
  }
});

test('an update of an unknown event is 404 whatever its body, and a known one with a bad body 400', async () => {
  expect((await call('PUT', '/events/no-such-event', { programID: 7 })).status).toBe(404);
  const program = await call('POST', '/programs', { programName: 'order' });
  const created = await call('POST', '/events', eventAt(program.body.id, Temporal.Now.instant()));
  const bad = await call('PUT', `/events/${created.body.id}`, { programID: 7 });
  expect(bad.status).toBe(400);
  const missingProgram = await call('PUT', `/events/${created.body.id}`, eventAt('no-such-program', Temporal.Now.instant()));
  expect(missingProgram.status).toBe(400);
  expect(missingProgram.body.errors).toEqual([expect.objectContaining({ field: 'programID' })]);
});
