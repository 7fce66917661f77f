import { createLocalJWKSet, jwtVerify } from 'jose';
import { DEFAULT_SCOPES, OPERATION_SCOPES, PUBLIC, type Scope } from '../../../lambdas/core/auth/scopes';
import { BASE_PATH, RESOURCES } from '../../../lambdas/routes';
import { ApiClient, itAnswersAsTheSpecSays, TEST_CLIENTS } from '../../support/api-client';
import { tokenFor } from '../../support/tokens';

let api: ApiClient;
const logged: string[] = [];
let stdout: jest.SpyInstance;
beforeAll(async () => {
  // Everything the VTN logs, at its most talkative, is checked for secrets below.
  process.env.VTN_LOG_LEVEL = 'debug';
  stdout = jest.spyOn(process.stdout, 'write').mockImplementation((line) => (logged.push(String(line)), true));
  api = await ApiClient.start();
});
afterAll(async () => {
  stdout.mockRestore();
  await api.close();
});

const credentials = (clientID: string, extra: Record<string, string> = {}) => ({
  grant_type: 'client_credentials',
  client_id: clientID,
  client_secret: TEST_CLIENTS.find((client) => client.clientID === clientID)!.clientSecret!,
  ...extra,
});
const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}` });

describe('the token endpoint', () => {
  test('form credentials: a Bearer token for all the client scopes, not cached', async () => {
    const { status, headers, body } = await api.token(credentials('ven-1'));
    expect(status).toBe(200);
    expect(body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600, scope: DEFAULT_SCOPES.VEN.join(' ') });
    expect(headers.get('cache-control')).toBe('no-store');
  });

  test('HTTP Basic credentials, form-encoded inside as RFC 6749 has them', async () => {
    const { status, body } = await api.token({ grant_type: 'client_credentials' }, basic('bl-1', 'bl-1-secret'));
    expect(status).toBe(200);
    expect(body.scope).toBe(DEFAULT_SCOPES.BL.join(' '));
    expect((await api.token({ grant_type: 'client_credentials', client_id: 'bl-1' }, basic('bl-1', 'bl-1-secret'))).status).toBe(200);
  });

  test('scope narrows the token to a subset of the client scopes; a narrowed token is refused elsewhere', async () => {
    const { body } = await api.token(credentials('ven-1', { scope: 'read_all  write_subscriptions read_all' }));
    expect(body.scope).toBe('read_all write_subscriptions');
    const narrowed = api.withAuthorization(`Bearer ${body.access_token}`);
    expect((await narrowed.get('/notifiers')).status).toBe(200);
    expect((await narrowed.get('/subscriptions')).status).toBe(403);
  });

  test('RFC 6749 errors: invalid_client 401, unsupported_grant_type, invalid_request and invalid_scope 400', async () => {
    const cases: [Record<string, string>, Record<string, string>, number, string][] = [
      [credentials('ven-1', { client_secret: 'wrong' }), {}, 401, 'invalid_client'],
      [credentials('ven-1', { client_id: 'nobody' }), {}, 401, 'invalid_client'],
      [credentials('ven-1', { client_id: 'no/such id' }), {}, 401, 'invalid_client'],
      [{ grant_type: 'client_credentials' }, basic('ven-1', 'wrong'), 401, 'invalid_client'],
      [{ grant_type: 'client_credentials' }, { authorization: 'Basic !!!' }, 401, 'invalid_client'],
      [credentials('ven-1', { grant_type: 'password' }), {}, 400, 'unsupported_grant_type'],
      [{ client_id: 'ven-1', client_secret: 'ven-1-secret' }, {}, 400, 'invalid_request'],
      [{ grant_type: 'client_credentials', client_id: 'ven-1' }, {}, 400, 'invalid_request'],
      [credentials('ven-1'), basic('ven-1', 'ven-1-secret'), 400, 'invalid_request'],
      [credentials('ven-1', { client_secret: 'x'.repeat(4097) }), {}, 400, 'invalid_request'],
      [credentials('ven-1', { scope: 'write_programs' }), {}, 400, 'invalid_scope'],
      [credentials('ven-1', { scope: 'read_all read_bl' }), {}, 400, 'invalid_scope'],
    ];
    for (const [form, headers, status, error] of cases) {
      const response = await api.token(form, headers);
      expect({ form, status: response.status, error: response.body.error }).toEqual({ form, status, error });
      expect(response.headers.get('cache-control')).toBe('no-store');
      if (status === 401) expect(response.headers.get('www-authenticate')).toMatch(/^Basic/);
    }
  });

  test('the request must be a form with each parameter once', async () => {
    const json = await api.request('POST', '/auth/token', { body: JSON.stringify(credentials('ven-1')), headers: { authorization: '' } });
    expect(json).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    const repeated = await api.request('POST', '/auth/token', {
      body: 'grant_type=client_credentials&client_id=ven-1&client_secret=ven-1-secret&scope=read_all&scope=write_vens',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', authorization: '' },
    });
    expect(repeated).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: expect.stringContaining('scope') } });
    expect((await api.get('/auth/token')).status).toBe(405);
  });

  test('an unknown client costs what a wrong secret costs (both pay the slow hash)', async () => {
    const time = async (form: Record<string, string>) => {
      const startedAt = performance.now();
      expect((await api.token(form)).status).toBe(401);
      return performance.now() - startedAt;
    };
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const wrong: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 5; i++) {
      wrong.push(await time(credentials('ven-1', { client_secret: 'wrong' })));
      unknown.push(await time(credentials('ven-1', { client_id: `nobody-${i}` })));
    }
    expect(median(unknown)).toBeGreaterThan(median(wrong) / 2);
    expect(median(unknown)).toBeLessThan(median(wrong) * 2);
  });

  test('GET /auth/server names the token endpoint by its absolute URL; the key set verifies the tokens', async () => {
    const server = await api.anonymous().get('/auth/server');
    expect(server).toMatchObject({ status: 200, body: { tokenURL: `${api.baseUrl}/auth/token` } });
    const { access_token: token } = (await api.token(credentials('ven-2'))).body;
    const keys = (await (await fetch(`${api.baseUrl}/.well-known/jwks.json`)).json()) as Parameters<typeof createLocalJWKSet>[0];
    const { payload } = await jwtVerify(token, createLocalJWKSet(keys), { issuer: api.baseUrl, audience: api.baseUrl });
    expect(payload).toMatchObject({ sub: 'ven-2', scope: DEFAULT_SCOPES.VEN.join(' ') });
  });
});

describe('every route', () => {
  /** Each implemented operation with the scope it requires. */
  const operations = RESOURCES.flatMap((resource) =>
    resource.paths.flatMap((path) => Object.entries(OPERATION_SCOPES[path] ?? { GET: PUBLIC }).map(([method, scope]) => ({ method, path, scope }))),
  );
  const concrete = (path: string) => path.replace(/\{\w+\}/, '00000000-0000-0000-0000-000000000000');

  test('without a token, or with one that does not verify, is 401 with WWW-Authenticate: Bearer; public routes never are', async () => {
    const expired = await tokenFor('bl-1', DEFAULT_SCOPES.BL, {}, Date.now() - 2 * 3_600_000);
    for (const { method, path, scope } of operations) {
      for (const caller of [api.anonymous(), api.withAuthorization(`Bearer ${expired}`), api.withAuthorization('Bearer not.a.token')]) {
        const response = await caller.request(method, concrete(path), { body: method === 'GET' ? undefined : '{}' });
        if (scope === PUBLIC) {
          expect({ method, path, status: response.status }).not.toEqual({ method, path, status: 401 });
          continue;
        }
        expect({ method, path, status: response.status }).toEqual({ method, path, status: 401 });
        expect(response.body).toMatchObject({ title: 'Unauthorized', status: 401, instance: expect.stringContaining(BASE_PATH) });
        expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      }
    }
  });

  test("a valid token without the route's scope is 403, before the path id or body is looked at", async () => {
    for (const { method, path, scope } of operations) {
      if (scope === PUBLIC || scope === 'read_all') continue;
      const others = DEFAULT_SCOPES.BL.filter((held) => held !== scope);
      const caller = await api.as('bl-1', others.join(' '));
      // A malformed id and a body that is not JSON: either would be 400 once past the scope check.
      const response = await caller.request(method, path.replace(/\{\w+\}/, 'bad%20id'), { body: method === 'GET' ? undefined : '{"not json' });
      expect({ method, path, status: response.status }).toEqual({ method, path, status: 403 });
      expect(response.body.detail).toContain(scope);
      expect(response.headers.get('www-authenticate')).toBe(`Bearer error="insufficient_scope", scope="${scope as Scope}"`);
    }
  });

  test('read_all routes take any authenticated client; a VEN may not write programs or events', async () => {
    const ven = await api.as('ven-1');
    expect((await ven.get('/notifiers')).status).toBe(200);
    expect((await ven.post('/programs', { programName: 'not-mine' })).status).toBe(403);
    expect((await ven.post('/events', { programID: 'p' })).status).toBe(403);
    expect((await ven.get('/programs')).status).toBe(200);
  });

  test('check order: unknown path 404 and wrong method 405 before the token; then 401, then 403, then the request (400)', async () => {
    expect((await api.anonymous().get('/widgets')).status).toBe(404);
    expect((await api.anonymous().request('PATCH', '/programs')).status).toBe(405);
    expect((await api.anonymous().post('/programs', { programName: '' })).status).toBe(401);
    expect((await (await api.as('ven-1')).post('/programs', { programName: '' })).status).toBe(403);
    expect((await api.post('/programs', { programName: '' })).status).toBe(400);
  });
});

test('no secret, token, Authorization header or hash reaches the log', async () => {
  const { access_token: token } = (await api.token(credentials('ven-1'))).body;
  await api.token(credentials('ven-1', { client_secret: 'a-wrong-secret' }));
  await api.withAuthorization(`Bearer ${token}`).get('/subscriptions');
  const log = logged.join('');
  expect(log).toContain('"path":"/openadr3/3.1.0/auth/token"');
  expect(log).toContain('"clientID":"ven-1"');
  for (const secret of [...TEST_CLIENTS.map((client) => client.clientSecret!), 'a-wrong-secret', token, token.split('.')[2], 'Bearer ey', 'Basic ', 'scrypt$']) {
    expect({ secret, logged: log.includes(secret) }).toEqual({ secret, logged: false });
  }
});

itAnswersAsTheSpecSays(() => api);
