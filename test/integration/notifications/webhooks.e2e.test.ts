import { ApiClient } from '../../support/api-client';
import { Receiver } from '../../support/receiver';

// Receivers listen on loopback, which only this setting allows.
process.env.VTN_WEBHOOK_ALLOW_PRIVATE = 'true';
process.env.VTN_WEBHOOK_TIMEOUT_MS = '1000';
process.env.VTN_WEBHOOK_RETRY_BASE_MS = '50';
process.env.VTN_WEBHOOK_MAX_ATTEMPTS = '3';

let api: ApiClient;
let receiver: Receiver;
beforeAll(async () => {
  receiver = await Receiver.start((path, attempt) => {
    if (path === '/hangs') return 'hang';
    if (path === '/fails') return 500;
    if (path === '/flaky') return attempt < 2 ? 503 : 200;
    return 200;
  });
  api = await ApiClient.start();
});
afterAll(async () => {
  await api.close();
  await receiver.close();
});

/** Lets any stray delivery arrive before asserting that none did. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

async function subscribe(path: string, objects: string[], operations: string[], fields: Record<string, unknown> = {}) {
  const { status, body } = await api.post('/subscriptions', {
    clientName: `receiver${path}`,
    objectOperations: [{ objects, operations, callbackUrl: `${receiver.url}${path}`, bearerToken: `token${path.replace(/\//g, '-')}` }],
    ...fields,
  });
  expect(status).toBe(201);
  return body;
}

test('create, update and delete of each object type reach the matching subscribers, and only them', async () => {
  const program = (await api.post('/programs', { programName: 'webhooks', targets: ['north'] })).body;
  const otherProgram = (await api.post('/programs', { programName: 'webhooks-other' })).body;
  await subscribe('/programs', ['PROGRAM'], ['CREATE', 'UPDATE', 'DELETE']);
  await subscribe('/events-of-program', ['EVENT'], ['CREATE', 'UPDATE', 'DELETE'], { programID: program.id });
  await subscribe('/events-of-other', ['EVENT'], ['CREATE', 'UPDATE', 'DELETE'], { programID: otherProgram.id });
  await subscribe('/event-creates', ['EVENT'], ['CREATE']);
  await subscribe('/north-events', ['EVENT'], ['CREATE'], { targets: ['north'] });
  const watcher = await subscribe('/subscriptions', ['SUBSCRIPTION'], ['CREATE', 'UPDATE', 'DELETE']);

  // Program writes
  const created = (await api.post('/programs', { programName: 'webhooks-new' })).body;
  const renamed = (await api.put(`/programs/${created.id}`, { programName: 'webhooks-renamed' })).body;
  const deleted = (await api.delete(`/programs/${created.id}`)).body;
  const programCalls = await receiver.waitFor('/programs', 3);
  expect(programCalls.map((call) => [call.body.operation, call.body.object.programName])).toEqual(
    expect.arrayContaining([
      ['CREATE', 'webhooks-new'],
      ['UPDATE', 'webhooks-renamed'],
      ['DELETE', 'webhooks-renamed'],
    ]),
  );
  const update = programCalls.find((call) => call.body.operation === 'UPDATE')!;
  expect(update.body).toEqual({ objectType: 'PROGRAM', operation: 'UPDATE', object: renamed, targets: null });
  expect(programCalls.find((call) => call.body.operation === 'DELETE')!.body.object).toEqual(deleted);
  expect(update.headers.authorization).toBe('Bearer token-programs');
  expect(update.headers['content-type']).toBe('application/json');

  // Event writes: targeted, in `program`
  const event = (await api.post('/events', { programID: program.id, targets: ['north'], intervalPeriod: { start: '2030-01-01T12:00:00+01:00', duration: 'PT1H' } })).body;
  await api.put(`/events/${event.id}`, { programID: program.id, eventName: 'changed' });
  await api.delete(`/events/${event.id}`);
  const ofProgram = await receiver.waitFor('/events-of-program', 3);
  expect(ofProgram.map((call) => call.body.operation).sort()).toEqual(['CREATE', 'DELETE', 'UPDATE']);
  const createdEvent = ofProgram.find((call) => call.body.operation === 'CREATE')!.body;
  expect(createdEvent).toEqual({ objectType: 'EVENT', operation: 'CREATE', object: event, targets: ['north'] });
  expect(createdEvent.object.intervalPeriod.start).toBe('2030-01-01T11:00:00Z');
  expect(await receiver.waitFor('/event-creates', 1)).toHaveLength(1);
  expect(await receiver.waitFor('/north-events', 1)).toHaveLength(1);

  // An untargeted event in the other program: not for `program`'s subscriber, nor the north one.
  await api.post('/events', { programID: otherProgram.id });
  await receiver.waitFor('/events-of-other', 1);
  await receiver.waitFor('/event-creates', 2);

  // Subscription writes
  const extra = await subscribe('/unused', ['REPORT'], ['CREATE']);
  await api.put(`/subscriptions/${extra.id}`, { ...extra, clientName: 'renamed' });
  await api.delete(`/subscriptions/${extra.id}`);
  // The watcher also hears of its own creation.
  const subscriptionCalls = await receiver.waitFor('/subscriptions', 4);
  expect(subscriptionCalls.map((call) => [call.body.object.id, call.body.operation]).sort()).toEqual(
    [
      [watcher.id, 'CREATE'],
      [extra.id, 'CREATE'],
      [extra.id, 'UPDATE'],
      [extra.id, 'DELETE'],
    ].sort(),
  );

  await settle();
  expect(receiver.on('/programs')).toHaveLength(3);
  expect(receiver.on('/events-of-program')).toHaveLength(3);
  expect(receiver.on('/events-of-other')).toHaveLength(1);
  expect(receiver.on('/event-creates')).toHaveLength(2);
  expect(receiver.on('/north-events')).toHaveLength(1);
  expect(receiver.on('/subscriptions')).toHaveLength(4);
  expect(receiver.on('/unused')).toHaveLength(0);
});

test('a receiver that hangs or fails holds up neither the API nor another receiver', async () => {
  const program = (await api.post('/programs', { programName: 'webhooks-isolation' })).body;
  for (const path of ['/hangs', '/fails', '/healthy']) await subscribe(path, ['EVENT'], ['CREATE'], { programID: program.id });
  const startedAt = Date.now();
  const response = await api.post('/events', { programID: program.id });
  expect(response.status).toBe(201);
  expect(Date.now() - startedAt).toBeLessThan(500);
  const [healthy] = await receiver.waitFor('/healthy', 1);
  // The hanging receiver has not answered yet (timeout 1000 ms), yet the healthy one was served.
  expect(healthy.at - startedAt).toBeLessThan(900);
  expect(receiver.on('/hangs')).toHaveLength(1);
});

test('failed deliveries are retried with backoff until they succeed or run out of attempts', async () => {
  const program = (await api.post('/programs', { programName: 'webhooks-retries' })).body;
  await subscribe('/flaky', ['EVENT'], ['CREATE'], { programID: program.id });
  await subscribe('/fails', ['EVENT'], ['DELETE'], { programID: program.id });
  const event = (await api.post('/events', { programID: program.id })).body;
  const flaky = await receiver.waitFor('/flaky', 3);
  expect(flaky.map((call) => call.body.object.id)).toEqual([event.id, event.id, event.id]);
  // Backoff: 50 ms, then 100 ms.
  expect(flaky[1].at - flaky[0].at).toBeGreaterThanOrEqual(45);
  expect(flaky[2].at - flaky[1].at).toBeGreaterThanOrEqual(95);

  const before = receiver.on('/fails').length;
  await api.delete(`/events/${event.id}`);
  await receiver.waitFor('/fails', before + 3);
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(receiver.on('/fails').length - before).toBe(3);
});

test('a subscription is heard of only by its own client’s subscriptions', async () => {
  const [ven1, ven2] = [await api.as('ven-1'), await api.as('ven-2')];
  const watch = (client: ApiClient, path: string) =>
    client.post('/subscriptions', {
      clientName: `watch${path}`,
      objectOperations: [{ objects: ['SUBSCRIPTION'], operations: ['CREATE'], callbackUrl: `${receiver.url}${path}` }],
    });
  expect((await watch(ven1, '/own-subscriptions')).status).toBe(201);
  expect((await watch(ven2, '/others-subscriptions')).status).toBe(201);
  const mine = (
    await ven1.post('/subscriptions', {
      clientName: 'private',
      objectOperations: [{ objects: ['EVENT'], operations: ['CREATE'], callbackUrl: `${receiver.url}/private?apikey=s3cr3t` }],
    })
  ).body;
  const heard = await receiver.waitFor('/own-subscriptions', 2);
  expect(heard.map((call) => call.body.object.id)).toContain(mine.id);
  await settle();
  expect(receiver.received.filter((call) => call.path === '/others-subscriptions').map((call) => call.body.object.clientID)).not.toContain('ven-1');
});
