import { WebhookClient, type WebhookOptions } from '../../../lambdas/core/notifications/webhook-client';
import { ApiClient } from '../../support/api-client';
import { Receiver } from '../../support/receiver';

// The default policy: callbacks to local and private addresses, and plain http, are refused.
delete process.env.VTN_WEBHOOK_ALLOW_PRIVATE;
// An echo challenge to a name that does not resolve fails within this.
process.env.VTN_WEBHOOK_TIMEOUT_MS = '1000';

let api: ApiClient;
beforeAll(async () => {
  api = await ApiClient.start();
});
afterAll(() => api.close());

/** One delivery through a client of its own. */
async function postWebhook(url: string, body: unknown, bearerToken: string | undefined, options: Omit<WebhookOptions, 'concurrency'>) {
  const client = new WebhookClient({ ...options, concurrency: 4 });
  try {
    return await client.post(url, body, bearerToken);
  } finally {
    client.close();
  }
}

/** IPv4 loopback and private addresses inside IPv6, in the textual forms URLs and resolvers give. */
const EMBEDDED_IPV4 = ['64:ff9b::7f00:1', '::7f00:1', '::127.0.0.1', '::ffff:7f00:1', '0:0:0:0:0:ffff:127.0.0.1', '64:ff9b::10.0.0.1'];

const subscription = (callbackUrl: string) => ({
  clientName: 'ven',
  objectOperations: [
    { objects: ['EVENT'], operations: ['CREATE'], callbackUrl: 'https://ven.example.com/ok' },
    { objects: ['PROGRAM'], operations: ['CREATE'], callbackUrl },
  ],
});

describe('when a subscription is written', () => {
  test.each([
    'https://127.0.0.1/hook',
    'https://127.1.2.3:8080/hook',
    'https://localhost/hook',
    'https://api.localhost/hook',
    'https://10.0.0.5/hook',
    'https://172.16.3.4/hook',
    'https://192.168.1.10/hook',
    'https://100.64.0.1/hook',
    'https://169.254.169.254/latest/meta-data/',
    'https://metadata.google.internal/computeMetadata/v1/',
    'https://[::1]/hook',
    'https://[fd00:ec2::254]/hook',
    'https://[fe80::1]/hook',
    'https://[::ffff:127.0.0.1]/hook',
    ...EMBEDDED_IPV4.map((address) => `https://[${address}]/hook`),
    'https://[2002:a9fe:a9fe::1]/hook',
    'https://[64:ff9b:1::808:808]/hook',
    'https://0.0.0.0/hook',
    'https://[fec0::1]/hook',
    'https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook',
    'https://[100::1]/hook',
    'https://192.88.99.1/hook',
    'https://localhost./cb',
    'https://metadata.google.internal./',
    'https://instance-data/latest/meta-data/',
    'https://instance-data./latest/meta-data/',
    'https://instance-data.ec2.internal/latest/meta-data/',
    'ftp://ven.example.com/hook',
    'file:///etc/passwd',
  ])('%s is refused with 400 naming the field, and nothing is written (nor challenged)', async (callbackUrl) => {
    const { status, body } = await api.post('/subscriptions', subscription(callbackUrl));
    expect(status).toBe(400);
    expect(body.errors).toEqual([{ field: 'objectOperations[1].callbackUrl', reason: expect.any(String) }]);
    expect((await api.get('/subscriptions')).body).toEqual([]);
  });

  test('a public https host name passes the URL check and goes on to its echo challenge, where its addresses are checked', async () => {
    // `.invalid` never resolves (RFC 6761): the challenge fails, for want of an answer.
    const { status, body } = await api.post('/subscriptions', subscription('https://ven.example.invalid/programs'));
    expect(status).toBe(400);
    expect(body.errors).toEqual(expect.arrayContaining([{ field: 'objectOperations[1].callbackUrl', reason: expect.stringContaining('echo challenge') }]));
    expect((await api.get('/subscriptions')).body).toEqual([]);
  });

  test('plain http is refused even to a public host', async () => {
    const { status, body } = await api.post('/subscriptions', subscription('http://ven.example.com/programs'));
    expect(status).toBe(400);
    expect(body.errors).toEqual([{ field: 'objectOperations[1].callbackUrl', reason: 'must be an https URL' }]);
  });
});

describe('at delivery, after DNS resolution', () => {
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await Receiver.start();
  });
  afterAll(() => receiver.close());

  const port = () => new URL(receiver.url).port;
  const resolvingTo = (address: string) => async () => [{ address, family: address.includes(':') ? 6 : 4 }];

  test.each(['127.0.0.1', '10.0.0.1', '169.254.169.254', '::1', ...EMBEDDED_IPV4, '2002:7f00:1::1', 'fe80::1%eth0'])(
    'a name that resolves to %s is refused without connecting',
    async (address) => {
      const result = await postWebhook(`https://rebinding.example.com:${port()}/x`, { hello: 1 }, 't', {
        timeoutMs: 1000,
        allowPrivate: false,
        resolve: resolvingTo(address),
      });
      expect(result).toMatchObject({ ok: false, refused: true });
      expect(receiver.received).toHaveLength(0);
    },
  );

  test('with a private and a public address, only the public one is tried', async () => {
    const result = await postWebhook(`https://mixed.example.com:${port()}/x`, {}, undefined, {
      timeoutMs: 300,
      allowPrivate: false,
      resolve: async () => [
        { address: '127.0.0.1', family: 4 },
        { address: '8.8.8.8', family: 4 },
      ],
    });
    // This machine has no route to the public address; the loopback receiver must hear nothing.
    expect(result.ok).toBe(false);
    expect(result).not.toMatchObject({ refused: true });
    expect(receiver.received).toHaveLength(0);
  });

  test('with private addresses allowed, the resolved address is the one connected to', async () => {
    const result = await postWebhook(`http://receiver.example.com:${port()}/allowed`, { hello: 1 }, 'tok', {
      timeoutMs: 1000,
      allowPrivate: true,
      resolve: resolvingTo('127.0.0.1'),
    });
    expect(result).toEqual({ ok: true, status: 200 });
    expect(receiver.on('/allowed')[0]).toMatchObject({ body: { hello: 1 }, headers: { authorization: 'Bearer tok', host: `receiver.example.com:${port()}` } });
  });

  test('redirects are not followed', async () => {
    const redirecting = await Receiver.start(() => 302);
    try {
      const result = await postWebhook(`${redirecting.url}/moved`, {}, undefined, { timeoutMs: 1000, allowPrivate: true });
      expect(result).toMatchObject({ ok: false, status: 302 });
      expect(redirecting.received).toHaveLength(1);
    } finally {
      await redirecting.close();
    }
  });
});

test('a resolver that never answers costs one timeout, not more', async () => {
  const startedAt = Date.now();
  const result = await postWebhook('https://slow-dns.example.com/x', {}, undefined, {
    timeoutMs: 200,
    allowPrivate: false,
    resolve: () => new Promise(() => undefined),
  });
  expect(result).toMatchObject({ ok: false, error: expect.stringContaining('cannot resolve') });
  expect(Date.now() - startedAt).toBeLessThan(1000);
});
