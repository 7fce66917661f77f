import { ApiClient } from '../../support/api-client';
import { Inbox, MqttClients, subscribe } from '../../support/mqtt-clients';

/**
 * An event moved to another program (PUT /events/{eventID} with another programID) leaves the
 * first program: whoever follows that program's event topics
 * (GET /notifiers/mqtt/topics/programs/{programID}/events) hears of the change, or it keeps the
 * event among that program's for ever.
 */

let api: ApiClient;
let clients: MqttClients;

beforeAll(async () => {
  api = await ApiClient.start({ mqttPort: 0 });
  clients = new MqttClients(api);
});
afterEach(() => clients.endAll());
afterAll(() => api.close());

test("an event moved to another program is heard of on its former program's event topics", async () => {
  const first = (await api.post('/programs', { programName: 'first' })).body.id;
  const second = (await api.post('/programs', { programName: 'second' })).body.id;
  const topics = (await api.get(`/notifiers/mqtt/topics/programs/${first}/events`)).body.topics;
  const bl = await clients.connect('bl-1');
  const inbox = new Inbox(bl);
  expect(await subscribe(bl, topics.ALL)).toEqual([1]);
  const event = (await api.post('/events', { programID: first, eventName: 'moving' })).body.id;
  await inbox.on(topics.CREATE, event);

  expect((await api.put(`/events/${event}`, { programID: second, eventName: 'moving' })).status).toBe(200);
  const heard = await inbox.next(`an UPDATE or DELETE of ${event} on ${topics.ALL}`, (message) => message.body.object.id === event && message.body.operation !== 'CREATE');
  expect(heard.topic).toMatch(new RegExp(`^openadr3/programs/${first}/events/`));
});
