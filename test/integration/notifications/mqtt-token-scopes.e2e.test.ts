import { subscribe, vtnWithBroker } from '../../support/mqtt-clients';

/**
 * On the broker, the access token is the reading credential, as on the API: a token its client
 * asked for with fewer scopes (POST /auth/token `scope`) reads no more over MQTT than over REST.
 * One without `read_targets` may not GET programs or events, so it may not hear of them either;
 * one without `read_ven_objects` may not GET its ven or resources.
 */

let venID: string;

const vtn = vtnWithBroker();

beforeAll(async () => {
  venID = (await vtn.api.post('/vens', { objectType: 'BL_VEN_REQUEST', venName: 'ven-one', clientID: 'ven-1', targets: ['group1'] })).body.id;
});

/** What a token gets: refused at CONNECT, or the SUBACK codes of `filters` (128: refused). */
async function outcome(token: string, filters: string[]): Promise<'connection refused' | number[]> {
  const client = await vtn.clients.connect('ven-1', { password: token }).catch(() => undefined);
  return client ? subscribe(client, ...filters) : 'connection refused';
}

test('a VEN token without read_targets or read_ven_objects may not subscribe to event topics', async () => {
  const narrow = await vtn.api.as('ven-1', 'write_reports');
  expect((await narrow.get('/events')).status).toBe(403);
  expect((await narrow.get(`/notifiers/mqtt/topics/vens/${venID}/events`)).status).toBe(403);
  // Without read_ven_objects either, which the routes naming these topics require.
  const filters = [`openadr3/vens/${venID}/events/+`, `openadr3/vens/${venID}/#`];
  expect(['connection refused', filters.map(() => 128)]).toContainEqual(await outcome(narrow.accessToken!, filters));
});

test('a VEN token without read_ven_objects may not subscribe to its ven or resource topics', async () => {
  const narrow = await vtn.api.as('ven-1', 'read_targets');
  expect((await narrow.get(`/vens/${venID}`)).status).toBe(403);
  expect((await narrow.get('/resources')).status).toBe(403);
  const filters = [`openadr3/vens/${venID}/+`, `openadr3/vens/${venID}/resources/+`];
  expect(['connection refused', filters.map(() => 128)]).toContainEqual(await outcome(narrow.accessToken!, filters));
});
