import type { MqttClient } from 'mqtt';
import { Inbox, subscribe, vtnWithBroker } from '../../support/mqtt-clients';

/**
 * A ven a BL gives to another client (PUT /vens/{venID} with another clientID) is no longer the
 * first client's: as GET /vens/{venID} is 404 to it from then on, nothing published under that
 * ven's topics may reach it, whether it subscribed before the handover on a live connection or
 * in a persistent session it resumes (whose messages queued while it was away were published
 * after the handover).
 */

let n = 0;

const vtn = vtnWithBroker();

async function ven(clientID: string, targets: string[]): Promise<string> {
  const response = await vtn.api.post('/vens', { objectType: 'BL_VEN_REQUEST', venName: `ven-${++n}`, clientID, targets });
  expect(response.status).toBe(201);
  return response.body.id;
}

async function handOver(venID: string, clientID: string): Promise<void> {
  const current = (await vtn.api.get(`/vens/${venID}`)).body;
  expect((await vtn.api.put(`/vens/${venID}`, { objectType: 'BL_VEN_REQUEST', venName: current.venName, clientID, targets: current.targets })).status).toBe(200);
}

async function program(targets: string[]): Promise<string> {
  return (await vtn.api.post('/programs', { programName: `program-${++n}`, targets })).body.id;
}

/** ven-1's ven B and a program only B may read: once ven-1 hears of it, it would have heard of anything published before. */
async function sentinel(inbox: Inbox, client: MqttClient): Promise<void> {
  const group = `group-b${++n}`;
  const venB = await ven('ven-1', [group]);
  expect(await subscribe(client, `openadr3/vens/${venB}/#`)).toEqual([1]);
  const later = await program([group]);
  await inbox.on(`openadr3/vens/${venB}/programs/create`, later);
}

afterEach(async () => {
  // Each test leaves ven-1 and ven-2 without vens.
  for (const venRow of (await vtn.api.get('/vens')).body as { id: string }[]) await vtn.api.delete(`/vens/${venRow.id}`);
});

test("a client subscribed to its ven's topics hears nothing more of that ven once a BL gives it to another client", async () => {
  const venA = await ven('ven-1', ['group-a']);
  const client = await vtn.clients.connect('ven-1');
  const inbox = vtn.clients.inbox(client);
  expect(await subscribe(client, `openadr3/vens/${venA}/#`)).toEqual([1]);

  await handOver(venA, 'ven-2');
  expect((await (await vtn.api.as('ven-1')).get(`/vens/${venA}`)).status).toBe(404);
  const forVen2 = await program(['group-a']);

  await sentinel(inbox, client);
  expect(inbox.about(forVen2).map((message) => message.topic)).toEqual([]);
});

test('a persistent session resumed after its ven was given to another client receives nothing published for that ven', async () => {
  const venA = await ven('ven-1', ['group-c']);
  const first = await vtn.clients.connect('ven-1', { clean: false });
  expect(await subscribe(first, `openadr3/vens/${venA}/#`)).toEqual([1]);
  await first.endAsync();

  await handOver(venA, 'ven-2');
  const forVen2 = await program(['group-c']);

  const resumed = await vtn.clients.connect('ven-1', { clean: false });
  const inbox = vtn.clients.inbox(resumed);
  await sentinel(inbox, resumed);
  expect(inbox.about(forVen2).map((message) => message.topic)).toEqual([]);
});
