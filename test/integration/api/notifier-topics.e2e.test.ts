import { ApiClient, itAnswersAsTheSpecSays } from '../../support/api-client';

/** The twelve topic routes of openadr3.yaml and GET /notifiers, for each kind of caller. */

const TOPICS = '/notifiers/mqtt/topics';
const UNKNOWN = '0193f0a2-0000-7000-8000-00000000dead';

/** The names a route answers below `base` (without the prefix); single objects have no CREATE. */
function names(base: string, withCreate = true) {
  const at = `openadr3/${base}`;
  return { ...(withCreate ? { CREATE: `${at}/create` } : {}), UPDATE: `${at}/update`, DELETE: `${at}/delete`, ALL: `${at}/+` };
}

describe('with an MQTT binding', () => {
  let bl: ApiClient;
  let ven1: ApiClient;
  let ven2: ApiClient;
  let ven1ID: string;
  let otherVenID: string;
  let open: string;
  let granted: string;
  let hidden: string;

  beforeAll(async () => {
    // Advertised only: the routes need no running broker.
    process.env.VTN_MQTT_URIS = 'mqtts://broker.example.com:8883';
    bl = await ApiClient.start();
    ven1 = await bl.as('ven-1');
    // ven-2 registers no ven in this file.
    ven2 = await bl.as('ven-2');
    ven1ID = (await bl.post('/vens', { objectType: 'BL_VEN_REQUEST', venName: 'ven-one', clientID: 'ven-1', targets: ['group1'] })).body.id;
    otherVenID = (await bl.post('/vens', { objectType: 'BL_VEN_REQUEST', venName: 'ven-three', clientID: 'ven-3', targets: ['group1'] })).body.id;
    open = (await bl.post('/programs', { programName: 'open' })).body.id;
    granted = (await bl.post('/programs', { programName: 'granted', targets: ['group1', 'secret'] })).body.id;
    hidden = (await bl.post('/programs', { programName: 'hidden', targets: ['group9'] })).body.id;
  });
  afterAll(async () => {
    delete process.env.VTN_MQTT_URIS;
    await bl.close();
  });

  test('GET /notifiers offers MQTT with bearer-token authentication, the username being the client id', async () => {
    const expected = {
      WEBHOOK: true,
      MQTT: { URIS: ['mqtts://broker.example.com:8883'], serialization: 'JSON', authentication: { method: 'OAUTH2_BEARER_TOKEN', username: '{clientID}' } },
    };
    expect(await bl.get('/notifiers')).toMatchObject({ status: 200, body: expected });
    expect(await ven2.get('/notifiers')).toMatchObject({ status: 200, body: expected });
  });

  test("a BL gets the whole VTN's names on every route", async () => {
    const expected: [string, object][] = [
      ['/programs', names('programs')],
      [`/programs/${open}`, names(`programs/${open}`, false)],
      [`/programs/${hidden}/events`, names(`programs/${hidden}/events`)],
      ['/events', names('events')],
      ['/reports', names('reports')],
      ['/subscriptions', names('subscriptions')],
      ['/vens', names('vens')],
      ['/resources', names('resources')],
      [`/vens/${otherVenID}`, names(`vens/${otherVenID}`, false)],
      [`/vens/${otherVenID}/events`, names(`vens/${otherVenID}/events`)],
      [`/vens/${ven1ID}/programs`, names(`vens/${ven1ID}/programs`)],
      [`/vens/${ven1ID}/resources`, names(`vens/${ven1ID}/resources`)],
    ];
    for (const [path, topics] of expected) {
      const response = await bl.get(`${TOPICS}${path}`);
      expect({ path, status: response.status, body: response.body }).toEqual({ path, status: 200, body: { topics } });
    }
  });

  test("a VEN asking for program topics gets the names under its own ven, for programs it may read; its own ven's names; 404 for another's", async () => {
    const expected: [string, number, object?][] = [
      ['/programs', 200, names(`vens/${ven1ID}/programs`)],
      [`/programs/${granted}`, 200, names(`vens/${ven1ID}/programs/${granted}`, false)],
      [`/programs/${open}/events`, 200, names(`vens/${ven1ID}/programs/${open}/events`)],
      [`/programs/${hidden}`, 404],
      [`/programs/${hidden}/events`, 404],
      [`/vens/${ven1ID}`, 200, names(`vens/${ven1ID}`, false)],
      [`/vens/${ven1ID}/events`, 200, names(`vens/${ven1ID}/events`)],
      [`/vens/${ven1ID}/programs`, 200, names(`vens/${ven1ID}/programs`)],
      [`/vens/${ven1ID}/resources`, 200, names(`vens/${ven1ID}/resources`)],
      [`/vens/${otherVenID}`, 404],
      [`/vens/${otherVenID}/events`, 404],
      [`/vens/${otherVenID}/programs`, 404],
      [`/vens/${otherVenID}/resources`, 404],
      // BL-only (read_bl), refused by scope.
      ['/events', 403],
      ['/reports', 403],
      ['/subscriptions', 403],
      ['/vens', 403],
      ['/resources', 403],
    ];
    for (const [path, status, topics] of expected) {
      const response = await ven1.get(`${TOPICS}${path}`);
      expect({ path, status: response.status, topics: response.body?.topics }).toEqual({ path, status, topics });
    }
    expect((await ven1.get(`${TOPICS}/events`)).body.detail).toContain('read_bl');
  });

  test('a VEN without a ven is told its program topics exist once it registers one', async () => {
    for (const path of ['/programs', `/programs/${open}`, `/programs/${open}/events`]) {
      const response = await ven2.get(`${TOPICS}${path}`);
      expect({ path, status: response.status }).toEqual({ path, status: 404 });
      expect(response.body.detail).toMatch(/no ven yet.*registers one/);
    }
    // A program it may not read is 404 as ever.
    expect((await ven2.get(`${TOPICS}/programs/${granted}`)).body.detail).toBe(`program ${granted} does not exist`);
  });

  test('unknown ids are 404, malformed ones 400 naming the parameter', async () => {
    for (const client of [bl, ven1]) {
      for (const path of [`/programs/${UNKNOWN}`, `/programs/${UNKNOWN}/events`, `/vens/${UNKNOWN}`, `/vens/${UNKNOWN}/events`, `/vens/${UNKNOWN}/programs`, `/vens/${UNKNOWN}/resources`]) {
        expect({ path, status: (await client.get(`${TOPICS}${path}`)).status }).toEqual({ path, status: 404 });
      }
      for (const [path, field] of [['/programs/not.an.id', 'programID'], ['/programs/not.an.id/events', 'programID'], ['/vens/not.an.id', 'venID'], ['/vens/not.an.id/resources', 'venID']]) {
        const response = await client.get(`${TOPICS}${path}`);
        expect({ path, status: response.status, fields: response.body.errors?.map((issue: { field: string }) => issue.field) }).toEqual({ path, status: 400, fields: [field] });
      }
    }
  });

  test('no token is 401 on every topic route', async () => {
    expect((await bl.anonymous().get(`${TOPICS}/programs`)).status).toBe(401);
    expect((await bl.anonymous().get(`${TOPICS}/vens/${ven1ID}/events`)).status).toBe(401);
  });

  itAnswersAsTheSpecSays(() => bl);
});

describe('without an MQTT binding', () => {
  let bl: ApiClient;
  beforeAll(async () => {
    delete process.env.VTN_MQTT_URIS;
    bl = await ApiClient.start();
  });
  afterAll(async () => {
    await bl.close();
  });

  test('GET /notifiers offers webhooks only, and every topic route is 404', async () => {
    expect(await bl.get('/notifiers')).toMatchObject({ status: 200, body: { WEBHOOK: true } });
    expect((await bl.get('/notifiers')).body).not.toHaveProperty('MQTT');
    const ven = (await bl.post('/vens', { objectType: 'BL_VEN_REQUEST', venName: 'v', clientID: 'ven-1' })).body.id;
    const program = (await bl.post('/programs', { programName: 'p' })).body.id;
    const paths = ['programs', `programs/${program}`, `programs/${program}/events`, 'events', 'reports', 'subscriptions', 'vens', `vens/${ven}`, 'resources', `vens/${ven}/events`, `vens/${ven}/programs`, `vens/${ven}/resources`];
    for (const path of paths) {
      const response = await bl.get(`${TOPICS}/${path}`);
      expect({ path, status: response.status, detail: response.body.detail }).toEqual({ path, status: 404, detail: expect.stringContaining('no MQTT notifier binding') });
    }
  });

  itAnswersAsTheSpecSays(() => bl);
});
