import { ApiClient } from '../../support/api-client';
import { Receiver, type EchoAnswer } from '../../support/receiver';

/**
 * The echo challenge (Definition.md "Webhooks"): before a subscription is stored, each distinct
 * callback URL is sent `GET <url>?echo=<random>` and must answer 200 with that value.
 */

// Receivers listen on loopback (and over http), which only this setting allows.
process.env.VTN_WEBHOOK_ALLOW_PRIVATE = 'true';
process.env.VTN_WEBHOOK_TIMEOUT_MS = '1000';

const FAILING: Record<string, EchoAnswer> = { '/wrong': 'wrong', '/empty': 'empty', '/redirect': 'redirect', '/hang': 'hang' };

let api: ApiClient;
let receiver: Receiver;
beforeAll(async () => {
  receiver = await Receiver.start(() => 200, { echo: (path) => FAILING[path.split('?')[0]] ?? 'echo' });
  api = await ApiClient.start();
});
afterAll(async () => {
  await api.close();
  await receiver.close();
});

const operation = (path: string, objects = ['EVENT']) => ({ objects, operations: ['CREATE'], callbackUrl: `${receiver.url}${path}` });
const named = async (clientName: string) => (await api.get(`/subscriptions?clientName=${clientName}`)).body;

test('each distinct callback URL is challenged once, with its own random value, and then the subscription is stored', async () => {
  const before = receiver.challenges.length;
  const { status, body } = await api.post('/subscriptions', {
    clientName: 'challenged',
    objectOperations: [operation('/good?key=k'), operation('/good?key=k', ['PROGRAM']), operation('/other')],
  });
  expect(status).toBe(201);
  const challenges = receiver.challenges.slice(before);
  // The callback's own query is kept; echo is added to it.
  expect(challenges.map((challenge) => challenge.path).sort()).toEqual(['/good?key=k', '/other']);
  for (const { value } of challenges) expect(value).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  expect(challenges[0].value).not.toBe(challenges[1].value);
  expect(await named('challenged')).toEqual([body]);
  // Challenges are no notifications.
  expect(receiver.received).toEqual([]);
});

test.each([
  ['/wrong', 'another value', 'did not answer the echo challenge with the value it was sent'],
  ['/empty', 'an empty body', 'did not answer the echo challenge with the value it was sent'],
  ['/redirect', 'a redirect, not followed', 'answered the echo challenge with 302, not 200'],
  ['/hang', 'no answer within the timeout', 'did not answer the echo challenge: no answer within 1000 ms'],
])('%s (%s) is 400 naming the field, and nothing is stored', async (path, _what, reason) => {
  const before = receiver.challenges.length;
  const clientName = `failing${path.replace('/', '-')}`;
  const { status, body } = await api.post('/subscriptions', { clientName, objectOperations: [operation('/fine'), operation(path)] });
  expect(status).toBe(400);
  expect(body.errors).toEqual([{ field: 'objectOperations[1].callbackUrl', reason }]);
  expect(await named(clientName)).toEqual([]);
  // The redirect's target would have echoed correctly: it was never asked.
  expect(receiver.challenges.slice(before).map((challenge) => challenge.path).sort()).toEqual(['/fine', path].sort());
});

test('a callback that does not listen at all fails its challenge', async () => {
  const gone = await Receiver.start();
  const url = gone.url;
  await gone.close();
  const { status, body } = await api.post('/subscriptions', { clientName: 'unreachable', objectOperations: [{ objects: ['EVENT'], operations: ['CREATE'], callbackUrl: `${url}/x` }] });
  expect(status).toBe(400);
  expect(body.errors).toEqual([{ field: 'objectOperations[0].callbackUrl', reason: expect.stringContaining('did not answer the echo challenge') }]);
});

test('an update is challenged too; one that fails leaves the subscription as it was', async () => {
  const created = (await api.post('/subscriptions', { clientName: 'updated', objectOperations: [operation('/before')] })).body;
  const before = receiver.challenges.length;
  const updated = await api.put(`/subscriptions/${created.id}`, { clientName: 'updated', objectOperations: [operation('/after')] });
  expect(updated.status).toBe(200);
  expect(receiver.challenges.slice(before).map((challenge) => challenge.path)).toEqual(['/after']);
  const refused = await api.put(`/subscriptions/${created.id}`, { clientName: 'updated', objectOperations: [operation('/wrong')] });
  expect(refused.status).toBe(400);
  expect(refused.body.errors[0].field).toBe('objectOperations[0].callbackUrl');
  expect((await api.get(`/subscriptions/${created.id}`)).body).toEqual(updated.body);
});

test('a VEN’s callbacks are challenged alike', async () => {
  const ven = await api.as('ven-1');
  expect((await ven.post('/subscriptions', { clientName: 'ven-challenged', objectOperations: [operation('/hang')] })).status).toBe(400);
  expect((await ven.post('/subscriptions', { clientName: 'ven-challenged', objectOperations: [operation('/ven')] })).status).toBe(201);
});
