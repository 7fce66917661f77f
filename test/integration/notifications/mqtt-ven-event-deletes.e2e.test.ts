import { Inbox, subscribe, vtnWithBroker } from '../../support/mqtt-clients';

/**
 * A VEN that heard of an event on its ven's event topics hears of its deletion there too, also
 * when the event goes with its program: the advertised `events/delete` names are otherwise left
 * stale for exactly the deletes the VTN reports to the BL topics (mqtt.e2e.test.ts).
 */

let venID: string;

const vtn = vtnWithBroker();

beforeAll(async () => {
  venID = (await vtn.api.post('/vens', { objectType: 'BL_VEN_REQUEST', venName: 'ven-one', clientID: 'ven-1', targets: ['group1'] })).body.id;
});

test("deleting a program tells each VEN that could read its events, on its ven's event topics, that they are deleted", async () => {
  const client = await vtn.clients.connect('ven-1');
  const inbox = new Inbox(client);
  const eventTopics = `openadr3/vens/${venID}/events/+`;
  const program = (await vtn.api.post('/programs', { programName: 'doomed', targets: ['group1'] })).body.id;
  const programEventTopics = `openadr3/vens/${venID}/programs/${program}/events/+`;
  expect(await subscribe(client, eventTopics, programEventTopics, `openadr3/vens/${venID}/programs/+`)).toEqual([1, 1, 1]);
  const event = (await vtn.api.post('/events', { programID: program, targets: ['group1'] })).body.id;
  await inbox.on(`openadr3/vens/${venID}/events/create`, event);

  expect((await vtn.api.delete(`/programs/${program}`)).status).toBe(200);
  await inbox.on(`openadr3/vens/${venID}/programs/delete`, program);
  expect((await inbox.on(`openadr3/vens/${venID}/events/delete`, event)).body).toMatchObject({ objectType: 'EVENT', operation: 'DELETE', targets: ['group1'] });
  await inbox.on(`openadr3/vens/${venID}/programs/${program}/events/delete`, event);
});
