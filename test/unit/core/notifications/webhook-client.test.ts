import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebhookClient } from '../../../../lambdas/core/notifications/webhook-client';
import { DependencyUnavailableError } from '../../../../lambdas/core/errors';
import { Receiver } from '../../../support/receiver';

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

test('a kept-alive connection serves the next delivery to its host, which is resolved and checked again', async () => {
  const receiver = await Receiver.start();
  const resolved: string[] = [];
  const client = new WebhookClient({
    timeoutMs: 1000,
    allowPrivate: true,
    concurrency: 4,
    resolve: async (host) => {
      resolved.push(host);
      return [{ address: '127.0.0.1', family: 4 }];
    },
  });
  try {
    const url = `http://callback.example.com:${new URL(receiver.url).port}/hook`;
    expect(await client.post(url, { n: 1 }, 'tok')).toEqual({ ok: true, status: 200 });
    expect(await client.post(url, { n: 2 }, 'tok')).toEqual({ ok: true, status: 200 });
    expect(resolved).toEqual(['callback.example.com', 'callback.example.com']);
    expect(receiver.load.totalConnections).toBe(1);
  } finally {
    client.close();
    await receiver.close();
  }
});

test('a kept connection the callback dropped meanwhile is replaced, not counted as a failure', async () => {
  // Answers the first request on a connection and drops the connection at the next one.
  const served = new WeakSet<object>();
  const server = createServer((request, response) => {
    if (served.has(request.socket)) return void request.socket.destroy();
    served.add(request.socket);
    request.resume();
    request.on('end', () => response.writeHead(204).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = new WebhookClient({ timeoutMs: 1000, allowPrivate: true, concurrency: 4 });
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    expect(await client.post(url, {}, undefined)).toEqual({ ok: true, status: 204 });
    expect(await client.post(url, {}, undefined)).toEqual({ ok: true, status: 204 });
  } finally {
    client.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

test('idle connections across many hosts stay within the concurrency', async () => {
  const receivers = await Promise.all(Array.from({ length: 5 }, () => Receiver.start()));
  const client = new WebhookClient({ timeoutMs: 1000, allowPrivate: true, concurrency: 2 });
  try {
    for (const receiver of receivers) expect(await client.post(`${receiver.url}/hook`, {}, undefined)).toMatchObject({ ok: true });
    await settle();
    expect(receivers.reduce((open, receiver) => open + receiver.load.connections, 0)).toBe(2);
  } finally {
    client.close();
    await Promise.all(receivers.map((receiver) => receiver.close()));
  }
});

test('a token that cannot be sent as a header fails that delivery for good, without throwing', async () => {
  const receiver = await Receiver.start();
  const client = new WebhookClient({ timeoutMs: 1000, allowPrivate: true, concurrency: 1 });
  try {
    const result = await client.post(`${receiver.url}/hook`, {}, 'line\nbreak');
    expect(result).toMatchObject({ ok: false, refused: true });
    expect(JSON.stringify(result)).not.toContain('line\nbreak');
    // The slot was given back.
    expect(await client.post(`${receiver.url}/hook`, {}, 'fine')).toEqual({ ok: true, status: 200 });
    expect(receiver.received).toHaveLength(1);
  } finally {
    client.close();
    await receiver.close();
  }
});

test('an echo check that gets its slot after its time is up is a 503 to retry, and calls nothing', async () => {
  const receiver = await Receiver.start();
  const client = new WebhookClient({ timeoutMs: 1000, allowPrivate: true, concurrency: 1 });
  try {
    let left = 1000;
    // The only slot is busy with a delivery to a callback that answers late; the check waits for it.
    const slow = client.post(`${receiver.url}/slow`, { n: 1 }, undefined);
    const check = client.verify(`${receiver.url}/hook`, () => left);
    left = 0;
    await slow;
    await expect(check).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(receiver.challenges).toEqual([]);
  } finally {
    client.close();
    await receiver.close();
  }
});
