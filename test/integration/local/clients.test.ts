import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { secretMatches } from '../../../lambdas/core/auth/secrets';
import { DynamoClientStore } from '../../../lambdas/core/storage/dynamo/clients';
import { DynamoGateway } from '../../../lambdas/core/storage/dynamo/gateway';
import { clientsCommand } from '../../../local/clients';
import { startLocalVtn } from '../../../local/vtn';
import { TestDatabase } from '../../support/database';
import { aSubscription } from '../../support/fixtures';
import { aResource, aVen } from '../../support/ven-fixtures';
import { NotFoundError } from '../../../lambdas/core/errors';

/** `npm run clients`, in process: on a database named by DYNAMODB_ENDPOINT, and on a data directory. */
let database: TestDatabase;
beforeAll(async () => {
  database = await TestDatabase.start();
  // The SDK reads credentials from the process; dynalite takes any.
  process.env.AWS_ACCESS_KEY_ID = 'local';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';
});
afterAll(() => database.stop());

async function clients(env: NodeJS.ProcessEnv, ...argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await clientsCommand(argv, env, (text) => (out += text));
  return { code, out };
}
const printedSecret = (out: string) => /shown only now: (\S+)/.exec(out)?.[1] as string;

test('add, list, rotate-secret and remove on a table; only the hash is stored; a new secret is printed once', async () => {
  const tableName = await database.freshTable();
  const env = { DYNAMODB_ENDPOINT: database.endpoint, TABLE_NAME: tableName };
  const store = new DynamoClientStore(new DynamoGateway(database.client, tableName));

  const added = await clients(env, 'add', '--role', 'VEN', '--id', 'ven-42');
  expect(added.code).toBe(0);
  expect(added.out).toContain('added ven-42 (VEN): read_all read_targets read_ven_objects write_reports write_subscriptions write_vens');
  const secret = printedSecret(added.out);
  expect(secret).toMatch(/^[\w-]{43}$/);
  const stored = await store.get('ven-42');
  expect(stored).toMatchObject({ clientID: 'ven-42', role: 'VEN', secretHash: expect.stringMatching(/^scrypt\$/) });
  expect(JSON.stringify(stored)).not.toContain(secret);
  expect(await secretMatches(secret, stored!.secretHash)).toBe(true);

  expect((await clients(env, 'add', '--role', 'BL', '--id', 'bl-ops', '--scopes', 'read_all read_bl write_programs')).code).toBe(0);
  expect(await clients(env, 'add', '--role', 'VEN', '--id', 'ven-42')).toEqual({ code: 1, out: 'client ven-42 already exists\n' });
  const listed = await clients(env, 'list');
  expect(listed.out).toMatch(/^bl-ops {2}BL {2}read_all read_bl write_programs {2}\(added .*\)\nven-42 {2}VEN {2}read_all .*\n$/);
  expect(listed.out).not.toMatch(/scrypt|secret/);

  const rotated = await clients(env, 'rotate-secret', '--id', 'ven-42');
  const newSecret = printedSecret(rotated.out);
  const after = await store.get('ven-42');
  expect(await secretMatches(newSecret, after!.secretHash)).toBe(true);
  expect(await secretMatches(secret, after!.secretHash)).toBe(false);
  expect((await clients(env, 'list')).out).toContain('secret rotated');

  // Its subscriptions and its ven (with the targets it grants) go with it; another client's stay.
  const storage = database.storage(tableName);
  const own = await storage.subscriptions.create(aSubscription({ clientID: 'ven-42' }));
  const others = await storage.subscriptions.create(aSubscription({ clientID: 'bl-ops' }));
  const ven = await storage.vens.create(aVen({ clientID: 'ven-42', venName: 'site-42', targets: ['site-42'] }));
  const resource = await storage.resources.create(aResource(ven));
  const otherVen = await storage.vens.create(aVen({ clientID: 'ven-43' }));
  const removed = await clients(env, 'remove', '--id', 'ven-42');
  expect(removed).toEqual({ code: 0, out: 'removed ven-42 (VEN), its 1 subscription(s) and its ven site-42 (with its resources); its tokens stay valid until they expire\n' });
  expect(await store.get('ven-42')).toBeUndefined();
  await expect(storage.subscriptions.get(own.id)).rejects.toBeInstanceOf(NotFoundError);
  await expect(storage.subscriptions.get(others.id)).resolves.toMatchObject({ clientID: 'bl-ops' });
  await expect(storage.vens.get(ven.id)).rejects.toBeInstanceOf(NotFoundError);
  await expect(storage.resources.get(resource.id)).rejects.toBeInstanceOf(NotFoundError);
  expect(await database.storage(tableName).grantOf('ven-42')).toEqual({ targets: [] });
  await expect(storage.vens.get(otherVen.id)).resolves.toMatchObject({ clientID: 'ven-43' });
  expect((await clients(env, 'remove', '--id', 'ven-42')).out).toBe('client ven-42 does not exist\n');
  expect((await clients(env, 'rotate-secret', '--id', 'ven-42')).code).toBe(1);
});

test('refuses what would make a wrong client, and explains its usage', async () => {
  const env = { DYNAMODB_ENDPOINT: database.endpoint, TABLE_NAME: await database.freshTable() };
  expect(await clients(env, 'add', '--role', 'VEN', '--id', 'ven-1', '--scopes', 'read_all read_bl')).toMatchObject({ code: 1, out: expect.stringContaining('read_bl') });
  expect(await clients(env, 'add', '--role', 'VEN', '--id', 'ven-1', '--scopes', 'read_all write_programs')).toMatchObject({ code: 1, out: expect.stringContaining('VEN scopes') });
  expect(await clients(env, 'add', '--role', 'BL', '--id', 'bl', '--scopes', 'read_all write_reports')).toMatchObject({ code: 1, out: expect.stringContaining('BL scopes') });
  expect(await clients(env, 'add', '--role', 'BL', '--id', 'bl', '--scopes', 'read_all')).toMatchObject({ code: 1, out: expect.stringContaining('read_bl') });
  expect(await clients(env, 'add', '--role', 'VEN', '--id', 'ven 1')).toMatchObject({ code: 1, out: expect.stringContaining('clientID') });
  expect(await clients(env, 'add', '--role', 'VEN', '--id', 'ven-1', '--scopes', 'read_everything')).toMatchObject({ code: 1 });
  expect(await clients(env, 'add', '--role', 'ADMIN', '--id', 'x')).toMatchObject({ code: 1, out: expect.stringContaining('BL or VEN') });
  for (const argv of [[], ['add', '--id', 'x'], ['remove'], ['frobnicate'], ['list', '--colour']]) {
    expect(await clients(env, ...argv)).toMatchObject({ code: 2, out: expect.stringContaining('usage: npm run clients') });
  }
  expect((await clients(env, 'list')).out).toBe('no clients\n');
});

test("on the local VTN's data directory: a client added there gets tokens from the local VTN", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'vtn-clients-'));
  try {
    const added = await clients({ VTN_DATA_DIR: dataDir, TABLE_NAME: 'vtn-clients' }, 'add', '--role', 'VEN', '--id', 'ven-9');
    expect(added.code).toBe(0);
    const vtn = await startLocalVtn({ host: '127.0.0.1', port: 0, dataDir, tableName: 'vtn-clients' });
    try {
      // The directory had a client already, so none is made; only its owner may read it.
      expect(vtn.generatedClients).toEqual([]);
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      const token = (clientID: string, clientSecret: string) =>
        fetch(`${vtn.url}/auth/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientID, client_secret: clientSecret }) });
      expect((await token('ven-9', printedSecret(added.out))).status).toBe(200);
      // While it runs, the command works on its database.
      const more = await clients({ VTN_DATA_DIR: dataDir, TABLE_NAME: 'vtn-clients' }, 'add', '--role', 'BL', '--id', 'bl-9');
      expect((await token('bl-9', printedSecret(more.out))).status).toBe(200);
    } finally {
      await vtn.close();
    }
    expect((await clients({ VTN_DATA_DIR: dataDir, TABLE_NAME: 'vtn-clients' }, 'list')).out).toMatch(/^bl-9 .*\nven-9 /);
    expect((await clients({ VTN_DATA_DIR: 'memory' }, 'list')).code).toBe(1);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
