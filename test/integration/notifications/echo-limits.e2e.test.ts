import { MAX_CALLBACK_URLS } from '../../../lambdas/core/operations/operations';
import { ApiClient } from '../../support/api-client';
import { Receiver } from '../../support/receiver';

/**
 * Every distinct callback URL of a subscription is sent an echo check on each write: their
 * number is bounded, so that one request cannot make the VTN call a host hundreds of times.
 */

process.env.VTN_WEBHOOK_ALLOW_PRIVATE = 'true';
process.env.VTN_WEBHOOK_TIMEOUT_MS = '2000';

let api: ApiClient;
let receiver: Receiver;
beforeAll(async () => {
  receiver = await Receiver.start();
  api = await ApiClient.start();
});
afterAll(async () => {
  await api.close();
  await receiver.close();
});

const operations = (count: number, path: string) => Array.from({ length: count }, (_, i) => ({ objects: ['EVENT'], operations: ['CREATE'], callbackUrl: `${receiver.url}/${path}?n=${i}` }));

test(`more than ${MAX_CALLBACK_URLS} distinct callback URLs is a 400 naming objectOperations, and no URL is called`, async () => {
  const ven = await api.as('ven-1');
  const { status, body } = await ven.post('/subscriptions', { clientName: 'amplifier', objectOperations: operations(500, 'victim') });
  expect({ status, fields: body.errors.map((error: { field: string }) => error.field) }).toEqual({ status: 400, fields: ['objectOperations'] });
  expect(receiver.challenges.filter((challenge) => challenge.path.startsWith('/victim'))).toEqual([]);
  expect((await ven.get('/subscriptions?clientName=amplifier')).body).toEqual([]);
});

test(`${MAX_CALLBACK_URLS} distinct callback URLs are each checked once, and the subscription is stored`, async () => {
  const ven = await api.as('ven-2');
  const { status } = await ven.post('/subscriptions', { clientName: 'many', objectOperations: [...operations(MAX_CALLBACK_URLS, 'many'), ...operations(3, 'many')] });
  expect(status).toBe(201);
  expect(receiver.challenges.filter((challenge) => challenge.path.startsWith('/many')).length).toBe(MAX_CALLBACK_URLS);
});
