import { ApiClient, TEST_CLIENTS } from '../../support/api-client';
import { readEmf, type EmfDatum } from '../../support/emf';
import { Receiver } from '../../support/receiver';

// As the stack sets them in AWS; the local VTN writes no metrics without VTN_METRICS=on.
process.env.VTN_METRICS = 'on';
process.env.VTN_METRICS_SERVICE = 'OpenAdr3Vtn-e2e';
process.env.VTN_WEBHOOK_ALLOW_PRIVATE = 'true';
process.env.VTN_WEBHOOK_MAX_ATTEMPTS = '1';

let api: ApiClient;
let receiver: Receiver;
const written: string[] = [];
let stdout: jest.SpyInstance;
beforeAll(async () => {
  receiver = await Receiver.start((path) => (path === '/fails' ? 500 : 204));
  stdout = jest.spyOn(process.stdout, 'write').mockImplementation((line) => (written.push(String(line)), true));
  api = await ApiClient.start();
});
afterAll(async () => {
  stdout.mockRestore();
  await api.close();
  await receiver.close();
});

/** The metrics written while `act` ran. */
async function metricsOf(act: () => Promise<unknown>): Promise<EmfDatum[]> {
  const from = written.length;
  await act();
  return readEmf(written.slice(from));
}

const requests = (data: EmfDatum[]): Record<string, unknown>[] => data.filter((datum) => datum.name === 'Requests').map((datum) => ({ ...datum.dimensions, value: datum.value }));

test('a request is counted by its route template, method and status class, in the configured namespace and service', async () => {
  const missing = '0197aaaa-0000-7000-8000-000000000000';
  const data = await metricsOf(async () => {
    expect((await api.post('/programs', { programName: 'metrics' })).status).toBe(201);
    expect((await api.get(`/events/${missing}`)).status).toBe(404);
    expect((await api.request('PATCH', '/programs')).status).toBe(405);
    expect((await api.get('/no/such/path')).status).toBe(404);
  });
  expect(requests(data)).toEqual([
    { Service: 'OpenAdr3Vtn-e2e', Route: '/programs', Method: 'POST', StatusClass: '2xx', value: 1 },
    { Service: 'OpenAdr3Vtn-e2e', Route: '/events/{eventID}', Method: 'GET', StatusClass: '4xx', value: 1 },
    { Service: 'OpenAdr3Vtn-e2e', Route: '/programs', Method: 'OTHER', StatusClass: '4xx', value: 1 },
    { Service: 'OpenAdr3Vtn-e2e', Route: '$default', Method: 'GET', StatusClass: '4xx', value: 1 },
  ]);
  expect(new Set(data.map((datum) => datum.namespace))).toEqual(new Set(['OpenADR3VTN']));
  // Never the raw path: its id would make a metric per object.
  expect(JSON.stringify(written)).not.toContain(`"Route":"/events/${missing}"`);
});

test('tokens issued and refused, by OAuth error code; no client id or secret in a metric line', async () => {
  const [bl] = TEST_CLIENTS;
  const data = await metricsOf(async () => {
    expect((await api.token({ grant_type: 'client_credentials', client_id: bl.clientID, client_secret: bl.clientSecret! })).status).toBe(200);
    expect((await api.token({ grant_type: 'client_credentials', client_id: bl.clientID, client_secret: 'wrong-secret' })).status).toBe(401);
    expect((await api.token({ client_id: bl.clientID, client_secret: bl.clientSecret! })).status).toBe(400);
  });
  const tokens = data.filter((datum) => datum.name.startsWith('Tokens')).map((datum) => [datum.name, datum.dimensions.Reason, datum.value]);
  expect(tokens).toEqual([
    ['TokensIssued', undefined, 1],
    ['TokensRefused', 'invalid_client', 1],
    ['TokensRefused', 'invalid_request', 1],
  ]);
  expect(requests(data).map((request) => request.StatusClass)).toEqual(['2xx', '4xx', '4xx']);
  const lines = written.filter((line) => line.includes('"_aws"')).join('');
  for (const secret of [bl.clientID, bl.clientSecret!, 'wrong-secret']) expect(lines).not.toContain(secret);
});

test('webhook deliveries and failures of the local notifier go out with the next flush', async () => {
  for (const path of ['/delivered', '/fails']) {
    const { status } = await api.post('/subscriptions', { clientName: `metrics${path}`, objectOperations: [{ objects: ['PROGRAM'], operations: ['CREATE'], callbackUrl: `${receiver.url}${path}` }] });
    expect(status).toBe(201);
  }
  await api.post('/programs', { programName: 'metrics-notified' });
  await receiver.waitFor('/delivered', 1);
  await receiver.waitFor('/fails', 1);
  // Each outcome is counted once its answer is in, and written by the flush of a later request.
  const webhooks: Record<string, number> = {};
  const deadline = Date.now() + 5000;
  while (Object.keys(webhooks).length < 3 && Date.now() < deadline) {
    for (const datum of await metricsOf(() => api.get('/notifiers'))) {
      if (datum.name.startsWith('Webhook')) webhooks[datum.name] = (webhooks[datum.name] ?? 0) + (datum.value as number);
    }
  }
  expect(webhooks).toEqual({ WebhookDelivered: 1, WebhookFailed: 1, WebhookGivenUp: 1 });
  // No callback URL in a metric line.
  expect(written.filter((line) => line.includes('"_aws"')).join('')).not.toContain(receiver.url);
});
