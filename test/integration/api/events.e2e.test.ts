import { Temporal } from 'temporal-polyfill';
import { ApiClient, itAnswersAsTheSpecSays } from '../../support/api-client';

let api: ApiClient;
let programID: string;
beforeAll(async () => {
  api = await ApiClient.start();
  programID = (await api.post('/programs', { programName: 'events-e2e' })).body.id;
});
afterAll(() => api.close());

const ids = (events: { id: string }[]) => events.map((event) => event.id);

async function newProgram(): Promise<string> {
  return (await api.post('/programs', { programName: `p-${Temporal.Now.instant().epochNanoseconds}` })).body.id;
}

describe('POST /events', () => {
  test('creates an event; times come back in canonical UTC, values exactly as written', async () => {
    const request = {
      programID,
      eventName: 'price event',
      priority: 0,
      targets: ['group-a'],
      payloadDescriptors: [{ objectType: 'EVENT_PAYLOAD_DESCRIPTOR', payloadType: 'PRICE', units: 'KWH', currency: 'USD' }],
      reportDescriptors: [{ payloadType: 'USAGE', aggregate: false, startInterval: -1, numIntervals: -1, historical: true, frequency: -1, repeat: 1 }],
      intervalPeriod: { start: '2024-06-01T12:00:00.123456-07:00', duration: 'PT1H' },
      intervals: [
        { id: 0, payloads: [{ type: 'PRICE', values: [0.25] }] },
        { id: 1, intervalPeriod: { start: '2024-06-01T20:00:00+01:00', duration: 'PT30M' }, payloads: [{ type: 'PRICE', values: [1e-7, 3] }] },
      ],
    };
    const { status, body } = await api.post('/events', request);
    expect(status).toBe(201);
    expect(body).toMatchObject({ objectType: 'EVENT', programID, eventName: 'price event', priority: 0 });
    expect(body.intervalPeriod).toEqual({ start: '2024-06-01T19:00:00.123456Z', duration: 'PT1H' });
    expect(body.intervals[1].intervalPeriod).toEqual({ start: '2024-06-01T19:00:00Z', duration: 'PT30M' });
    expect(body.intervals[1].payloads[0].values).toEqual([1e-7, 3]);
    expect(body.payloadDescriptors).toEqual(request.payloadDescriptors);
    expect(body.reportDescriptors).toEqual(request.reportDescriptors);
    expect((await api.get(`/events/${body.id}`)).body).toEqual(body);
  });

  test('an event without intervalPeriod or intervals is valid, and event names may repeat', async () => {
    expect((await api.post('/events', { programID, eventName: 'same' })).status).toBe(201);
    expect((await api.post('/events', { programID, eventName: 'same', intervals: [] })).status).toBe(201);
  });

  test('null on an optional property is taken as its absence, and never comes back', async () => {
    const { status, body } = await api.post('/events', {
      programID,
      eventName: null,
      duration: null,
      intervalPeriod: null,
      targets: null,
      intervals: [{ id: 0, intervalPeriod: null, payloads: [{ type: 'PRICE', values: [1] }] }],
    });
    expect(status).toBe(201);
    expect(body).not.toHaveProperty('duration');
    expect(body).not.toHaveProperty('intervalPeriod');
    expect(body).not.toHaveProperty('eventName');
    expect(body.intervals).toEqual([{ id: 0, payloads: [{ type: 'PRICE', values: [1] }] }]);
    const updated = await api.put(`/events/${body.id}`, { programID, intervalPeriod: { start: '2030-01-01T00:00:00Z', duration: null, randomizeStart: null } });
    expect(updated.status).toBe(200);
    expect(updated.body.intervalPeriod).toEqual({ start: '2030-01-01T00:00:00Z' });
  });

  test("an event for a program that does not exist is 400 naming programID", async () => {
    const { status, body } = await api.post('/events', { programID: 'no-such-program', intervals: [] });
    expect(status).toBe(400);
    expect(body.errors).toEqual([{ field: 'programID', reason: expect.stringContaining('no-such-program') }]);
  });

  test('invalid intervals are 400 with the path of each bad field', async () => {
    const { status, body } = await api.post('/events', {
      programID,
      duration: 'PT1X',
      intervals: [{ id: 1.5, payloads: [{ type: 'PRICE' }] }, { id: 2, intervalPeriod: { start: '2024-13-01T00:00:00Z' }, payloads: [] }],
    });
    expect(status).toBe(400);
    expect(body.errors.map((error: { field: string }) => error.field).sort()).toEqual(
      ['duration', 'intervals[0].id', 'intervals[0].payloads[0].values', 'intervals[1].intervalPeriod.start'].sort(),
    );
  });
});

describe('GET /events filters', () => {
  let otherProgram: string;
  const created: Record<string, string> = {};

  beforeAll(async () => {
    otherProgram = await newProgram();
    const now = Temporal.Now.instant();
    const at = (hours: number) => now.add({ hours }).toString();
    const post = async (name: string, body: Record<string, unknown>) => {
      created[name] = (await api.post('/events', { programID: otherProgram, eventName: name, ...body })).body.id;
    };
    await post('past', { intervalPeriod: { start: at(-5), duration: 'PT1H' }, targets: ['north'] });
    await post('current', { intervalPeriod: { start: at(-1), duration: 'PT2H' }, targets: ['south'] });
    await post('future', { intervalPeriod: { start: at(24), duration: 'PT1H' } });
    await post('unbounded', { intervalPeriod: { start: at(-48), duration: 'P9999Y' }, targets: ['north', 'south'] });
  });

  test('programID keeps that program’s events in creation order', async () => {
    const { body } = await api.get(`/events?programID=${otherProgram}`);
    expect(ids(body)).toEqual([created.past, created.current, created.future, created.unbounded]);
  });

  test('active=true drops events that have ended; active=false keeps all', async () => {
    const active = await api.get(`/events?programID=${otherProgram}&active=true`);
    expect(ids(active.body)).toEqual([created.current, created.future, created.unbounded]);
    expect((await api.get(`/events?programID=${otherProgram}&active=false`)).body).toHaveLength(4);
  });

  test('targets keeps events with any given target; untargeted events never match', async () => {
    expect(ids((await api.get(`/events?programID=${otherProgram}&targets=north`)).body)).toEqual([created.past, created.unbounded]);
    expect(ids((await api.get(`/events?programID=${otherProgram}&targets=north&targets=south`)).body)).toEqual([
      created.past,
      created.current,
      created.unbounded,
    ]);
  });

  test('dateStart/dateEnd select by start in time order, whatever offset the client sends', async () => {
    const now = Temporal.Now.zonedDateTimeISO('Asia/Kolkata');
    const from = encodeURIComponent(now.subtract({ hours: 6 }).toString({ timeZoneName: 'never' }));
    const to = encodeURIComponent(now.toString({ timeZoneName: 'never' }));
    const { status, body } = await api.get(`/events?programID=${otherProgram}&dateStart=${from}&dateEnd=${to}`);
    expect(status).toBe(200);
    expect(ids(body)).toEqual([created.past, created.current]);
    const anyProgram = await api.get(`/events?dateStart=${from}&dateEnd=${to}&limit=50`);
    expect(ids(anyProgram.body)).toEqual(expect.arrayContaining([created.past, created.current]));
    expect(ids(anyProgram.body)).not.toContain(created.future);
  });

  test('targets takes up to 50 distinct values; 51 is 400 naming targets', async () => {
    const targets = (count: number) => Array.from({ length: count }, (_, i) => `targets=${i === 0 ? 'north' : `t${i}`}`).join('&');
    const fifty = await api.get(`/events?programID=${otherProgram}&${targets(50)}`);
    expect(ids(fifty.body)).toEqual([created.past, created.unbounded]);
    const { status, body } = await api.get(`/events?${targets(51)}`);
    expect(status).toBe(400);
    expect(body.errors).toEqual([{ field: 'targets', reason: 'must have at most 50 distinct values, got 51' }]);
  });

  test('skip and limit page through the results', async () => {
    expect(ids((await api.get(`/events?programID=${otherProgram}&skip=1&limit=2`)).body)).toEqual([created.current, created.future]);
  });

  test.each([
    ['active=yes', 'active'],
    ['programID=bad%20id', 'programID'],
    ['dateStart=tomorrow', 'dateStart'],
    ['dateStart=2024-02-01T00:00:00Z&dateEnd=2024-01-01T00:00:00Z', 'dateEnd'],
    ['limit=100', 'limit'],
  ])('%s is 400 naming %s', async (query, field) => {
    const { status, body } = await api.get(`/events?${query}`);
    expect(status).toBe(400);
    expect(body.errors.map((error: { field: string }) => error.field)).toEqual([field]);
  });
});

describe('event timing at the edges', () => {
  test("'do it now' events (start 0001-01-01) are active while their duration is positive; PT0S cancels", async () => {
    const program = await newProgram();
    const post = async (body: Record<string, unknown>) => {
      const response = await api.post('/events', { programID: program, ...body });
      expect(response.status).toBe(201);
      return response.body.id as string;
    };
    const alert = await post({ intervalPeriod: { start: '0001-01-01', duration: 'P9999Y' } });
    const hour = await post({ intervalPeriod: { start: '0001-01-01T00:00:00', duration: 'PT1H' }, intervals: [{ id: 0, payloads: [] }] });
    const firstInterval = await post({ intervals: [{ id: 0, intervalPeriod: { start: '0001-01-01', duration: 'PT15M' }, payloads: [] }] });
    await post({ intervalPeriod: { start: '0001-01-01', duration: 'PT0S' }, intervals: [{ id: 0, payloads: [] }] });
    const { body } = await api.get(`/events?programID=${program}&active=true`);
    expect(ids(body)).toEqual([alert, hour, firstInterval]);
    expect(body[0].intervalPeriod.start).toBe('0001-01-01T00:00:00Z');
  });

  test('durations whose end passes year 9999 are unbounded; one Temporal cannot hold is 400 naming it', async () => {
    const program = await newProgram();
    const start = Temporal.Now.instant().subtract({ hours: 1 }).toString();
    const created: string[] = [];
    for (const body of [
      { duration: 'P999999Y', intervalPeriod: { start } },
      { duration: 'P4294967295Y', intervalPeriod: { start } },
      { intervalPeriod: { start, duration: 'P99999999D' }, intervals: [{ id: 0, payloads: [] }] },
      { intervalPeriod: { start: '9999-12-31T00:00:00Z', duration: 'PT12H' }, intervals: [0, 1, 2].map((id) => ({ id, payloads: [] })) },
    ]) {
      const response = await api.post('/events', { programID: program, ...body });
      expect(response.status).toBe(201);
      created.push(response.body.id);
    }
    expect(ids((await api.get(`/events?programID=${program}&active=true`)).body)).toEqual(created);
    const tooLong = await api.post('/events', { programID: program, intervalPeriod: { start, duration: 'P4294967296Y' } });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.errors).toEqual([{ field: 'intervalPeriod.duration', reason: expect.stringContaining('P4294967296Y') }]);
  });
});

describe('dateStart and dateEnd beyond years 0000-9999 in UTC', () => {
  let program: string;
  let first: string;
  let last: string;
  beforeAll(async () => {
    program = await newProgram();
    const post = async (start: string) =>
      (await api.post('/events', { programID: program, intervalPeriod: { start, duration: 'PT1H' } })).body.id as string;
    first = await post('0000-01-01T00:00:00Z');
    last = await post('9999-12-31T22:00:00Z');
  });

  const afterYear9999 = encodeURIComponent('9999-12-31T23:30:00-01:00');
  const beforeYear0 = encodeURIComponent('0000-01-01T00:30:00+01:00');

  test.each([
    [`dateEnd=${afterYear9999}`, () => [first, last]],
    [`dateStart=2020-01-01T00:00:00Z&dateEnd=${afterYear9999}`, () => [last]],
    [`dateStart=${beforeYear0}`, () => [first, last]],
    [`dateStart=${beforeYear0}&dateEnd=${afterYear9999}`, () => [first, last]],
    [`dateStart=${afterYear9999}`, () => []],
    [`dateEnd=${beforeYear0}`, () => []],
  ])('%s', async (range, expected) => {
    for (const scope of [`programID=${program}&`, '']) {
      const { status, body } = await api.get(`/events?${scope}${range}`);
      expect(status).toBe(200);
      expect(ids(body).filter((id) => id === first || id === last)).toEqual(expected());
    }
  });
});

describe('GET, PUT, DELETE /events/{eventID}', () => {
  test('a list straight after a write shows it', async () => {
    const program = await newProgram();
    for (let round = 0; round < 3; round++) {
      const event = (await api.post('/events', { programID: program, intervals: [] })).body;
      expect(ids((await api.get(`/events?programID=${program}`)).body)).toContain(event.id);
      await api.put(`/events/${event.id}`, { programID: program, eventName: `renamed-${round}` });
      const listed = (await api.get(`/events?programID=${program}`)).body.find((e: { id: string }) => e.id === event.id);
      expect(listed.eventName).toBe(`renamed-${round}`);
      await api.delete(`/events/${event.id}`);
      expect(ids((await api.get(`/events?programID=${program}`)).body)).not.toContain(event.id);
    }
  });

  test('PUT keeps id and createdDateTime, replaces the rest; an unknown program is 400', async () => {
    const event = (await api.post('/events', { programID, eventName: 'before', priority: 3 })).body;
    const { status, body } = await api.put(`/events/${event.id}`, { programID, eventName: 'after' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ id: event.id, createdDateTime: event.createdDateTime, eventName: 'after' });
    expect(body.priority).toBeUndefined();
    const moved = await api.put(`/events/${event.id}`, { programID: 'nowhere' });
    expect(moved.status).toBe(400);
    expect(moved.body.errors[0].field).toBe('programID');
    expect((await api.get(`/events/${event.id}`)).body).toEqual(body);
  });

  test('unknown ids are 404 for GET, PUT and DELETE; DELETE returns the deleted event', async () => {
    expect((await api.get('/events/missing')).status).toBe(404);
    expect((await api.put('/events/missing', { programID })).status).toBe(404);
    expect((await api.put('/events/missing', { programID: 'no-such-program', priority: -1 })).status).toBe(404);
    expect((await api.delete('/events/missing')).status).toBe(404);
    const event = (await api.post('/events', { programID })).body;
    const deleted = await api.delete(`/events/${event.id}`);
    expect(deleted).toMatchObject({ status: 200, body: event });
    expect((await api.delete(`/events/${event.id}`)).status).toBe(404);
  });
});

itAnswersAsTheSpecSays(() => api);
