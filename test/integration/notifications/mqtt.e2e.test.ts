import type { IClientOptions } from 'mqtt';
import { DEFAULT_SCOPES } from '../../../lambdas/core/auth/scopes';
import { ApiClient } from '../../support/api-client';
import { Inbox, MqttClients, subscribe, within } from '../../support/mqtt-clients';
import { tokenFor } from '../../support/tokens';

/**
 * The local VTN's broker with real MQTT 3.1.1 clients (MQTT.js): who may connect, subscribe and
 * publish, and what each client hears when objects change through the API. Every wait has its
 * own bound and fails saying what did not arrive.
 */

const TOPICS = '/notifiers/mqtt/topics';

let api: ApiClient;
let ven1: ApiClient;
let ven1ID: string;
let otherVenID: string;
let program: string;
let clients: MqttClients;

beforeAll(async () => {
  api = await ApiClient.start({ mqttPort: 0 });
  clients = new MqttClients(api);
  ven1 = await api.as('ven-1');
  ven1ID = (await api.post('/vens', { objectType: 'BL_VEN_REQUEST', venName: 'ven-one', clientID: 'ven-1', targets: ['group1'] })).body.id;
  otherVenID = (await api.post('/vens', { objectType: 'BL_VEN_REQUEST', venName: 'ven-three', clientID: 'ven-3', targets: ['group1'] })).body.id;
  program = (await api.post('/programs', { programName: 'tariff' })).body.id;
});
afterAll(async () => {
  await api.close();
});

afterEach(() => clients.endAll());

async function refusal(clientID: string, options: Partial<IClientOptions>): Promise<number | undefined> {
  return clients.connect(clientID, options).then(
    () => undefined,
    (error: { code?: number }) => error.code,
  );
}

async function topics(client: ApiClient, path: string): Promise<Record<string, string>> {
  const response = await client.get(`${TOPICS}${path}`);
  expect({ path, status: response.status }).toEqual({ path, status: 200 });
  return response.body.topics;
}

describe('connecting', () => {
  test('a client connects with its access token as password, its client id as username and MQTT client id', async () => {
    const client = await clients.connect('ven-1');
    expect(client.connected).toBe(true);
  });

  test("a bad or expired token, a wrong username, or another client's MQTT client id is refused", async () => {
    const venToken = (await api.as('ven-1')).accessToken!;
    const expired = await tokenFor('ven-1', DEFAULT_SCOPES.VEN, {}, Date.now() - 2 * 3_600_000);
    // CONNACK 4: bad user name or password; 2: identifier rejected.
    expect(await refusal('ven-1', { password: 'not-a-token' })).toBe(4);
    expect(await refusal('ven-1', { password: '' })).toBe(4);
    expect(await refusal('ven-1', { password: expired })).toBe(4);
    expect(await refusal('ven-1', { password: venToken, username: 'ven-2' })).toBe(4);
    expect(await refusal('ven-1', { password: venToken, clientId: 'ven-2' })).toBe(2);
  });

  test('the broker ends a connection when its token expires', async () => {
    const shortLived = await tokenFor('ven-1', DEFAULT_SCOPES.VEN, { lifetimeSeconds: 2 });
    const client = await clients.connect('ven-1', { password: shortLived });
    await within(new Promise<void>((resolve) => client.once('close', () => resolve())), 'the connection closing at its token expiry', 10_000);
    expect(client.connected).toBe(false);
  });
});

describe('what clients hear', () => {
  test('a BL receives every change on the all-object topics of the six object types, at QoS 1, not retained', async () => {
    const bl = await clients.connect('bl-1');
    const inbox = new Inbox(bl);
    const all = {} as Record<string, Record<string, string>>;
    for (const kind of ['programs', 'events', 'reports', 'subscriptions', 'vens', 'resources']) all[kind] = await topics(api, `/${kind}`);
    expect(await subscribe(bl, ...Object.values(all).map((names) => names.ALL))).toEqual([1, 1, 1, 1, 1, 1]);

    const newProgram = (await api.post('/programs', { programName: 'all-objects' })).body;
    const event = (await api.post('/events', { programID: newProgram.id, targets: ['group2'] })).body;
    const report = (await ven1.post('/reports', { eventID: (await api.post('/events', { programID: newProgram.id })).body.id, clientName: 'meter', resources: [] })).body;
    const subscription = (await api.post('/subscriptions', { clientName: 'bl', objectOperations: [] })).body;
    const ven = (await api.post('/vens', { objectType: 'BL_VEN_REQUEST', venName: 'ven-nine', clientID: 'ven-9' })).body;
    const resource = (await api.post('/resources', { objectType: 'BL_RESOURCE_REQUEST', resourceName: 'battery', venID: ven.id, clientID: 'ven-9', targets: ['b1'] })).body;
    await api.put(`/programs/${newProgram.id}`, { programName: 'all-objects', targets: ['x'] });
    await api.delete(`/events/${event.id}`);

    expect((await inbox.on(all.programs.CREATE, newProgram.id)).body).toEqual({ objectType: 'PROGRAM', operation: 'CREATE', object: newProgram, targets: null });
    const eventMessage = await inbox.on(all.events.CREATE, event.id);
    expect(eventMessage.body).toEqual({ objectType: 'EVENT', operation: 'CREATE', object: event, targets: ['group2'] });
    expect({ qos: eventMessage.packet.qos, retain: eventMessage.packet.retain }).toEqual({ qos: 1, retain: false });
    expect((await inbox.on(all.reports.CREATE, report.id)).body.object).toEqual(report);
    expect((await inbox.on(all.subscriptions.CREATE, subscription.id)).body.object).toEqual(subscription);
    expect((await inbox.on(all.vens.CREATE, ven.id)).body.object).toEqual(ven);
    expect((await inbox.on(all.resources.CREATE, resource.id)).body).toMatchObject({ objectType: 'RESOURCE', operation: 'CREATE', targets: ['b1'] });
    expect((await inbox.on(all.programs.UPDATE, newProgram.id)).body.targets).toEqual(['x']);
    expect((await inbox.on(all.events.DELETE, event.id)).body.operation).toBe('DELETE');
  });

  test("deleting a program reports each of its events deleted, and deleting a ven each of its resources, as the table's stream does in AWS", async () => {
    const bl = await clients.connect('bl-1');
    const inbox = new Inbox(bl);
    expect(await subscribe(bl, 'openadr3/events/delete', 'openadr3/resources/delete', 'openadr3/programs/delete', 'openadr3/vens/delete')).toEqual([1, 1, 1, 1]);
    const doomed = (await api.post('/programs', { programName: 'doomed' })).body;
    const events = [(await api.post('/events', { programID: doomed.id })).body, (await api.post('/events', { programID: doomed.id })).body];
    const moved = (await api.post('/events', { programID: doomed.id })).body;
    await api.put(`/events/${moved.id}`, { programID: program });
    const ven = (await api.post('/vens', { objectType: 'BL_VEN_REQUEST', venName: 'ven-doomed', clientID: 'ven-8' })).body;
    const resource = (await api.post('/resources', { objectType: 'BL_RESOURCE_REQUEST', resourceName: 'r', venID: ven.id, clientID: 'ven-8' })).body;

    await api.delete(`/programs/${doomed.id}`);
    await api.delete(`/vens/${ven.id}`);
    await inbox.on('openadr3/programs/delete', doomed.id);
    for (const event of events) expect((await inbox.on('openadr3/events/delete', event.id)).body.object).toEqual(event);
    await inbox.on('openadr3/vens/delete', ven.id);
    expect((await inbox.on('openadr3/resources/delete', resource.id)).body.object).toEqual(resource);
    // Reported in order: the moved event, which survives, would have come before the ven's delete.
    expect(inbox.messages.filter((message) => message.body.object.id === moved.id)).toEqual([]);
  });

  test("a VEN hears of programs and events on its ven's topics with only its granted targets, and not of events targeted at other vens", async () => {
    const client = await clients.connect('ven-1');
    const inbox = new Inbox(client);
    const programs = await topics(ven1, '/programs');
    const events = await topics(ven1, `/vens/${ven1ID}/events`);
    const programEvents = await topics(ven1, `/programs/${program}/events`);
    expect(programs.ALL).toBe(`openadr3/vens/${ven1ID}/programs/+`);
    expect(programEvents.ALL).toBe(`openadr3/vens/${ven1ID}/programs/${program}/events/+`);
    expect(await subscribe(client, programs.ALL, events.ALL, programEvents.ALL)).toEqual([1, 1, 1]);

    const granted = (await api.post('/programs', { programName: 'group1 tariff', targets: ['group1', 'secret'] })).body;
    const elsewhere = (await api.post('/events', { programID: program, targets: ['group2'] })).body;
    const mine = (await api.post('/events', { programID: program, targets: ['group1', 'secret'] })).body;

    const programMessage = await inbox.on(programs.CREATE!, granted.id);
    expect(programMessage.body).toEqual({ objectType: 'PROGRAM', operation: 'CREATE', object: { ...granted, targets: ['group1'] }, targets: ['group1'] });
    expect((await inbox.on(events.CREATE!, mine.id)).body).toEqual({ objectType: 'EVENT', operation: 'CREATE', object: { ...mine, targets: ['group1'] }, targets: ['group1'] });
    await inbox.on(programEvents.CREATE!, mine.id);
    // Published in order: by the time the later event arrived, the earlier one would have.
    expect(inbox.messages.filter((message) => message.body.object.id === elsewhere.id)).toEqual([]);
    expect(JSON.stringify(inbox.messages)).not.toContain('secret');
  });

  test("a VEN may not subscribe to another ven's topics nor to the BL topics, and stays connected", async () => {
    const client = await clients.connect('ven-1');
    const refused = ['openadr3/events/+', 'openadr3/#', 'openadr3/vens/+/events/+', `openadr3/vens/${otherVenID}/events/+`, `openadr3/programs/${program}/events/+`, '#'];
    expect(await subscribe(client, ...refused)).toEqual(refused.map(() => 128));
    expect(await subscribe(client, `openadr3/vens/${ven1ID}/#`)).toEqual([1]);
    expect(client.connected).toBe(true);
  });

  test('a ven registered after connecting counts at the next subscribe', async () => {
    const client = await clients.connect('ven-2');
    expect(await subscribe(client, `openadr3/vens/${otherVenID}/events/+`)).toEqual([128]);
    const venID = (await api.post('/vens', { objectType: 'BL_VEN_REQUEST', venName: 'ven-two', clientID: 'ven-2' })).body.id;
    const venTwo = await api.as('ven-2');
    expect(await subscribe(client, (await topics(venTwo, `/vens/${venID}/events`)).ALL)).toEqual([1]);
  });

  test('no client may publish: the broker closes its connection and the message reaches nobody', async () => {
    const bl = await clients.connect('bl-1');
    const inbox = new Inbox(bl);
    expect(await subscribe(bl, 'openadr3/#')).toEqual([1]);
    const publisher = await clients.connect('ven-1');
    const closed = new Promise<void>((resolve) => publisher.once('close', () => resolve()));
    const forged = { objectType: 'EVENT', operation: 'CREATE', object: { id: 'forged' }, targets: null };
    publisher.publish(`openadr3/vens/${ven1ID}/events/create`, JSON.stringify(forged), { qos: 1 });
    await within(closed, "the broker closing the publisher's connection");
    const later = (await api.post('/programs', { programName: 'after the forgery' })).body;
    await inbox.on('openadr3/programs/create', later.id);
    expect(inbox.messages.filter((message) => message.body.object.id === 'forged')).toEqual([]);
  });
});
