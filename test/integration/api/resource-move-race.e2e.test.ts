import { ApiClient } from '../../support/api-client';

/**
 * A VEN's update or delete and a BL's change of the same object race: the VEN's ownership is
 * checked on the very version written, so no order of the two gives the VEN what the BL gave
 * another client. BL first: the VEN's request is 404. VEN first: the BL's change stands.
 */
let bl: ApiClient;
let ven1: ApiClient;
let ven2: ApiClient;
beforeAll(async () => {
  bl = await ApiClient.start();
  ven1 = await bl.as('ven-1');
  ven2 = await bl.as('ven-2');
});
afterAll(() => bl.close());
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test("a VEN's PUT racing a BL's move of its resource never pulls it back with the target the BL granted another client", async () => {
  const a = (await bl.post('/vens', { objectType: 'BL_VEN_REQUEST', venName: 'A', clientID: 'ven-1' })).body;
  const b = (await bl.post('/vens', { objectType: 'BL_VEN_REQUEST', venName: 'B', clientID: 'ven-2' })).body;
  const program = (await bl.post('/programs', { programName: 'p' })).body;
  const secret = (await bl.post('/events', { programID: program.id, eventName: 'for-b-only', targets: ['b-secret'], intervals: [{ id: 0, payloads: [{ type: 'PRICE', values: [1] }] }] })).body;
  expect((await ven1.get(`/events/${secret.id}`)).status).toBe(404);

  const nonSerial: string[] = [];
  for (let round = 0; round < 10; round++) {
    const name = `battery-${round}`;
    const resource = (await bl.post('/resources', { objectType: 'BL_RESOURCE_REQUEST', venID: a.id, resourceName: name, clientID: 'ven-1' })).body;
    const [moved, pulled] = await Promise.all([
      bl.put(`/resources/${resource.id}`, { objectType: 'BL_RESOURCE_REQUEST', venID: b.id, resourceName: name, clientID: 'ven-2', targets: ['b-secret'] }),
      ven1.put(`/resources/${resource.id}`, { objectType: 'VEN_RESOURCE_REQUEST', venID: a.id, resourceName: name }),
    ]);
    const final = (await bl.get(`/resources/${resource.id}`)).body;
    if (moved.status === 200 && pulled.status === 200 && final.venID === a.id && final.targets?.includes('b-secret')) nonSerial.push(resource.id);
  }

  expect(nonSerial).toEqual([]);
});

test('… so the event targeted only at the other client stays its own (checked after the race above)', async () => {
  const secret = (await bl.get('/events')).body.find((event: { eventName: string }) => event.eventName === 'for-b-only');
  const seen = { 'ven-1': (await ven1.get(`/events/${secret.id}`)).status, 'ven-2': (await ven2.get(`/events/${secret.id}`)).status };
  expect(seen).toEqual({ 'ven-1': 404, 'ven-2': 200 });
});

test("a VEN's DELETE never removes a resource, or a ven, a BL has just handed to another client", async () => {
  const b = (await bl.get('/vens?venName=B')).body[0];
  const outcomes: string[] = [];
  for (let round = 0; round < 9; round++) {
    const name = `meter-${round}`;
    const a = (await bl.get('/vens?venName=A')).body[0];
    const resource = (await bl.post('/resources', { objectType: 'BL_RESOURCE_REQUEST', venID: a.id, resourceName: name, clientID: 'ven-1' })).body;
    const [moved, deleted] = await Promise.all([
      bl.put(`/resources/${resource.id}`, { objectType: 'BL_RESOURCE_REQUEST', venID: b.id, resourceName: name, clientID: 'ven-2' }),
      sleep(2 + (round % 9)).then(() => ven1.delete(`/resources/${resource.id}`)),
    ]);
    if (moved.status === 200 && deleted.status === 200 && deleted.body.venID === b.id) outcomes.push(`resource ${resource.id} deleted by ven-1 from ven-2's ven`);
  }
  for (let round = 0; round < 9; round++) {
    await bl.delete(`/vens/${(await bl.get('/vens?clientID=ven-1')).body[0]?.id ?? 'none'}`);
    const ven = (await ven1.post('/vens', { objectType: 'VEN_VEN_REQUEST', venName: `own-${round}` })).body;
    const [handed, deleted] = await Promise.all([
      bl.put(`/vens/${ven.id}`, { objectType: 'BL_VEN_REQUEST', venName: `own-${round}`, clientID: `ven-3-${round}`, targets: ['t3'] }),
      sleep(round % 9).then(() => ven1.delete(`/vens/${ven.id}`)),
    ]);
    if (handed.status === 200 && deleted.status === 200 && deleted.body.clientID !== 'ven-1') outcomes.push(`ven ${ven.id} of ${deleted.body.clientID} deleted by ven-1`);
  }
  expect(outcomes).toEqual([]);
});

test("a VEN's PUT of its ven, racing the BL handing that ven to another client, never renames the other client's ven nor shows its clientID and targets", async () => {
  const outcomes: string[] = [];
  for (let round = 0; round < 9; round++) {
    await bl.delete(`/vens/${(await bl.get('/vens?clientID=ven-1')).body[0]?.id ?? 'none'}`);
    const ven = (await ven1.post('/vens', { objectType: 'VEN_VEN_REQUEST', venName: `mine-${round}` })).body;
    const [handed, renamed] = await Promise.all([
      bl.put(`/vens/${ven.id}`, { objectType: 'BL_VEN_REQUEST', venName: `mine-${round}`, clientID: `ven-4-${round}`, targets: ['t4'] }),
      sleep(round % 9).then(() => ven1.put(`/vens/${ven.id}`, { objectType: 'VEN_VEN_REQUEST', venName: `renamed-by-ven-1-${round}` })),
    ]);
    if (handed.status === 200 && renamed.status === 200 && renamed.body.clientID !== 'ven-1') outcomes.push(JSON.stringify({ venName: renamed.body.venName, clientID: renamed.body.clientID, targets: renamed.body.targets }));
  }
  expect(outcomes).toEqual([]);
});
