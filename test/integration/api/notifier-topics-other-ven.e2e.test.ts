import { ApiClient } from '../../support/api-client';

/**
 * Another client's ven does not exist for a VEN (GET /vens/{venID} is 404, ven-id-leak.e2e.test.ts):
 * the topic routes named by a ven answer it the same 404 as for an id nobody holds, so that they
 * do not tell which ven ids are in use.
 */

const TOPICS = '/notifiers/mqtt/topics';
const UNKNOWN = '0193f0a2-0000-7000-8000-00000000dead';

let bl: ApiClient;
let ven1: ApiClient;
let otherVenID: string;

beforeAll(async () => {
  process.env.VTN_MQTT_URIS = 'mqtts://broker.example.com:8883';
  bl = await ApiClient.start();
  ven1 = await bl.as('ven-1');
  await bl.post('/vens', { objectType: 'BL_VEN_REQUEST', venName: 'ven-one', clientID: 'ven-1' });
  otherVenID = (await bl.post('/vens', { objectType: 'BL_VEN_REQUEST', venName: 'ven-two', clientID: 'ven-2' })).body.id;
});
afterAll(async () => {
  delete process.env.VTN_MQTT_URIS;
  await bl.close();
});

test("a VEN asking for the topics of another client's ven is answered as for a ven that does not exist", async () => {
  expect((await ven1.get(`/vens/${otherVenID}`)).status).toBe(404);
  for (const suffix of ['', '/events', '/programs', '/resources']) {
    const other = await ven1.get(`${TOPICS}/vens/${otherVenID}${suffix}`);
    const unknown = await ven1.get(`${TOPICS}/vens/${UNKNOWN}${suffix}`);
    expect({ suffix, status: other.status, title: other.body.title }).toEqual({ suffix, status: unknown.status, title: unknown.body.title });
    expect(other.status).toBe(404);
  }
});
