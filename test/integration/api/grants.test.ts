import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { registration } from '../../../lambdas/core/auth/clients';
import { resetRuntime } from '../../../lambdas/core/runtime';
import { DynamoClientStore } from '../../../lambdas/core/storage/dynamo/clients';
import { DynamoGateway } from '../../../lambdas/core/storage/dynamo/gateway';
import { BASE_PATH, RESOURCES, matchRoute } from '../../../lambdas/routes';
import { invokeApi } from '../../../local/api-gateway';
import { TestDatabase } from '../../support/database';
import { bearer } from '../../support/tokens';

/**
 * The stack grants each entry exactly the DynamoDB actions routes.ts lists for it. Here every
 * entry serves its whole repertoire against a real (embedded) table, and each DynamoDB request
 * it makes must be one of its grants; in AWS anything else would be AccessDenied, a 500.
 */
let database: TestDatabase;
beforeAll(async () => {
  database = await TestDatabase.start();
  // The topic routes read programs and vens only with an MQTT binding.
  process.env.VTN_MQTT_URIS = 'mqtts://broker.example.com:8883';
  await database.serveRuntime();
});
afterAll(async () => {
  delete process.env.VTN_MQTT_URIS;
  resetRuntime();
  await database.stop();
});

test("every entry's DynamoDB requests are among the actions the stack grants it", async () => {
  const used = new Map<string, Set<string>>();
  // Every DynamoDB client an entry builds is recorded: the token endpoint builds its own.
  const send = jest.spyOn(DynamoDBClient.prototype, 'send');
  const authorization = await bearer('BL');
  const { record } = await registration({ clientID: 'grants', clientSecret: 'grants-secret', role: 'VEN' }, '2026-01-01T00:00:00Z');
  await new DynamoClientStore(new DynamoGateway(database.client, process.env.TABLE_NAME!)).put(record);
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = authorization) => {
    send.mockClear();
    const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const response = await invokeApi({ method, url: `${BASE_PATH}${path}`, body: text, headers });
    const resource = matchRoute(`${BASE_PATH}${path.split('?')[0]}`)?.resource.name ?? 'notifiers';
    const actions = used.get(resource) ?? new Set<string>();
    for (const [command] of send.mock.calls) actions.add(`dynamodb:${command.constructor.name.replace(/Command$/, '')}`);
    used.set(resource, actions);
    return JSON.parse(response.body ?? 'null');
  };

  const program = await call('POST', '/programs', { programName: 'grants', targets: ['a'] });
  await call('GET', '/programs?targets=a');
  await call('GET', `/programs/${program.id}`);
  await call('PUT', `/programs/${program.id}`, { programName: 'grants-renamed' });
  const event = await call('POST', '/events', { programID: program.id, intervalPeriod: { start: '2030-01-01T00:00:00Z', duration: 'PT1H' } });
  await call('GET', `/events?programID=${program.id}&active=true&targets=a`);
  await call('GET', '/events?dateStart=2029-01-01T00:00:00Z&dateEnd=2031-01-01T00:00:00Z');
  await call('GET', `/events/${event.id}`);
  await call('PUT', `/events/${event.id}`, { programID: program.id, intervalPeriod: { start: '2030-02-01T00:00:00Z' } });
  await call('DELETE', `/events/${event.id}`);
  await call('POST', '/events', { programID: program.id });
  const subscription = await call('POST', '/subscriptions', {
    clientName: 'ven',
    programID: program.id,
    objectOperations: [{ objects: ['EVENT'], operations: ['CREATE'], callbackUrl: 'https://ven.example.com/cb' }],
  });
  await call('GET', `/subscriptions?programID=${program.id}&clientName=ven&objects=EVENT`);
  await call('GET', `/subscriptions/${subscription.id}`);
  await call('PUT', `/subscriptions/${subscription.id}`, { clientName: 'ven-2', objectOperations: [] });
  await call('DELETE', `/subscriptions/${subscription.id}`);
  await call('GET', `/notifiers/mqtt/topics/programs/${program.id}/events`);
  await call('GET', `/notifiers/mqtt/topics/vens/${program.id}`);
  await call('GET', '/notifiers/mqtt/topics/programs', undefined, await bearer('VEN'));
  await call('DELETE', `/programs/${program.id}`);
  await call('GET', '/notifiers');
  await call('GET', '/auth/server', undefined, {});
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  expect(await call('POST', '/auth/token', 'grant_type=client_credentials&client_id=grants&client_secret=grants-secret', form)).toHaveProperty('access_token');
  await call('GET', '/.well-known/jwks.json', undefined, {});
  send.mockRestore();

  for (const resource of RESOURCES) {
    const actions = [...(used.get(resource.name) ?? [])].sort();
    expect({ resource: resource.name, outsideGrants: actions.filter((action) => !resource.tableActions.includes(action)) }).toEqual({
      resource: resource.name,
      outsideGrants: [],
    });
  }
  // The repertoire did exercise the table (the entries share one runtime here, so the notifiers
  // entry finds programs cached and reads vens only).
  expect([...(used.get('programs') ?? [])].sort()).toEqual([...RESOURCES[0].tableActions].sort());
  expect(used.get('notifiers')?.has('dynamodb:GetItem')).toBe(true);
  expect([...(used.get('auth') ?? [])]).toEqual(['dynamodb:GetItem']);
});
