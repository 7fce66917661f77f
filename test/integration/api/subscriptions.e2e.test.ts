import { ApiClient, itAnswersAsTheSpecSays } from '../../support/api-client';
import { Receiver } from '../../support/receiver';

// Callbacks answer their echo challenge from a receiver on loopback, which only this setting allows.
process.env.VTN_WEBHOOK_ALLOW_PRIVATE = 'true';

let api: ApiClient;
let receiver: Receiver;
let programID: string;
beforeAll(async () => {
  receiver = await Receiver.start();
  api = await ApiClient.start();
  programID = (await api.post('/programs', { programName: 'subscriptions-e2e' })).body.id;
});
afterAll(async () => {
  await api.close();
  await receiver.close();
});

const ids = (objects: { id: string }[]) => objects.map((object) => object.id);

function subscription(fields: Record<string, unknown> = {}) {
  return {
    clientName: 'ven-1',
    objectOperations: [{ objects: ['EVENT'], operations: ['CREATE', 'UPDATE'], callbackUrl: `${receiver.url}/hook`, bearerToken: 'secret' }],
    ...fields,
  };
}

describe('subscriptions', () => {
  test('POST creates with server-set clientID; what the client wrote comes back', async () => {
    const request = subscription({ programID, targets: ['group-a'], clientID: 'spoofed' });
    const { status, body } = await api.post('/subscriptions', request);
    expect(status).toBe(201);
    expect(body).toMatchObject({ objectType: 'SUBSCRIPTION', clientID: 'bl-1', clientName: 'ven-1', programID, targets: ['group-a'] });
    expect(body.objectOperations).toEqual(request.objectOperations);
    expect((await api.get(`/subscriptions/${body.id}`)).body).toEqual(body);
  });

  test('invalid subscriptions are 400 naming the field', async () => {
    const { status, body } = await api.post('/subscriptions', {
      clientName: 'ven-1',
      objectOperations: [{ objects: ['WIDGET'], operations: ['PATCH'], callbackUrl: 'not a url' }],
    });
    expect(status).toBe(400);
    expect(body.errors.map((error: { field: string }) => error.field).sort()).toEqual(
      ['objectOperations[0].callbackUrl', 'objectOperations[0].objects[0]', 'objectOperations[0].operations[0]'].sort(),
    );
    expect((await api.post('/subscriptions', { clientName: 'ven-1' })).body.errors).toEqual([{ field: 'objectOperations', reason: 'is required' }]);
  });

  test('GET filters by programID, clientName and objects, and pages', async () => {
    const a = (await api.post('/subscriptions', subscription({ clientName: 'filter-a', programID }))).body;
    const b = (
      await api.post(
        '/subscriptions',
        subscription({
          clientName: 'filter-b',
          objectOperations: [{ objects: ['PROGRAM', 'SUBSCRIPTION'], operations: ['DELETE'], callbackUrl: `${receiver.url}/b` }],
        }),
      )
    ).body;
    expect(ids((await api.get('/subscriptions?clientName=filter-a')).body)).toEqual([a.id]);
    expect(ids((await api.get(`/subscriptions?programID=${programID}&clientName=filter-a`)).body)).toEqual([a.id]);
    expect(ids((await api.get('/subscriptions?objects=SUBSCRIPTION')).body)).toEqual([b.id]);
    expect(ids((await api.get('/subscriptions?objects=PROGRAM&objects=EVENT')).body)).toEqual(expect.arrayContaining([a.id, b.id]));
    expect((await api.get('/subscriptions?objects=VEN')).body).toEqual([]);
    const all = ids((await api.get('/subscriptions')).body);
    expect(ids((await api.get('/subscriptions?skip=1&limit=1')).body)).toEqual([all[1]]);
    const bad = await api.get('/subscriptions?objects=WIDGET&clientName=');
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((error: { field: string }) => error.field).sort()).toEqual(['clientName', 'objects']);
    const many = await api.get(`/subscriptions?${Array.from({ length: 51 }, (_, i) => `objects=O${i}`).join('&')}`);
    expect(many.body.errors).toEqual([{ field: 'objects', reason: 'must have at most 50 distinct values, got 51' }]);
  });

  test('PUT replaces and keeps clientID; DELETE returns it; unknown ids are 404', async () => {
    const created = (await api.post('/subscriptions', subscription())).body;
    const { status, body } = await api.put(`/subscriptions/${created.id}`, subscription({ clientName: 'ven-2', clientID: 'spoofed' }));
    expect(status).toBe(200);
    expect(body).toMatchObject({ id: created.id, clientID: 'bl-1', clientName: 'ven-2', createdDateTime: created.createdDateTime });
    expect((await api.delete(`/subscriptions/${created.id}`)).body).toEqual(body);
    expect((await api.get(`/subscriptions/${created.id}`)).status).toBe(404);
    expect((await api.put(`/subscriptions/${created.id}`, subscription())).status).toBe(404);
    const invalid = { clientName: '', objectOperations: [{ objects: ['EVENT'], operations: ['CREATE'], callbackUrl: 'http://127.0.0.1/x' }] };
    expect((await api.put(`/subscriptions/${created.id}`, invalid)).status).toBe(404);
    expect((await api.get('/subscriptions/bad%2Fid')).status).toBe(400);
  });
});

describe("a VEN's subscriptions are its own", () => {
  test('a VEN creates with its clientID, and lists, reads, updates and deletes only its own; a BL sees all', async () => {
    const [ven1, ven2] = [await api.as('ven-1'), await api.as('ven-2')];
    const mine = (await ven1.post('/subscriptions', subscription({ clientName: 'privacy', programID }))).body;
    const theirs = (await ven2.post('/subscriptions', subscription({ clientName: 'privacy', programID, clientID: 'ven-1' }))).body;
    expect([mine.clientID, theirs.clientID]).toEqual(['ven-1', 'ven-2']);

    expect(ids((await ven1.get('/subscriptions')).body)).toEqual([mine.id]);
    expect(ids((await ven1.get(`/subscriptions?programID=${programID}&clientName=privacy&objects=EVENT`)).body)).toEqual([mine.id]);
    expect((await ven1.get('/subscriptions?clientName=nobody')).body).toEqual([]);
    expect((await ven1.get('/subscriptions?skip=1')).body).toEqual([]);
    expect(ids((await api.get('/subscriptions?clientName=privacy')).body)).toEqual([mine.id, theirs.id]);

    for (const [method, body] of [['GET'], ['PUT', subscription()], ['DELETE']] as const) {
      const response = await ven1.request(method, `/subscriptions/${theirs.id}`, { body: body && JSON.stringify(body) });
      expect({ method, status: response.status }).toEqual({ method, status: 404 });
    }
    expect((await ven2.get(`/subscriptions/${theirs.id}`)).body).toEqual(theirs);

    const updated = await ven1.put(`/subscriptions/${mine.id}`, subscription({ clientName: 'privacy-2' }));
    expect(updated.body).toMatchObject({ clientID: 'ven-1', clientName: 'privacy-2' });
    expect((await api.get(`/subscriptions/${mine.id}`)).body).toEqual(updated.body);
    expect((await ven1.delete(`/subscriptions/${mine.id}`)).status).toBe(200);
    expect((await api.delete(`/subscriptions/${theirs.id}`)).status).toBe(200);
  });
});

itAnswersAsTheSpecSays(() => api);
