import { ApiClient } from '../../support/api-client';

/**
 * A resource's clientID is its ven's: when a BL gives a ven to another client, its resources go
 * with it, and a BL's GET -> PUT round trip of such a resource is accepted.
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

test("a ven given to another client takes its resources' clientID along", async () => {
  const ven = (await bl.post('/vens', { objectType: 'BL_VEN_REQUEST', venName: 'moved', clientID: 'ven-1', targets: ['g'] })).body;
  const resource = (await ven1.post('/resources', { objectType: 'VEN_RESOURCE_REQUEST', resourceName: 'battery', venID: ven.id })).body;
  expect(resource.clientID).toBe('ven-1');

  expect((await bl.put(`/vens/${ven.id}`, { objectType: 'BL_VEN_REQUEST', venName: 'moved', clientID: 'ven-2', targets: ['g'] })).status).toBe(200);

  // ven-2 now owns the ven and sees the resource, which names it.
  const seen = await ven2.get(`/resources/${resource.id}`);

  // A BL writes back what it read.
  const asRead = (await bl.get(`/resources/${resource.id}`)).body;
  const { id, createdDateTime, modificationDateTime, objectType, ...fields } = asRead;
  const put = await bl.put(`/resources/${resource.id}`, { ...fields, objectType: 'BL_RESOURCE_REQUEST' });
  expect({ ven2Reads: [seen.status, seen.body.clientID], blRoundTrip: [put.status, put.body.detail] }).toEqual({
    ven2Reads: [200, 'ven-2'],
    blRoundTrip: [200, undefined],
  });
});
