import { ApiClient } from '../../support/api-client';

/**
 * A conflict on a unique name does not tell a VEN which object holds the name: it may be another
 * client's ven, which is 404 to it as if it did not exist.
 */
let bl: ApiClient;
let ven1: ApiClient;
beforeAll(async () => {
  bl = await ApiClient.start();
  ven1 = await bl.as('ven-1');
});
afterAll(() => bl.close());

test("a venName conflict does not tell a VEN the id of another client's ven", async () => {
  const other = (await bl.post('/vens', { objectType: 'BL_VEN_REQUEST', venName: 'VEN-0002', clientID: 'ven-2', targets: ['group-2'] })).body;
  expect((await ven1.get(`/vens/${other.id}`)).status).toBe(404);

  const create = await ven1.post('/vens', { objectType: 'VEN_VEN_REQUEST', venName: 'VEN-0002' });
  expect(create.status).toBe(409);
  expect(create.body.detail).not.toContain(other.id);

  // Same through a rename of the VEN's own ven.
  const own = (await ven1.post('/vens', { objectType: 'VEN_VEN_REQUEST', venName: 'VEN-0001' })).body;
  const rename = await ven1.put(`/vens/${own.id}`, { objectType: 'VEN_VEN_REQUEST', venName: 'VEN-0002' });
  expect(rename.status).toBe(409);
  expect(rename.body.detail).not.toContain(other.id);
});

