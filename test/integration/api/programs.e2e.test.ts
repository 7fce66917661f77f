import { ApiClient, itAnswersAsTheSpecSays } from '../../support/api-client';

let api: ApiClient;
beforeAll(async () => {
  api = await ApiClient.start();
});
afterAll(() => api.close());

let nameCounter = 0;
const uniqueName = () => `program-${process.pid}-${++nameCounter}`;

describe('POST /programs', () => {
  test('creates a program: 201, server-set metadata, the client fields back exactly', async () => {
    const request = {
      programName: uniqueName(),
      intervalPeriod: { start: '2024-06-01T02:00:00+02:00', duration: 'P1Y', randomizeStart: 'PT5M' },
      programDescriptions: [{ URL: 'https://example.com/program' }],
      payloadDescriptors: [
        { objectType: 'EVENT_PAYLOAD_DESCRIPTOR', payloadType: 'PRICE', units: 'KWH', currency: 'USD' },
        { objectType: 'REPORT_PAYLOAD_DESCRIPTOR', payloadType: 'USAGE', readingType: 'DIRECT_READ', units: 'KWH', accuracy: 0.5, confidence: 90 },
      ],
      attributes: [{ type: 'LOCATION', values: [1.5, 'north', true, { x: 1, y: 2.25 }] }],
      targets: ['group-a'],
      // Server fields a client may not set.
      id: 'chosen-by-client',
      createdDateTime: '2000-01-01T00:00:00Z',
      objectType: 'EVENT',
    };
    const before = Date.now();
    const { status, body } = await api.post('/programs', request);

    expect(status).toBe(201);
    expect(body.id).toMatch(/^[a-zA-Z0-9_-]{1,128}$/);
    expect(body.id).not.toBe('chosen-by-client');
    expect(body.objectType).toBe('PROGRAM');
    expect(Date.parse(body.createdDateTime)).toBeGreaterThanOrEqual(before - 1000);
    expect(body.modificationDateTime).toBe(body.createdDateTime);
    expect(body.intervalPeriod).toEqual({ start: '2024-06-01T00:00:00Z', duration: 'P1Y', randomizeStart: 'PT5M' });
    expect(body.payloadDescriptors).toEqual(request.payloadDescriptors);
    expect(body.attributes).toEqual(request.attributes);
    expect(body.programDescriptions).toEqual(request.programDescriptions);
    expect((await api.get(`/programs/${body.id}`)).body).toEqual(body);
  });

  test('a duplicate programName is 409 and creates nothing', async () => {
    const programName = uniqueName();
    expect((await api.post('/programs', { programName })).status).toBe(201);
    const { status, body } = await api.post('/programs', { programName });
    expect(status).toBe(409);
    expect(body.detail).toContain(programName);
    const all = (await api.get('/programs')).body as { programName: string }[];
    expect(all.filter((program) => program.programName === programName)).toHaveLength(1);
  });

  test('an invalid body is 400 naming each bad field, and nothing is written', async () => {
    const before = (await api.get('/programs')).body.length;
    const { status, body } = await api.post('/programs', {
      programName: '',
      intervalPeriod: { start: 'yesterday', duration: 'one hour' },
      targets: 'group-a',
      payloadDescriptors: [{ objectType: 'EVENT_PAYLOAD_DESCRIPTOR' }],
    });
    expect(status).toBe(400);
    expect(body).toMatchObject({ type: 'about:blank', title: 'Bad Request', status: 400 });
    expect(body.instance).toBe(`${api.baseUrl}/programs`);
    const fields = body.errors.map((error: { field: string }) => error.field);
    expect(fields).toEqual(
      expect.arrayContaining(['programName', 'intervalPeriod.start', 'intervalPeriod.duration', 'targets', 'payloadDescriptors[0].payloadType']),
    );
    expect((await api.get('/programs')).body.length).toBe(before);
  });

  test('a date-time past year 9999 once in UTC is 400 naming it, and every program stays readable', async () => {
    const { status, body } = await api.post('/programs', { programName: uniqueName(), intervalPeriod: { start: '9999-12-31T23:30:00-01:00' } });
    expect(status).toBe(400);
    expect(body.errors).toEqual([{ field: 'intervalPeriod.start', reason: expect.stringContaining('0000-9999') }]);
    expect((await api.get('/programs')).status).toBe(200);
  });

  test('a missing programName is 400', async () => {
    const { status, body } = await api.post('/programs', { targets: ['x'] });
    expect(status).toBe(400);
    expect(body.errors).toEqual([{ field: 'programName', reason: 'is required' }]);
  });

  test('a programName with a lone surrogate, which DynamoDB could not store, is 400 naming it', async () => {
    const { status, body } = await api.request('POST', '/programs', { body: '{"programName": "\\ud800"}' });
    expect(status).toBe(400);
    expect(body.errors).toEqual([{ field: 'programName', reason: 'must be valid Unicode (lone surrogate)' }]);
    expect((await api.get('/programs')).body.filter((program: { programName: string }) => program.programName === '\ud800')).toEqual([]);
  });
});

describe('GET /programs', () => {
  test('pages with skip and limit in creation order', async () => {
    const names = [uniqueName(), uniqueName(), uniqueName()];
    for (const programName of names) await api.post('/programs', { programName });
    const all = (await api.get('/programs')).body.map((program: { programName: string }) => program.programName);
    const start = all.indexOf(names[0]);
    expect(all.slice(start, start + 3)).toEqual(names);

    const page = await api.get(`/programs?skip=${start + 1}&limit=2`);
    expect(page.body.map((program: { programName: string }) => program.programName)).toEqual(names.slice(1));
    expect((await api.get('/programs?limit=0')).body).toEqual([]);
  });

  test('targets keeps programs with any of the given targets; untargeted ones never match', async () => {
    const tag = `t-${process.pid}`;
    const north = (await api.post('/programs', { programName: uniqueName(), targets: [`${tag}-north`, 'common'] })).body;
    const south = (await api.post('/programs', { programName: uniqueName(), targets: [`${tag}-south`] })).body;
    await api.post('/programs', { programName: uniqueName() });

    const one = await api.get(`/programs?targets=${tag}-north`);
    expect(one.body.map((program: { id: string }) => program.id)).toEqual([north.id]);
    const either = await api.get(`/programs?targets=${tag}-north&targets=${tag}-south`);
    expect(either.body.map((program: { id: string }) => program.id)).toEqual([north.id, south.id]);
    expect((await api.get(`/programs?targets=${tag}-none`)).body).toEqual([]);
  });

  test('targets takes up to 50 distinct values; 51 is 400 naming targets', async () => {
    const targets = (count: number) => Array.from({ length: count }, (_, i) => `targets=t${i}`).join('&');
    expect((await api.get(`/programs?${targets(50)}&targets=t0`)).status).toBe(200);
    const { status, body } = await api.get(`/programs?${targets(51)}`);
    expect(status).toBe(400);
    expect(body.errors).toEqual([{ field: 'targets', reason: 'must have at most 50 distinct values, got 51' }]);
  });

  test.each([
    ['skip=-1', 'skip'],
    ['limit=51', 'limit'],
    ['limit=-1', 'limit'],
    ['limit=ten', 'limit'],
    ['skip=1.5', 'skip'],
    ['limit=1&limit=2', 'limit'],
    ['targets=', 'targets'],
    [`targets=${'x'.repeat(129)}`, 'targets'],
  ])('%s is 400 naming %s', async (query, field) => {
    const { status, body } = await api.get(`/programs?${query}`);
    expect(status).toBe(400);
    expect(body.errors.map((error: { field: string }) => error.field)).toEqual([field]);
  });
});

describe('GET, PUT, DELETE /programs/{programID}', () => {
  test('unknown ids are 404; malformed ids are 400 naming programID', async () => {
    const missing = await api.get('/programs/does-not-exist');
    expect(missing.status).toBe(404);
    expect(missing.body.detail).toContain('does-not-exist');
    expect((await api.delete('/programs/does-not-exist')).status).toBe(404);
    const malformed = await api.get('/programs/not%20an%20id');
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors[0].field).toBe('programID');
    expect((await api.get(`/programs/${'x'.repeat(129)}`)).status).toBe(400);
  });

  test('PUT replaces the client fields, keeps id and createdDateTime, advances modificationDateTime', async () => {
    const created = (await api.post('/programs', { programName: uniqueName(), targets: ['a'] })).body;
    const renamed = uniqueName();
    const { status, body } = await api.put(`/programs/${created.id}`, {
      programName: renamed,
      payloadDescriptors: [{ objectType: 'EVENT_PAYLOAD_DESCRIPTOR', payloadType: 'SIMPLE' }],
      id: 'ignored',
      createdDateTime: '2000-01-01T00:00:00Z',
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({ id: created.id, createdDateTime: created.createdDateTime, programName: renamed, objectType: 'PROGRAM' });
    expect(body.targets).toBeUndefined();
    expect(Date.parse(body.modificationDateTime)).toBeGreaterThan(Date.parse(created.modificationDateTime));
    expect((await api.get(`/programs/${created.id}`)).body).toEqual(body);
  });

  test('renaming onto a taken programName is 409 and changes nothing', async () => {
    const taken = (await api.post('/programs', { programName: uniqueName() })).body;
    const other = (await api.post('/programs', { programName: uniqueName() })).body;
    const { status } = await api.put(`/programs/${other.id}`, { programName: taken.programName });
    expect(status).toBe(409);
    expect((await api.get(`/programs/${other.id}`)).body).toEqual(other);
  });

  test('PUT to an unknown id is 404, whatever the body', async () => {
    expect((await api.put('/programs/unknown-id', { programName: uniqueName() })).status).toBe(404);
    expect((await api.put('/programs/unknown-id', { programName: 7 })).status).toBe(404);
  });

  test('an invalid PUT is 400 and leaves the program as it was', async () => {
    const created = (await api.post('/programs', { programName: uniqueName() })).body;
    const { status, body } = await api.put(`/programs/${created.id}`, { programName: uniqueName(), targets: [''] });
    expect(status).toBe(400);
    expect(body.errors[0].field).toBe('targets[0]');
    expect((await api.get(`/programs/${created.id}`)).body).toEqual(created);
  });

  test('DELETE answers the deleted program, which is gone afterwards, with its events', async () => {
    const program = (await api.post('/programs', { programName: uniqueName() })).body;
    const event = (await api.post('/events', { programID: program.id, intervals: [] })).body;
    const { status, body } = await api.delete(`/programs/${program.id}`);
    expect(status).toBe(200);
    expect(body).toEqual(program);
    expect((await api.get(`/programs/${program.id}`)).status).toBe(404);
    expect((await api.get(`/events/${event.id}`)).status).toBe(404);
    expect((await api.get(`/events?programID=${program.id}`)).body).toEqual([]);
    // The name is free again.
    expect((await api.post('/programs', { programName: program.programName })).status).toBe(201);
  });
});

itAnswersAsTheSpecSays(() => api);
