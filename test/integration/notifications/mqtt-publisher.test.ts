import { DeleteConnectionCommand, IoTDataPlaneClient, PublishCommand, ResourceNotFoundException } from '@aws-sdk/client-iot-data-plane';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { DEFAULT_SCOPES } from '../../../lambdas/core/auth/scopes';
import { resetIotEnvironment } from '../../../lambdas/core/notifications/mqtt/iot-environment';
import type { Caller } from '../../../lambdas/core/auth/caller';
import { vtn } from '../../../lambdas/core/runtime';
import { toItem } from '../../../lambdas/core/storage/dynamo/item-codec';
import { handler } from '../../../lambdas/mqtt-publisher';
import { TestDatabase } from '../../support/database';
import { aProgram } from '../../support/fixtures';
import { aVen } from '../../support/ven-fixtures';

/**
 * The publisher entry with everything real but IoT Core: a stream record of the table becomes
 * the binding's messages, published through the data plane; a refused publication fails the
 * record, for the stream to give it again.
 */
const iot = mockClient(IoTDataPlaneClient);
const BL: Caller = { clientID: 'bl', role: 'BL', scopes: DEFAULT_SCOPES.BL };

let db: TestDatabase;
beforeAll(async () => {
  db = await TestDatabase.start();
  Object.assign(process.env, { AWS_REGION: 'eu-west-1', VTN_IOT_DATA_ENDPOINT: 'abc123-ats.iot.eu-west-1.amazonaws.com', VTN_MQTT_TOPIC_PREFIX: 'vtn_a' });
});
afterAll(async () => {
  delete process.env.VTN_MQTT_TOPIC_PREFIX;
  await db.stop();
});
beforeEach(async () => {
  iot.reset();
  await db.serveRuntime();
  resetIotEnvironment();
});

function programCreated(program: ReturnType<typeof aProgram>): DynamoDBStreamEvent {
  return { Records: [{ eventSource: 'aws:dynamodb', eventName: 'INSERT', dynamodb: { SequenceNumber: '7', NewImage: toItem(program, 1) } as never }] };
}

test("a new program is published on the BL topic and under each ven whose client may read it, below the configured prefix", async () => {
  iot.on(PublishCommand).resolves({});
  const ven = await vtn().createVen(BL, { objectType: 'BL_VEN_REQUEST', venName: 'v1', clientID: 'ven-1' });
  const program = aProgram();
  expect(await handler(programCreated(program))).toEqual({ batchItemFailures: [] });
  const published = iot.commandCalls(PublishCommand).map((call) => call.args[0].input);
  expect(published.map((input) => input.topic).sort()).toEqual(['vtn_a/programs/create', `vtn_a/vens/${ven.id}/programs/create`].sort());
  for (const input of published) {
    expect(input).toMatchObject({ qos: 1, retain: false });
    expect(JSON.parse(Buffer.from(input.payload as Uint8Array).toString('utf8'))).toMatchObject({ objectType: 'PROGRAM', operation: 'CREATE', object: { id: program.id } });
  }
});

test('a publication IoT Core refuses fails the record', async () => {
  iot.on(PublishCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
  expect(await handler(programCreated(aProgram()))).toEqual({ batchItemFailures: [{ itemIdentifier: '7' }] });
});

describe("a ven taken from its client ends that client's connection, before anything is published", () => {
  async function venRecord(eventName: 'MODIFY' | 'REMOVE', newClientID?: string): Promise<DynamoDBStreamEvent> {
    const ven = aVen({ clientID: 'ven-1' });
    const images = { OldImage: toItem(ven, 1), ...(newClientID ? { NewImage: toItem({ ...ven, clientID: newClientID }, 2) } : {}) };
    return { Records: [{ eventSource: 'aws:dynamodb', eventName, dynamodb: { SequenceNumber: '9', ...images } as never }] };
  }
  const calls = () => iot.calls().map((call) => (call.args[0] instanceof DeleteConnectionCommand ? ['disconnect', call.args[0].input] : ['publish']));

  beforeEach(() => {
    iot.on(PublishCommand).resolves({});
    iot.on(DeleteConnectionCommand).resolves({});
  });

  test('given to another client: the former client is disconnected, its session cleaned', async () => {
    expect(await handler(await venRecord('MODIFY', 'ven-2'))).toEqual({ batchItemFailures: [] });
    expect(calls()[0]).toEqual(['disconnect', { clientId: 'ven-1', cleanSession: true, preventWillMessage: true }]);
    expect(calls().slice(1).every(([kind]) => kind === 'publish')).toBe(true);
  });

  test('deleted: its client is disconnected', async () => {
    expect(await handler(await venRecord('REMOVE'))).toEqual({ batchItemFailures: [] });
    expect(calls().filter(([kind]) => kind === 'disconnect')).toEqual([['disconnect', { clientId: 'ven-1', cleanSession: true, preventWillMessage: true }]]);
  });

  test('updated for the same client: no one is disconnected', async () => {
    expect(await handler(await venRecord('MODIFY', 'ven-1'))).toEqual({ batchItemFailures: [] });
    expect(iot.commandCalls(DeleteConnectionCommand)).toEqual([]);
  });

  test('a former client not connected is fine; another failure fails the record', async () => {
    iot.on(DeleteConnectionCommand).rejects(new ResourceNotFoundException({ message: 'not connected', $metadata: {} }));
    expect(await handler(await venRecord('MODIFY', 'ven-2'))).toEqual({ batchItemFailures: [] });
    iot.on(DeleteConnectionCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    expect(await handler(await venRecord('MODIFY', 'ven-3'))).toEqual({ batchItemFailures: [{ itemIdentifier: '9' }] });
  });
});
