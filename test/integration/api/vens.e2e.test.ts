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

const ids = (objects: { id: string }[]) => objects.map((object) => object.id);
const fields = (body: { errors?: { field: string }[] }) => (body.errors ?? []).map((error) => error.field);

let counter = 0;
const unique = (prefix: string) => `${prefix}-${++counter}`;

function blVen(fields: Record<string, unknown> = {}): Record<string, any> {
  return { objectType: 'BL_VEN_REQUEST', venName: unique('ven'), clientID: unique('client'), ...fields };
}

describe('vens', () => {
  test('a BL registers a ven for a client, with targets; the answer is a VEN, readable by id', async () => {
    const request = blVen({ targets: ['group-1'], attributes: [{ type: 'LOCATION', values: [52.1, 5.1] }] });
    const { status, body } = await bl.post('/vens', request);
    expect(status).toBe(201);
    expect(body).toMatchObject({ objectType: 'VEN', venName: request.venName, clientID: request.clientID, targets: ['group-1'], attributes: request.attributes });
    expect((await bl.get(`/vens/${body.id}`)).body).toEqual(body);
  });

  test('the request type must fit the caller: BL_VEN_REQUEST from a BL, VEN_VEN_REQUEST from a VEN', async () => {
    expect(fields((await bl.post('/vens', { objectType: 'VEN_VEN_REQUEST', venName: unique('v') })).body)).toEqual(['objectType']);
    expect(fields((await ven2.post('/vens', blVen({ clientID: 'ven-2' }))).body)).toEqual(['objectType']);
    expect(fields((await bl.post('/vens', { venName: unique('v'), clientID: 'x' })).body)).toEqual(['objectType']);
    const venName = unique('v');
    const missing = await bl.post('/vens', { objectType: 'BL_VEN_REQUEST', venName });
    expect([missing.status, fields(missing.body)]).toEqual([400, ['clientID']]);
    expect((await bl.get(`/vens?venName=${venName}`)).body).toEqual([]);
  });

  test("a VEN registers its own ven: clientID is the caller's, whatever it sends; it may not set targets", async () => {
    const refused = await ven2.post('/vens', { objectType: 'VEN_VEN_REQUEST', venName: unique('self'), targets: ['group-1'] });
    expect([refused.status, fields(refused.body)]).toEqual([400, ['targets']]);
    const { status, body } = await ven2.post('/vens', { objectType: 'VEN_VEN_REQUEST', venName: unique('self'), clientID: 'spoofed' });
    expect(status).toBe(201);
    expect(body).toMatchObject({ objectType: 'VEN', clientID: 'ven-2' });
    expect(body.targets ?? null).toBeNull();
    // One ven per client.
    expect((await ven2.post('/vens', { objectType: 'VEN_VEN_REQUEST', venName: unique('self') })).status).toBe(409);
    expect((await bl.post('/vens', blVen({ clientID: 'ven-2' }))).status).toBe(409);
    await bl.delete(`/vens/${body.id}`);
  });

  test('venName is unique in the VTN, on create and on rename; freed by rename and delete', async () => {
    const a = (await bl.post('/vens', blVen())).body;
    const b = (await bl.post('/vens', blVen())).body;
    expect((await bl.post('/vens', blVen({ venName: a.venName }))).status).toBe(409);
    const rename = await bl.put(`/vens/${b.id}`, { objectType: 'BL_VEN_REQUEST', venName: a.venName, clientID: b.clientID });
    expect(rename.status).toBe(409);
    expect((await bl.get(`/vens/${b.id}`)).body.venName).toBe(b.venName);
    const renamed = await bl.put(`/vens/${a.id}`, { objectType: 'BL_VEN_REQUEST', venName: unique('renamed'), clientID: a.clientID });
    expect(renamed.status).toBe(200);
    expect((await bl.post('/vens', blVen({ venName: a.venName }))).status).toBe(201);
    await bl.delete(`/vens/${b.id}`);
    expect((await bl.post('/vens', blVen({ venName: b.venName }))).status).toBe(201);
  });

  test("a VEN's update keeps its clientID and targets; a BL's changes both", async () => {
    const ven = (await bl.post('/vens', blVen({ clientID: 'ven-1', targets: ['t-1'] }))).body;
    const own = await ven1.put(`/vens/${ven.id}`, { objectType: 'VEN_VEN_REQUEST', venName: unique('mine'), clientID: 'ven-2' });
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ clientID: 'ven-1', targets: ['t-1'] });
    expect(fields((await ven1.put(`/vens/${ven.id}`, { objectType: 'VEN_VEN_REQUEST', venName: own.body.venName, targets: ['t-9'] })).body)).toEqual(['targets']);
    const byBl = await bl.put(`/vens/${ven.id}`, { objectType: 'BL_VEN_REQUEST', venName: own.body.venName, clientID: 'ven-1', targets: ['t-2'] });
    expect(byBl.body).toMatchObject({ clientID: 'ven-1', targets: ['t-2'] });
    expect(byBl.body.createdDateTime).toBe(ven.createdDateTime);
    await bl.delete(`/vens/${ven.id}`);
  });

  test('GET filters by venName and targets, and pages; a VEN sees only its own ven, another is 404', async () => {
    const prefix = unique('filter');
    const made = [];
    for (const targets of [['f-a'], ['f-b'], ['f-a', 'f-b']]) made.push((await bl.post('/vens', blVen({ venName: `${prefix}-${targets.join('')}`, targets }))).body);
    expect(ids((await bl.get(`/vens?venName=${made[0].venName}`)).body)).toEqual([made[0].id]);
    expect(ids((await bl.get('/vens?targets=f-b')).body).sort()).toEqual([made[1].id, made[2].id].sort());
    expect(ids((await bl.get('/vens?targets=f-a&targets=f-b')).body).sort()).toEqual(ids(made).sort());
    const all = ids((await bl.get('/vens?limit=50')).body);
    expect(ids((await bl.get('/vens?skip=1&limit=2')).body)).toEqual(all.slice(1, 3));

    const mine = (await bl.post('/vens', blVen({ clientID: 'ven-1' }))).body;
    expect(ids((await ven1.get('/vens')).body)).toEqual([mine.id]);
    expect((await ven1.get(`/vens?venName=${made[0].venName}`)).body).toEqual([]);
    expect((await ven1.get(`/vens/${made[0].id}`)).status).toBe(404);
    expect((await ven1.put(`/vens/${made[0].id}`, { objectType: 'VEN_VEN_REQUEST', venName: unique('steal') })).status).toBe(404);
    expect((await ven1.delete(`/vens/${made[0].id}`)).status).toBe(404);
    expect((await bl.get(`/vens/${made[0].id}`)).body.venName).toBe(made[0].venName);
    expect((await ven2.get('/vens')).body).toEqual([]);
    await bl.delete(`/vens/${mine.id}`);
  });
});

describe('resources', () => {
  let ven1Ven: { id: string; clientID: string };
  let otherVen: { id: string; clientID: string };
  beforeAll(async () => {
    ven1Ven = (await bl.post('/vens', blVen({ clientID: 'ven-1', targets: ['v-1'] }))).body;
    otherVen = (await bl.post('/vens', blVen())).body;
  });

  const blResource = (ven: { id: string; clientID: string }, fields: Record<string, unknown> = {}) => ({
    objectType: 'BL_RESOURCE_REQUEST',
    resourceName: unique('res'),
    venID: ven.id,
    clientID: ven.clientID,
    ...fields,
  });

  test("a BL adds a resource to a ven: the ven must exist and the clientID be the ven's", async () => {
    const { status, body } = await bl.post('/resources', blResource(ven1Ven, { targets: ['r-1'] }));
    expect(status).toBe(201);
    expect(body).toMatchObject({ objectType: 'RESOURCE', venID: ven1Ven.id, clientID: 'ven-1', targets: ['r-1'] });
    expect((await bl.get(`/resources/${body.id}`)).body).toEqual(body);
    const noVen = await bl.post('/resources', blResource({ id: 'no-such-ven', clientID: 'ven-1' }));
    expect([noVen.status, fields(noVen.body)]).toEqual([400, ['venID']]);
    const wrongClient = await bl.post('/resources', blResource(ven1Ven, { clientID: 'ven-2' }));
    expect([wrongClient.status, fields(wrongClient.body)]).toEqual([400, ['clientID']]);
    expect(fields((await bl.post('/resources', { objectType: 'BL_RESOURCE_REQUEST', venID: ven1Ven.id, clientID: 'ven-1' })).body)).toEqual(['resourceName']);
  });

  test("a VEN adds resources to its own ven only, without targets; its update keeps the BL's targets", async () => {
    const request = { objectType: 'VEN_RESOURCE_REQUEST', resourceName: unique('own'), venID: ven1Ven.id };
    const { status, body } = await ven1.post('/resources', request);
    expect(status).toBe(201);
    expect(body).toMatchObject({ objectType: 'RESOURCE', clientID: 'ven-1', venID: ven1Ven.id });
    expect((await ven1.post('/resources', { ...request, resourceName: unique('x'), venID: otherVen.id })).status).toBe(403);
    expect(fields((await ven1.post('/resources', { ...request, resourceName: unique('x'), targets: ['r-9'] })).body)).toEqual(['targets']);
    expect(fields((await ven1.post('/resources', blResource(ven1Ven))).body)).toEqual(['objectType']);
    const granted = await bl.put(`/resources/${body.id}`, blResource(ven1Ven, { resourceName: body.resourceName, targets: ['r-2'] }));
    expect(granted.body.targets).toEqual(['r-2']);
    const renamed = await ven1.put(`/resources/${body.id}`, { ...request, resourceName: unique('renamed') });
    expect(renamed.status).toBe(200);
    expect(renamed.body.targets).toEqual(['r-2']);
    expect((await ven1.put(`/resources/${body.id}`, { ...request, venID: otherVen.id })).status).toBe(403);
  });

  test('resourceName is unique within its ven and free across vens', async () => {
    const name = unique('shared');
    expect((await bl.post('/resources', blResource(ven1Ven, { resourceName: name }))).status).toBe(201);
    expect((await bl.post('/resources', blResource(ven1Ven, { resourceName: name }))).status).toBe(409);
    expect((await bl.post('/resources', blResource(otherVen, { resourceName: name }))).status).toBe(201);
  });

  test("GET filters by venID, resourceName and targets, and pages; a VEN sees its own ven's resources only", async () => {
    const other = (await bl.post('/resources', blResource(otherVen, { targets: ['g-x'] }))).body;
    const mine = (await bl.post('/resources', blResource(ven1Ven, { targets: ['g-x'] }))).body;
    expect(ids((await bl.get(`/resources?venID=${otherVen.id}&resourceName=${other.resourceName}`)).body)).toEqual([other.id]);
    expect(ids((await bl.get('/resources?targets=g-x')).body).sort()).toEqual([other.id, mine.id].sort());
    const all = ids((await bl.get(`/resources?venID=${ven1Ven.id}`)).body);
    expect(all.length).toBeGreaterThan(2);
    expect(ids((await bl.get(`/resources?venID=${ven1Ven.id}&skip=1&limit=1`)).body)).toEqual([all[1]]);

    const visible = ids((await ven1.get('/resources')).body);
    expect(visible.sort()).toEqual([...all].sort());
    expect(ids((await ven1.get('/resources?targets=g-x')).body)).toEqual([mine.id]);
    expect((await ven1.get(`/resources?venID=${otherVen.id}`)).body).toEqual([]);
    expect((await ven1.get(`/resources/${other.id}`)).status).toBe(404);
    expect((await ven1.put(`/resources/${other.id}`, { objectType: 'VEN_RESOURCE_REQUEST', resourceName: 'x', venID: ven1Ven.id })).status).toBe(404);
    expect((await ven1.delete(`/resources/${other.id}`)).status).toBe(404);
    expect((await ven2.get('/resources')).body).toEqual([]);
    expect((await bl.get(`/resources/${other.id}`)).status).toBe(200);
  });

  test("deleting a ven deletes its resources", async () => {
    const ven = (await bl.post('/vens', blVen())).body;
    const resources = [];
    for (let index = 0; index < 3; index++) resources.push((await bl.post('/resources', blResource(ven))).body);
    expect((await bl.delete(`/vens/${ven.id}`)).status).toBe(200);
    for (const resource of resources) expect((await bl.get(`/resources/${resource.id}`)).status).toBe(404);
    expect((await bl.get(`/resources?venID=${ven.id}`)).body).toEqual([]);
  });
});

itAnswersAsTheSpecSays(() => bl);
