import { ApiClient, itAnswersAsTheSpecSays } from '../../support/api-client';

let bl: ApiClient;
let ven1: ApiClient;
let ven2: ApiClient;
beforeAll(async () => {
  bl = await ApiClient.start();
  ven1 = await bl.as('ven-1');
  ven2 = await bl.as('ven-2');
});
afterAll(() => bl.close());

type Report = { id: string; [field: string]: any };
const ids = (objects: { id: string }[]) => objects.map((object) => object.id);
const fields = (body: { errors?: { field: string }[] }) => (body.errors ?? []).map((error) => error.field).sort();

let counter = 0;
const unique = (prefix: string) => `${prefix}-${++counter}`;

async function aProgram(): Promise<string> {
  return (await bl.post('/programs', { programName: unique('program') })).body.id;
}

async function anEvent(programID: string, fields: Record<string, unknown> = {}): Promise<string> {
  const { status, body } = await bl.post('/events', { programID, intervals: [{ id: 0, payloads: [{ type: 'PRICE', values: [0.1] }] }], ...fields });
  expect(status).toBe(201);
  return body.id;
}

function aReport(eventID: string, fields: Record<string, unknown> = {}) {
  return {
    eventID,
    clientName: 'meter-client',
    reportName: 'usage',
    resources: [{ resourceName: 'meter-1', intervals: [{ id: 0, payloads: [{ type: 'USAGE', values: [1.5] }] }] }],
    ...fields,
  };
}

async function reported(client: ApiClient, eventID: string, fields: Record<string, unknown> = {}): Promise<Report> {
  const { status, body } = await client.post('/reports', aReport(eventID, fields));
  expect(status).toBe(201);
  return body;
}

describe('writing reports', () => {
  let programID: string;
  let eventID: string;
  beforeAll(async () => {
    programID = await aProgram();
    eventID = await anEvent(programID);
  });

  test("a VEN creates a report: clientID is the caller's whatever it sends, and a programID it sends is kept as written", async () => {
    const request = aReport(eventID, { clientID: 'spoofed', programID: 'not-checked-by-3-1-0', objectType: 'WIDGET', id: 'mine' });
    const { status, body } = await ven1.post('/reports', request);
    expect(status).toBe(201);
    expect(body).toMatchObject({ objectType: 'REPORT', clientID: 'ven-1', eventID, programID: 'not-checked-by-3-1-0', clientName: 'meter-client', reportName: 'usage' });
    expect(body.id).not.toBe('mine');
    expect(body.resources).toEqual(request.resources);
    expect((await ven1.get(`/reports/${body.id}`)).body).toEqual(body);
    expect((await bl.get(`/reports/${body.id}`)).body).toEqual(body);
    // The minimal report of the User Guide (7.2-5): no resources data, no reportName.
    const minimal = await ven1.post('/reports', { eventID, clientName: 'myClient', resources: [] });
    expect([minimal.status, minimal.body.resources, minimal.body.reportName ?? null]).toEqual([201, [], null]);
  });

  test('a BL may not write reports (403); nobody without a token may read them (401)', async () => {
    for (const [method, path] of [['POST', '/reports'], ['PUT', '/reports/some-id'], ['DELETE', '/reports/some-id']] as const) {
      const response = await bl.request(method, path, { body: JSON.stringify(aReport(eventID)) });
      expect({ method, status: response.status }).toEqual({ method, status: 403 });
    }
    expect((await bl.anonymous().get('/reports')).status).toBe(401);
  });

  test('eventID, clientName and resources are required, and each resource has resourceName and intervals: 400 naming them', async () => {
    const empty = await ven1.post('/reports', {});
    expect([empty.status, fields(empty.body)]).toEqual([400, ['clientName', 'eventID', 'resources']]);
    const resource = await ven1.post('/reports', aReport(eventID, { resources: [{}] }));
    expect([resource.status, fields(resource.body)]).toEqual([400, ['resources[0].intervals', 'resources[0].resourceName']]);
    const typed = await ven1.post('/reports', aReport(eventID, { clientName: '', reportName: 7, payloadDescriptors: [{ payloadType: 'USAGE' }] }));
    expect([typed.status, fields(typed.body)]).toEqual([400, ['clientName', 'payloadDescriptors[0].objectType', 'reportName']]);
  });

  test('the event must exist and be visible to the VEN: an unknown or invisible event is 400 naming eventID', async () => {
    const unknown = await ven1.post('/reports', aReport('no-such-event'));
    expect([unknown.status, fields(unknown.body)]).toEqual([400, ['eventID']]);
    const hidden = await anEvent(programID, { targets: ['somewhere-else'] });
    const invisible = await ven1.post('/reports', aReport(hidden));
    expect([invisible.status, fields(invisible.body)]).toEqual([400, ['eventID']]);
    expect(invisible.body.detail ?? JSON.stringify(invisible.body.errors)).not.toContain('target');
    const mine = await reported(ven1, eventID);
    for (const other of ['no-such-event', hidden]) {
      const moved = await ven1.put(`/reports/${mine.id}`, aReport(other));
      expect([moved.status, fields(moved.body)]).toEqual([400, ['eventID']]);
    }
    expect((await ven1.get(`/reports?eventID=${hidden}`)).body).toEqual([]);
  });

  test('what a VEN wrote comes back exactly: numbers, payload values, UTC interval periods, durations as written', async () => {
    const resources =
      '[{"resourceName":"AGGREGATED_REPORT","intervalPeriod":{"start":"2024-06-15T09:30:00+02:00","duration":"PT15M","randomizeStart":"PT0.5S"},' +
      '"intervals":[{"id":0,"intervalPeriod":{"start":"2024-06-15T09:30:00.250-05:30","duration":"P1D"},' +
      '"payloads":[{"type":"USAGE","values":[0.1,1E2,9007199254740991,-0.0001,1.7976931348623157e308,3]},{"type":"DATA_QUALITY","values":["MISSING",true,{"x":1.5,"y":-2}]}],"note":"kept"},' +
      '{"id":2147483647,"intervalPeriod":{"duration":"P1W"},"payloads":[]},{"id":-1,"intervalPeriod":{"start":"0001-01-01","duration":"P9999Y"},"payloads":[]},' +
      '{"id":3,"intervalPeriod":{"duration":"PT90M"},"payloads":[]},{"id":4,"intervalPeriod":{"duration":"PT36H"},"payloads":[]},{"id":5,"intervalPeriod":{"duration":"P1Y2M"},"payloads":[]}]}]';
    const descriptors = '[{"objectType":"REPORT_PAYLOAD_DESCRIPTOR","payloadType":"USAGE","readingType":"DIRECT_READ","units":"KWH","accuracy":0.25,"confidence":100}]';
    const text = `{"eventID":"${eventID}","clientName":"exact","reportName":"exactly","payloadDescriptors":${descriptors},"resources":${resources},"extra":{"nested":[1E-7]}}`;
    const { status, body } = await ven1.request('POST', '/reports', { body: text });
    expect(status).toBe(201);
    const [resource] = body.resources;
    expect(resource.intervalPeriod).toEqual({ start: '2024-06-15T07:30:00Z', duration: 'PT15M', randomizeStart: 'PT0.5S' });
    expect(resource.intervals.map((interval: { intervalPeriod: unknown }) => interval.intervalPeriod)).toEqual([
      { start: '2024-06-15T15:00:00.25Z', duration: 'P1D' },
      { duration: 'P1W' },
      { start: '0001-01-01T00:00:00Z', duration: 'P9999Y' },
      { duration: 'PT90M' },
      { duration: 'PT36H' },
      { duration: 'P1Y2M' },
    ]);
    expect(resource.intervals[0].payloads).toEqual([
      { type: 'USAGE', values: [0.1, 100, 9007199254740991, -0.0001, 1.7976931348623157e308, 3] },
      { type: 'DATA_QUALITY', values: ['MISSING', true, { x: 1.5, y: -2 }] },
    ]);
    expect(resource.intervals[0].note).toBe('kept');
    expect(resource.intervals.map((interval: { id: number }) => interval.id)).toEqual([0, 2147483647, -1, 3, 4, 5]);
    expect(body.payloadDescriptors).toEqual(JSON.parse(descriptors));
    expect(body.extra).toEqual({ nested: [1e-7] });
    expect((await ven1.get(`/reports/${body.id}`)).body).toEqual(body);
    expect((await bl.get(`/reports?eventID=${eventID}&clientName=exact`)).body).toEqual([body]);
  });

  test("PUT replaces a VEN's report and keeps id, clientID and createdDateTime; DELETE returns it; unknown ids are 404", async () => {
    const created = await reported(ven1, eventID);
    const { status, body } = await ven1.put(`/reports/${created.id}`, aReport(eventID, { clientName: 'renamed', clientID: 'spoofed', resources: [] }));
    expect(status).toBe(200);
    expect(body).toMatchObject({ id: created.id, clientID: 'ven-1', clientName: 'renamed', resources: [], createdDateTime: created.createdDateTime });
    expect(body.modificationDateTime > created.modificationDateTime).toBe(true);
    expect((await ven1.delete(`/reports/${created.id}`)).body).toEqual(body);
    for (const [method, request] of [['GET'], ['PUT', aReport(eventID)], ['DELETE']] as const) {
      const response = await ven1.request(method, `/reports/${created.id}`, { body: request && JSON.stringify(request) });
      expect({ method, status: response.status }).toEqual({ method, status: 404 });
    }
    // Existence comes first: an unknown report is 404 whatever the body.
    expect((await ven1.put(`/reports/${created.id}`, {})).status).toBe(404);
    expect((await ven1.get('/reports/bad%2Fid')).status).toBe(400);
  });
});

describe('privacy: a VEN sees and changes only its own reports; a BL reads all', () => {
  test("another VEN's report is 404 by id for GET, PUT and DELETE, and absent from lists", async () => {
    const eventID = await anEvent(await aProgram());
    const mine = await reported(ven1, eventID, { clientName: 'shared-name' });
    const theirs = await reported(ven2, eventID, { clientName: 'shared-name' });
    expect(ids((await ven1.get(`/reports?eventID=${eventID}`)).body)).toEqual([mine.id]);
    expect(ids((await ven2.get(`/reports?eventID=${eventID}&clientName=shared-name`)).body)).toEqual([theirs.id]);
    expect(ids((await ven1.get('/reports?clientName=shared-name')).body)).toEqual([mine.id]);
    expect(ids((await ven1.get('/reports')).body)).not.toContain(theirs.id);
    for (const [method, request] of [['GET'], ['PUT', aReport(eventID)], ['DELETE']] as const) {
      const response = await ven1.request(method, `/reports/${theirs.id}`, { body: request && JSON.stringify(request) });
      expect({ method, status: response.status }).toEqual({ method, status: 404 });
    }
    expect((await ven2.get(`/reports/${theirs.id}`)).body).toEqual(theirs);
    expect(ids((await bl.get(`/reports?eventID=${eventID}`)).body).sort()).toEqual([mine.id, theirs.id].sort());
    expect((await bl.get(`/reports/${theirs.id}`)).body).toEqual(theirs);
  });
});

describe('reports outlive their events and programs', () => {
  test('deleting the event, then its program, keeps its reports; programID and eventID still find them', async () => {
    const programID = await aProgram();
    const eventID = await anEvent(programID);
    const report = await reported(ven1, eventID);
    expect((await bl.delete(`/events/${eventID}`)).status).toBe(200);
    expect((await ven1.get(`/reports/${report.id}`)).body).toEqual(report);
    expect(ids((await bl.get(`/reports?programID=${programID}`)).body)).toEqual([report.id]);
    expect(ids((await ven1.get(`/reports?eventID=${eventID}&programID=${programID}`)).body)).toEqual([report.id]);
    // Naming the same, deleted, event, a VEN may still correct its report; it keeps its program.
    const corrected = await ven1.put(`/reports/${report.id}`, aReport(eventID, { reportName: 'corrected' }));
    expect([corrected.status, corrected.body.reportName]).toEqual([200, 'corrected']);
    expect((await bl.delete(`/programs/${programID}`)).status).toBe(200);
    expect(ids((await bl.get(`/reports?programID=${programID}`)).body)).toEqual([report.id]);
    expect(ids((await ven1.get(`/reports?programID=${programID}&clientName=meter-client`)).body)).toEqual([report.id]);
    expect(ids((await bl.get(`/reports?programID=${programID}&clientName=meter-client&eventID=${eventID}`)).body)).toEqual([report.id]);
    expect((await bl.get(`/reports/${report.id}`)).body).toEqual(corrected.body);
    // A new report may not name the deleted event.
    expect(fields((await ven1.post('/reports', aReport(eventID))).body)).toEqual(['eventID']);
  });

  test("a report keeps the program its event had when written; a new eventID takes the new event's program", async () => {
    const [first, second] = [await aProgram(), await aProgram()];
    const eventID = await anEvent(first);
    const before = await reported(ven1, eventID);
    expect((await bl.put(`/events/${eventID}`, { programID: second, intervals: [{ id: 0, payloads: [{ type: 'PRICE', values: [0.2] }] }] })).status).toBe(200);
    const after = await reported(ven1, eventID);
    expect(ids((await bl.get(`/reports?programID=${first}`)).body)).toEqual([before.id]);
    expect(ids((await bl.get(`/reports?programID=${second}`)).body)).toEqual([after.id]);
    expect(ids((await ven1.get(`/reports?programID=${first}&eventID=${eventID}`)).body)).toEqual([before.id]);
    const otherEvent = await anEvent(first);
    await ven1.put(`/reports/${after.id}`, aReport(otherEvent));
    expect(ids((await bl.get(`/reports?programID=${first}`)).body).sort()).toEqual([before.id, after.id].sort());
    expect((await bl.get(`/reports?programID=${second}`)).body).toEqual([]);
  });
});

describe('GET filters by programID, eventID and clientName, combined, and pages', () => {
  const reports: Report[] = [];
  const programs: string[] = [];
  const events: string[] = [];
  // Names that share a start, and hold the characters the index keys escape.
  const names = ['filter', 'filter|x', 'filter%7Cx', 'filter|'];
  beforeAll(async () => {
    programs.push(await aProgram(), await aProgram());
    events.push(await anEvent(programs[0]), await anEvent(programs[0]), await anEvent(programs[1]));
    for (const client of [ven1, ven2]) for (const eventID of events) for (const clientName of names) reports.push(await reported(client, eventID, { clientName }));
  });

  const programOf = (report: Report) => (events.indexOf(report.eventID) < 2 ? programs[0] : programs[1]);
  const queries = () => {
    const all: Record<string, string>[] = [];
    for (const programID of [undefined, ...programs]) {
      for (const eventID of [undefined, events[0], events[2]]) {
        for (const clientName of [undefined, names[0], names[1], names[2]]) {
          const query: Record<string, string> = {};
          if (programID) query.programID = programID;
          if (eventID) query.eventID = eventID;
          if (clientName) query.clientName = clientName;
          all.push(query);
        }
      }
    }
    return all;
  };
  const matching = (query: Record<string, string>, clientID?: string) =>
    reports.filter(
      (report) =>
        (query.programID === undefined || programOf(report) === query.programID) &&
        (query.eventID === undefined || report.eventID === query.eventID) &&
        (query.clientName === undefined || report.clientName === query.clientName) &&
        (clientID === undefined || report.clientID === clientID),
    );

  async function pagesOf(client: ApiClient, query: Record<string, string>, limit: number): Promise<string[]> {
    const found: string[] = [];
    for (let skip = 0; ; skip += limit) {
      const { status, body } = await client.get(`/reports?${new URLSearchParams({ ...query, skip: String(skip), limit: String(limit) })}`);
      expect(status).toBe(200);
      found.push(...ids(body));
      if (body.length < limit) return found;
    }
  }

  test.each([
    ['a BL', () => bl, undefined],
    ['a VEN', () => ven1, 'ven-1'],
  ])('%s: every combination finds exactly the matching reports, and pages of 5 add up to the whole list', async (_who, client, clientID) => {
    for (const query of queries()) {
      const { body } = await client().get(`/reports?${new URLSearchParams(query)}`);
      const expected = ids(matching(query, clientID)).sort();
      // Without a filter, the other tests' reports are there too.
      if (Object.keys(query).length === 0) {
        expect(ids(body)).toEqual(expect.arrayContaining(expected));
        if (clientID) expect(new Set(body.map((report: Report) => report.clientID))).toEqual(new Set([clientID]));
      } else expect({ query, found: ids(body).sort() }).toEqual({ query, found: expected });
      if (expected.length > 0 && expected.length <= 50) expect({ query, pages: await pagesOf(client(), query, 5) }).toEqual({ query, pages: ids(body) });
    }
  });

  test('a list is in a stable order, by id within one client and clientName (ids sort by creation)', async () => {
    const own = (await ven1.get(`/reports?clientName=${encodeURIComponent(names[1])}`)).body as Report[];
    expect(own.length).toBe(events.length);
    expect(ids(own)).toEqual([...ids(own)].sort());
    expect((await ven1.get(`/reports?clientName=${encodeURIComponent(names[1])}&skip=1&limit=1`)).body).toEqual([own[1]]);
    expect((await ven1.get(`/reports?clientName=${encodeURIComponent(names[1])}&limit=0`)).body).toEqual([]);
    expect((await ven1.get(`/reports?clientName=${encodeURIComponent(names[1])}&skip=99`)).body).toEqual([]);
  });

  test('bad filters are 400 naming each', async () => {
    const bad = await bl.get('/reports?programID=a%2Fb&eventID=&clientName=&limit=51&skip=-1');
    expect([bad.status, fields(bad.body)]).toEqual([400, ['clientName', 'eventID', 'limit', 'programID', 'skip']]);
    expect(fields((await bl.get(`/reports?eventID=${events[0]}&eventID=${events[1]}`)).body)).toEqual(['eventID']);
  });
});

itAnswersAsTheSpecSays(() => bl);
