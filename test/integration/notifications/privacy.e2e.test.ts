import { ApiClient } from '../../support/api-client';
import { Receiver, type Received } from '../../support/receiver';

/**
 * Notifications of every object type, and their privacy (Definition.md "Object Privacy"): a BL's
 * subscription hears of everything; a VEN's only of what that VEN may read, and of programs and
 * events only their granted targets, in `object.targets` and in `targets`.
 * ven-1 is granted group-1 (its ven) and res-1 (its resource); ven-2 is granted group-2.
 */

process.env.VTN_WEBHOOK_ALLOW_PRIVATE = 'true';
process.env.VTN_WEBHOOK_TIMEOUT_MS = '1000';

const ALL = ['PROGRAM', 'EVENT', 'REPORT', 'SUBSCRIPTION', 'VEN', 'RESOURCE'];
const OPERATIONS = ['CREATE', 'UPDATE', 'DELETE'];

let bl: ApiClient;
let ven1: ApiClient;
let ven2: ApiClient;
let receiver: Receiver;
const ids: Record<string, string> = {};

beforeAll(async () => {
  receiver = await Receiver.start();
  bl = await ApiClient.start();
  ven1 = await bl.as('ven-1');
  ven2 = await bl.as('ven-2');
  ids.ven1 = (await bl.post('/vens', { objectType: 'BL_VEN_REQUEST', venName: 'notified-ven-1', clientID: 'ven-1', targets: ['group-1'] })).body.id;
  ids.ven2 = (await bl.post('/vens', { objectType: 'BL_VEN_REQUEST', venName: 'notified-ven-2', clientID: 'ven-2', targets: ['group-2'] })).body.id;
  await bl.post('/resources', { objectType: 'BL_RESOURCE_REQUEST', resourceName: 'meter', venID: ids.ven1, clientID: 'ven-1', targets: ['res-1'] });
  // Each client hears of everything it may, from here on.
  for (const [client, name] of [[bl, 'bl'], [ven1, 'ven-1'], [ven2, 'ven-2']] as const) {
    const { status, body } = await client.post('/subscriptions', {
      clientName: `all-${name}`,
      objectOperations: [{ objects: ALL, operations: OPERATIONS, callbackUrl: `${receiver.url}/${name}` }],
    });
    expect(status).toBe(201);
    ids[`subscription-${name}`] = body.id;
  }
});
afterAll(async () => {
  await bl.close();
  await receiver.close();
});

/** Lets any stray delivery arrive before asserting that none did. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

/** What `path` heard of the object `id`, as [operation, notification]. */
async function heard(path: string, id: string, count: number): Promise<Received['body'][]> {
  const deadline = Date.now() + 5000;
  const of = () => receiver.on(path).filter((call) => call.body.object.id === id);
  while (of().length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  return of().map((call) => call.body);
}

test('each object type is notified: creates, updates and deletes of programs, events, reports, subscriptions, vens and resources', async () => {
  const program = (await bl.post('/programs', { programName: 'every-type' })).body;
  const event = (await bl.post('/events', { programID: program.id, eventName: 'every-type' })).body;
  const report = (await ven1.post('/reports', { eventID: event.id, clientName: 'meter-client', resources: [] })).body;
  const subscription = (await ven1.post('/subscriptions', { clientName: 'extra', objectOperations: [{ objects: ['EVENT'], operations: ['CREATE'], callbackUrl: `${receiver.url}/extra` }] })).body;
  const resource = (await bl.post('/resources', { objectType: 'BL_RESOURCE_REQUEST', resourceName: 'every-type', venID: ids.ven1, clientID: 'ven-1' })).body;
  const ven = (await bl.post('/vens', { objectType: 'BL_VEN_REQUEST', venName: 'every-type', clientID: 'ven-3' })).body;
  const updates = {
    PROGRAM: [`/programs/${program.id}`, { programName: 'every-type-renamed' }],
    EVENT: [`/events/${event.id}`, { programID: program.id, eventName: 'renamed' }],
    REPORT: [`/reports/${report.id}`, { eventID: event.id, clientName: 'meter-client', reportName: 'renamed', resources: [] }],
    SUBSCRIPTION: [`/subscriptions/${subscription.id}`, { clientName: 'renamed', objectOperations: subscription.objectOperations }],
    RESOURCE: [`/resources/${resource.id}`, { objectType: 'BL_RESOURCE_REQUEST', resourceName: 'renamed', venID: ids.ven1, clientID: 'ven-1' }],
    VEN: [`/vens/${ven.id}`, { objectType: 'BL_VEN_REQUEST', venName: 'every-type-renamed', clientID: 'ven-3' }],
  } as const;
  const writers = { PROGRAM: bl, EVENT: bl, REPORT: ven1, SUBSCRIPTION: ven1, RESOURCE: bl, VEN: bl };
  const objects = { PROGRAM: program, EVENT: event, REPORT: report, SUBSCRIPTION: subscription, RESOURCE: resource, VEN: ven };
  for (const [type, [path, body]] of Object.entries(updates) as [keyof typeof updates, (typeof updates)[keyof typeof updates]][]) {
    expect((await writers[type].put(path, body)).status).toBe(200);
  }
  // Reports and resources first: the event and the ven take them along otherwise.
  for (const type of ['REPORT', 'RESOURCE', 'SUBSCRIPTION', 'EVENT', 'PROGRAM', 'VEN'] as const) {
    expect((await writers[type].delete(updates[type][0])).status).toBe(200);
  }
  for (const type of ALL as (keyof typeof objects)[]) {
    const calls = await heard('/bl', objects[type].id, 3);
    expect([type, calls.map((call) => call.operation)]).toEqual([type, ['CREATE', 'UPDATE', 'DELETE']]);
    expect(calls.every((call) => call.objectType === type)).toBe(true);
  }
  // The BL hears of a VEN's subscription, without its callbacks' bearer tokens.
  expect((await heard('/bl', subscription.id, 1))[0].object.objectOperations[0]).not.toHaveProperty('bearerToken');
});

test("a VEN's subscription hears only of its own vens, resources, reports and subscriptions", async () => {
  const program = (await bl.post('/programs', { programName: 'own-objects' })).body;
  const event = (await bl.post('/events', { programID: program.id })).body;
  const report1 = (await ven1.post('/reports', { eventID: event.id, clientName: 'one', resources: [] })).body;
  const report2 = (await ven2.post('/reports', { eventID: event.id, clientName: 'two', resources: [] })).body;
  const resource1 = (await bl.post('/resources', { objectType: 'BL_RESOURCE_REQUEST', resourceName: 'own-1', venID: ids.ven1, clientID: 'ven-1' })).body;
  const resource2 = (await bl.post('/resources', { objectType: 'BL_RESOURCE_REQUEST', resourceName: 'own-2', venID: ids.ven2, clientID: 'ven-2' })).body;
  const renamed1 = await bl.put(`/vens/${ids.ven1}`, { objectType: 'BL_VEN_REQUEST', venName: 'notified-ven-1', clientID: 'ven-1', targets: ['group-1'] });
  expect(renamed1.status).toBe(200);
  const subscription2 = (await ven2.post('/subscriptions', { clientName: 'own', objectOperations: [{ objects: ['EVENT'], operations: ['CREATE'], callbackUrl: `${receiver.url}/unused` }] })).body;

  expect(await heard('/ven-1', report1.id, 1)).toHaveLength(1);
  expect(await heard('/ven-1', resource1.id, 1)).toHaveLength(1);
  expect(await heard('/ven-1', ids.ven1, 1)).toHaveLength(1);
  expect(await heard('/ven-2', report2.id, 1)).toHaveLength(1);
  expect(await heard('/ven-2', resource2.id, 1)).toHaveLength(1);
  expect(await heard('/ven-2', subscription2.id, 1)).toHaveLength(1);
  expect(await heard('/bl', subscription2.id, 1)).toHaveLength(1);
  await settle();
  for (const id of [report2.id, resource2.id, subscription2.id]) expect(await heard('/ven-1', id, 0)).toEqual([]);
  for (const id of [report1.id, resource1.id, ids.ven1]) expect(await heard('/ven-2', id, 0)).toEqual([]);
});

test('of programs and events, a VEN hears of those its grant reaches, and learns only its granted targets', async () => {
  const granted = (await bl.post('/programs', { programName: 'targeted', targets: ['group-1', 'secret'] })).body;
  const hidden = (await bl.post('/programs', { programName: 'hidden', targets: ['group-2'] })).body;
  const resourceEvent = (await bl.post('/events', { programID: granted.id, eventName: 'resource', targets: ['res-1', 'other'] })).body;
  const openInHidden = (await bl.post('/events', { programID: hidden.id, eventName: 'open-in-hidden' })).body;

  const [program] = await heard('/ven-1', granted.id, 1);
  expect(program.object.targets).toEqual(['group-1']);
  expect(program.targets).toEqual(['group-1']);
  const [event] = await heard('/ven-1', resourceEvent.id, 1);
  expect(event).toMatchObject({ objectType: 'EVENT', operation: 'CREATE', targets: ['res-1'], object: { id: resourceEvent.id, targets: ['res-1'] } });
  // The BL learns every target.
  expect((await heard('/bl', resourceEvent.id, 1))[0]).toMatchObject({ targets: ['res-1', 'other'], object: { targets: ['res-1', 'other'] } });
  // ven-2 is granted group-2: the hidden program and its untargeted event are its, the others not.
  expect((await heard('/ven-2', hidden.id, 1))[0].targets).toEqual(['group-2']);
  expect(await heard('/ven-2', openInHidden.id, 1)).toHaveLength(1);

  await settle();
  expect(await heard('/ven-1', hidden.id, 0)).toEqual([]);
  expect(await heard('/ven-1', openInHidden.id, 0)).toEqual([]);
  expect(await heard('/ven-2', granted.id, 0)).toEqual([]);
  expect(await heard('/ven-2', resourceEvent.id, 0)).toEqual([]);
});

test("a VEN's subscription targets select among its granted targets only", async () => {
  const program = (await bl.post('/programs', { programName: 'filtered' })).body;
  const watch = async (client: ApiClient, path: string, targets: string[]) =>
    (await client.post('/subscriptions', { clientName: `targets${path}`, targets, objectOperations: [{ objects: ['EVENT'], operations: ['CREATE'], callbackUrl: `${receiver.url}${path}` }] })).status;
  // ven-1 names a target it was not granted: that one selects nothing.
  expect(await watch(ven1, '/ven-1-secret', ['secret'])).toBe(201);
  expect(await watch(ven1, '/ven-1-group', ['group-1', 'secret'])).toBe(201);
  expect(await watch(bl, '/bl-secret', ['secret'])).toBe(201);
  const secret = (await bl.post('/events', { programID: program.id, targets: ['secret', 'group-1'] })).body;
  expect((await heard('/ven-1-group', secret.id, 1))[0].targets).toEqual(['group-1']);
  expect(await heard('/bl-secret', secret.id, 1)).toHaveLength(1);
  await settle();
  expect(receiver.on('/ven-1-secret')).toEqual([]);
});

test("a report's programID is its event's: a subscription to a program hears of reports on its events", async () => {
  const program = (await bl.post('/programs', { programName: 'reported' })).body;
  const other = (await bl.post('/programs', { programName: 'reported-other' })).body;
  const event = (await bl.post('/events', { programID: program.id })).body;
  const otherEvent = (await bl.post('/events', { programID: other.id })).body;
  const watch = { clientName: 'reports-of-program', programID: program.id, objectOperations: [{ objects: ['REPORT'], operations: ['CREATE'], callbackUrl: `${receiver.url}/program-reports` }] };
  expect((await bl.post('/subscriptions', watch)).status).toBe(201);
  const report = (await ven1.post('/reports', { eventID: event.id, clientName: 'r', resources: [] })).body;
  const otherReport = (await ven1.post('/reports', { eventID: otherEvent.id, clientName: 'r', resources: [] })).body;
  expect(await heard('/program-reports', report.id, 1)).toHaveLength(1);
  await settle();
  expect(await heard('/program-reports', otherReport.id, 0)).toEqual([]);
});
