import { handler, principalIdOf, type IotAuthorizerEvent, type IotAuthorizerResponse } from '../../../lambdas/mqtt-authorizer';
import { resetAuthentication } from '../../../lambdas/core/auth/authentication';
import { DEFAULT_SCOPES } from '../../../lambdas/core/auth/scopes';
import type { Caller } from '../../../lambdas/core/auth/caller';
import { vtn } from '../../../lambdas/core/runtime';
import { TestDatabase } from '../../support/database';
import { tokenFor, useTestSigningKey } from '../../support/tokens';

/**
 * The IoT Core authorizer entry over a real table and real tokens: who connects, with which
 * policy, and that no token reaches the logs.
 */

const FUNCTION_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:authorizer';
const IOT = 'arn:aws:iot:eu-west-1:123456789012';
const BL: Caller = { clientID: 'bl', role: 'BL', scopes: DEFAULT_SCOPES.BL };

let db: TestDatabase;
let logged: string[];
let stdoutWrite: jest.SpyInstance;
beforeAll(async () => {
  db = await TestDatabase.start();
  useTestSigningKey();
});
afterAll(() => db.stop());
beforeEach(async () => {
  // Every line is logged, so that the test sees what would reach CloudWatch.
  process.env.VTN_LOG_LEVEL = 'debug';
  await db.serveRuntime();
  logged = [];
  stdoutWrite = jest.spyOn(process.stdout, 'write').mockImplementation((line) => {
    logged.push(String(line));
    return true;
  });
});
afterEach(() => stdoutWrite.mockRestore());
afterAll(() => {
  process.env.VTN_LOG_LEVEL = 'silent';
});

function connect(username: string | undefined, token: string | undefined, clientId: string | undefined): Promise<IotAuthorizerResponse> {
  const event: IotAuthorizerEvent = {
    protocols: ['tls', 'mqtt'],
    protocolData: { mqtt: { username, password: token === undefined ? undefined : Buffer.from(token).toString('base64'), clientId } },
    connectionMetadata: { id: 'c0ffee' },
  };
  return handler(event, { invokedFunctionArn: FUNCTION_ARN });
}

function resources(response: IotAuthorizerResponse, action: string): string[] {
  return response.policyDocuments.flatMap((document) => document.Statement.filter((statement) => statement.Action.includes(action)).flatMap((statement) => statement.Resource));
}

function expectRefused(response: IotAuthorizerResponse, reason: RegExp): void {
  expect(response.isAuthenticated).toBe(false);
  expect(response.policyDocuments).toEqual([]);
  expect(logged.map((line) => JSON.parse(line)).find((entry) => entry.message === 'MQTT connection refused')?.reason).toMatch(reason);
}

test('a BL may subscribe to and receive everything below the prefix, and never publish', async () => {
  const token = await tokenFor('bl', DEFAULT_SCOPES.BL);
  const response = await connect('bl', token, 'bl');
  expect(response).toMatchObject({ isAuthenticated: true, principalId: principalIdOf('bl') });
  expect(response.principalId).toMatch(/^[A-Za-z0-9]{1,128}$/);
  expect(resources(response, 'iot:Connect')).toEqual([`${IOT}:client/bl`]);
  expect(resources(response, 'iot:Subscribe')).toEqual([`${IOT}:topicfilter/openadr3/*`]);
  expect(resources(response, 'iot:Receive')).toEqual([`${IOT}:topic/openadr3/*`]);
  expect(response.policyDocuments.flatMap((document) => document.Statement.flatMap((statement) => statement.Action))).not.toContain('iot:Publish');
});

test("a VEN reads only below its own ven's topics", async () => {
  const ven = await vtn().createVen(BL, { objectType: 'BL_VEN_REQUEST', venName: 'v1', clientID: 'ven-1' });
  const response = await connect('ven-1', await tokenFor('ven-1', DEFAULT_SCOPES.VEN), 'ven-1');
  expect(response.isAuthenticated).toBe(true);
  expect(resources(response, 'iot:Connect')).toEqual([`${IOT}:client/ven-1`]);
  expect(resources(response, 'iot:Subscribe')).toEqual([`${IOT}:topicfilter/openadr3/vens/${ven.id}/*`]);
  expect(resources(response, 'iot:Receive')).toEqual([`${IOT}:topic/openadr3/vens/${ven.id}/*`]);
});

test('a VEN without a ven may connect only, and is asked about again after 5 minutes', async () => {
  const response = await connect('ven-2', await tokenFor('ven-2', DEFAULT_SCOPES.VEN), 'ven-2');
  expect(response.isAuthenticated).toBe(true);
  expect(response.policyDocuments.flatMap((document) => document.Statement.flatMap((statement) => statement.Action))).toEqual(['iot:Connect']);
  expect(response.refreshAfterInSeconds).toBe(300);
});

test("the connection ends when the token does, within IoT Core's 300 to 86400 seconds", async () => {
  const hour = await connect('bl', await tokenFor('bl', DEFAULT_SCOPES.BL, { lifetimeSeconds: 3_600 }), 'bl');
  expect(hour.disconnectAfterInSeconds).toBeGreaterThan(3_500);
  expect(hour.disconnectAfterInSeconds).toBeLessThanOrEqual(3_600);
  expect(hour.refreshAfterInSeconds).toBe(hour.disconnectAfterInSeconds);
  const short = await connect('bl', await tokenFor('bl', DEFAULT_SCOPES.BL, { lifetimeSeconds: 60 }), 'bl');
  expect(short.disconnectAfterInSeconds).toBe(300);
});

test('an expired token is refused', async () => {
  const token = await tokenFor('bl', DEFAULT_SCOPES.BL, { lifetimeSeconds: 60 }, Date.now() - 3_600_000);
  expectRefused(await connect('bl', token, 'bl'), /expired/);
});

test('a token not signed by the VTN is refused', async () => {
  const token = await tokenFor('bl', DEFAULT_SCOPES.BL);
  const [header, payload] = token.split('.');
  expectRefused(await connect('bl', `${header}.${payload}.${'A'.repeat(342)}`, 'bl'), /signature/);
});

test('no password, or one that is not a token, is refused', async () => {
  expectRefused(await connect('bl', undefined, 'bl'), /no password/);
  logged = [];
  expectRefused(await connect('bl', 'hunter2', 'bl'), /not a valid access token/);
});

test("a username other than the token's client id is refused", async () => {
  expectRefused(await connect('someone-else', await tokenFor('bl', DEFAULT_SCOPES.BL), 'bl'), /username/);
});

test("an MQTT client id other than the token's client id is refused", async () => {
  expectRefused(await connect('bl', await tokenFor('bl', DEFAULT_SCOPES.BL), 'bl-2'), /MQTT client id/);
  logged = [];
  expectRefused(await connect('bl', await tokenFor('bl', DEFAULT_SCOPES.BL), undefined), /MQTT client id/);
});

test.each(['ven*', 'ven?', 'a/b', 'a+', 'a#', '${iot:ClientId}', 'x'.repeat(129), 'é'.repeat(65)])('client id %p, which could widen a policy pattern or is too long for IoT Core, is refused', async (clientID) => {
  expectRefused(await connect(clientID, await tokenFor(clientID, DEFAULT_SCOPES.BL), clientID), /cannot be an IoT Core client id/);
});

test('no token or password reaches a log line', async () => {
  const tokens = [
    await tokenFor('bl', DEFAULT_SCOPES.BL),
    await tokenFor('bl', DEFAULT_SCOPES.BL, { lifetimeSeconds: 60 }, Date.now() - 3_600_000),
  ];
  for (const token of tokens) {
    await connect('bl', token, 'bl');
    await connect('other', token, 'bl');
    // A client that put its token in every field.
    await connect(token, token, token);
  }
  expect(logged.length).toBeGreaterThan(0);
  const text = logged.join('\n');
  for (const token of tokens) {
    expect(text).not.toContain(token);
    expect(text).not.toContain(token.split('.')[2]);
    expect(text).not.toContain(Buffer.from(token).toString('base64'));
  }
});

test('with VTN_AUTH=off, which the API and the local broker honour, IoT Core admits nobody', async () => {
  process.env.VTN_AUTH = 'off';
  resetAuthentication();
  try {
    expectRefused(await connect('anyone', 'anything', 'anyone'), /VTN_AUTH=off/);
  } finally {
    delete process.env.VTN_AUTH;
    resetAuthentication();
  }
});
