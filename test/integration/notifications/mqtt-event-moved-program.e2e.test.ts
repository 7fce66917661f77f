import { Inbox, subscribe, vtnWithBroker } from '../../support/mqtt-clients';

/**
 * An event moved to another program (PUT /events/{eventID} with another programID) leaves the
 * first program: whoever follows that program's event topics
 * (GET /notifiers/mqtt/topics/programs/{programID}/events) hears of the change, or it keeps the
 * event among that program's for ever.
 */


const vtn = vtnWithBroker();

test("an event moved to another program is heard of on its former program's event topics", async () => {
  const first = (await vtn.api.post('/programs', { programName: 'first' })).body.id;
  const second = (await vtn.api.post('/programs', { programName: 'second' })).body.id;
  const topics = (await vtn.api.get(`/notifiers/mqtt/topics/programs/${first}/events`)).body.topics;
  const bl = await vtn.clients.connect('bl-1');
  const inbox = new Inbox(bl);
  expect(await subscribe(bl, topics.ALL)).toEqual([1]);
  const event = (await vtn.api.post('/events', { programID: first, eventName: 'moving' })).body.id;
  await inbox.on(topics.CREATE, event);

  expect((await vtn.api.put(`/events/${event}`, { programID: second, eventName: 'moving' })).status).toBe(200);
  const heard = await inbox.next(`an UPDATE or DELETE of ${event} on ${topics.ALL}`, (message) => message.body.object.id === event && message.body.operation !== 'CREATE');
  expect(heard.topic).toMatch(new RegExp(`^openadr3/programs/${first}/events/`));
});
