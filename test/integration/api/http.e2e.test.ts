import { ApiClient, itAnswersAsTheSpecSays } from '../../support/api-client';

let api: ApiClient;
beforeAll(async () => {
  api = await ApiClient.start();
});
afterAll(() => api.close());

test('GET /notifiers offers webhooks', async () => {
  expect(await api.get('/notifiers')).toMatchObject({ status: 200, body: { WEBHOOK: true } });
});

test('a wrong method on a known path is 405 with Allow', async () => {
  const response = await api.request('PATCH', '/programs');
  expect(response.status).toBe(405);
  expect(response.headers.get('allow')).toBe('GET, POST');
  expect(response.body).toMatchObject({ status: 405, title: 'Method Not Allowed' });
  expect((await api.request('POST', '/events/some-id')).headers.get('allow')).toBe('GET, PUT, DELETE');
  expect((await api.request('DELETE', '/notifiers')).status).toBe(405);
});

test('unknown paths are 404 problems', async () => {
  for (const path of ['/widgets', '/programs/a/b', '/']) {
    const response = await api.get(path);
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ type: 'about:blank', status: 404, instance: expect.stringContaining('/openadr3/3.1.0') });
  }
});

test('a body that is not JSON, or missing, is 400 naming body', async () => {
  const malformed = await api.request('POST', '/programs', { body: '{"programName": ' });
  expect(malformed.status).toBe(400);
  expect(malformed.body.errors[0].field).toBe('body');
  expect((await api.request('POST', '/programs')).body.errors[0]).toEqual({ field: 'body', reason: expect.stringContaining('required') });
  expect((await api.post('/programs', ['not', 'an', 'object'])).body.errors[0].field).toBe('body');
  expect((await api.post('/programs', null)).status).toBe(400);
});

test('nesting deeper than 64 levels is 400 naming where, and writes nothing', async () => {
  const deep = `{"programName": "deep", "extension": ${'['.repeat(3000)}${']'.repeat(3000)}}`;
  const response = await api.request('POST', '/programs', { body: deep });
  expect(response.status).toBe(400);
  expect(response.body.errors).toEqual([{ field: `extension${'[0]'.repeat(63)}`, reason: 'nests deeper than 64 levels' }]);
  expect((await api.get('/programs')).body).toEqual([]);
});

test('a number that would not come back as written is 400 naming the field, and writes nothing', async () => {
  for (const [number, field] of [['1e400', 'extension.size'], ['12345678901234567890', 'extension.size']]) {
    const response = await api.request('POST', '/programs', { body: `{"programName": "numbers", "extension": {"size": ${number}}}` });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ field, reason: expect.stringContaining(number) }]);
  }
  expect((await api.get('/programs')).body).toEqual([]);
});

test('a 400 lists at most 100 issues, however many the body has', async () => {
  const values = Array(150_000).fill(null);
  const response = await api.post('/programs', { programName: 'many', attributes: [{ type: 'X', values }] });
  expect(response.status).toBe(400);
  expect(response.body.errors).toHaveLength(100);
  expect(response.body.errors[99].field).toBe('attributes[0].values[99]');
  const numbers = await api.request('POST', '/programs', { body: `{"programName": "many", "x": [${Array(1000).fill('1e400').join(',')}]}` });
  expect(numbers.body.errors).toHaveLength(100);
});

test('a body over 1 MiB is 413 and writes nothing', async () => {
  const programName = 'too-large';
  const big = JSON.stringify({ programName, attributes: [{ type: 'BLOB', values: ['x'.repeat(1024 * 1024)] }] });
  const response = await api.request('POST', '/programs', { body: big });
  expect(response.status).toBe(413);
  expect(response.body).toMatchObject({ status: 413, title: 'Content Too Large' });
  expect((await api.get('/programs')).body).toEqual([]);
});

test('a program just under the size DynamoDB can store is refused with 413, not 500', async () => {
  const response = await api.post('/programs', { programName: 'large', attributes: [{ type: 'BLOB', values: ['x'.repeat(500_000)] }] });
  expect(response.status).toBe(413);
  expect((await api.get('/programs')).body).toEqual([]);
});

test('"__proto__", "constructor" and "prototype" keys are plain data, kept and read back as written', async () => {
  const odd = '"__proto__": {"polluted": true}, "constructor": {"prototype": 1}, "prototype": null';
  const program = `{"programName": "keys", ${odd}, "attributes": [{"type": "X", "values": [1], ${odd}}]}`;
  const created = await api.request('POST', '/programs', { body: program });
  expect(created.status).toBe(201);
  const event = `{"programID": "${created.body.id}", ${odd}, "intervals": [{"id": 0, "payloads": [], ${odd}}]}`;
  const keys = (object: object) => Object.entries(object).filter(([key]) => ['__proto__', 'constructor', 'prototype'].includes(key));
  const written = [['__proto__', { polluted: true }], ['constructor', { prototype: 1 }], ['prototype', null]];
  for (const [path, body] of [['/programs', program.replace('"keys"', '"keys-2"')], ['/events', event]]) {
    const posted = await api.request('POST', path, { body });
    expect(posted.status).toBe(201);
    const put = await api.request('PUT', `${path}/${posted.body.id}`, { body });
    expect(put.status).toBe(200);
    const read = (await api.get(`${path}/${posted.body.id}`)).body;
    expect(keys(read)).toEqual(written);
    expect(keys((read.attributes ?? read.intervals)[0])).toEqual(written);
    expect(Object.getPrototypeOf(read)).toBe(Object.prototype);
  }
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

test('every problem carries the request id that the logs carry', async () => {
  const { body } = await api.get('/programs/missing');
  expect(body.requestId).toMatch(/^[0-9a-f-]{36}$/);
});

itAnswersAsTheSpecSays(() => api);
