import { IoTDataPlaneClient, PublishCommand, type PublishCommandInput } from '@aws-sdk/client-iot-data-plane';
import { mockClient } from 'aws-sdk-client-mock';
import { Logger } from '../../../../../lambdas/core/logger';
import type { Notification } from '../../../../../lambdas/core/notifications/change';
import { IOT_MAX_PAYLOAD_BYTES, IotPublisher, MqttPublishError } from '../../../../../lambdas/core/notifications/mqtt/iot-publisher';
import type { Publication } from '../../../../../lambdas/core/notifications/mqtt/publisher';

const iot = mockClient(IoTDataPlaneClient);
let lines: string[];
let logger: Logger;

beforeEach(() => {
  iot.reset();
  lines = [];
  logger = new Logger('debug', {}, (line) => lines.push(line));
});

function publication(topic: string, object: Record<string, unknown> = { id: 'p1', programName: 'p' }): Publication {
  const notification: Notification = { objectType: 'PROGRAM', operation: 'UPDATE', object, targets: null };
  return { topic, notification };
}

function publisher(concurrency?: number): IotPublisher {
  return new IotPublisher(new IoTDataPlaneClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }), logger, concurrency);
}

test('publishes each notification as JSON at QoS 1, not retained', async () => {
  iot.on(PublishCommand).resolves({});
  await publisher().publish([publication('openadr3/programs/update'), publication('openadr3/programs/p1/update')]);
  const inputs = iot.commandCalls(PublishCommand).map((call) => call.args[0].input as PublishCommandInput);
  expect(inputs.map((input) => input.topic).sort()).toEqual(['openadr3/programs/p1/update', 'openadr3/programs/update']);
  for (const input of inputs) {
    expect(input.qos).toBe(1);
    expect(input.retain).toBe(false);
    expect(JSON.parse(Buffer.from(input.payload as Uint8Array).toString('utf8'))).toEqual(publication('x').notification);
  }
});

test('tries every publication and rejects naming how many failed', async () => {
  const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
  iot.on(PublishCommand).resolves({}).on(PublishCommand, { topic: 'openadr3/b/update' }).rejects(throttled).on(PublishCommand, { topic: 'openadr3/d/update' }).rejects(throttled);
  const publications = ['a', 'b', 'c', 'd'].map((level) => publication(`openadr3/${level}/update`));
  const failure = await publisher().publish(publications).catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(MqttPublishError);
  expect((failure as MqttPublishError).message).toBe('2 of 4 MQTT publications failed (ThrottlingException)');
  expect((failure as MqttPublishError).failures.map((one) => one.topic).sort()).toEqual(['openadr3/b/update', 'openadr3/d/update']);
  expect(iot.commandCalls(PublishCommand)).toHaveLength(4);
});

test('keeps at most `concurrency` publications in flight', async () => {
  let inFlight = 0;
  let most = 0;
  const releases: (() => void)[] = [];
  iot.on(PublishCommand).callsFake(async () => {
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise<void>((resolve) => releases.push(resolve));
    inFlight--;
    return {};
  });
  const done = publisher(3).publish(Array.from({ length: 10 }, (_, index) => publication(`openadr3/t${index}/update`)));
  // Release one waiting call at a time until all ten went through.
  for (let released = 0; released < 10; released++) {
    while (releases.length === 0) await new Promise((resolve) => setImmediate(resolve));
    releases.shift()?.();
  }
  await done;
  expect(most).toBe(3);
  expect(iot.commandCalls(PublishCommand)).toHaveLength(10);
});

test('skips a notification over the payload limit: logged as an error naming it, counted, not retried', async () => {
  iot.on(PublishCommand).resolves({});
  const huge = publication('openadr3/programs/update', { id: 'big-program', description: 'x'.repeat(IOT_MAX_PAYLOAD_BYTES) });
  const target = publisher();
  await expect(target.publish([huge, publication('openadr3/programs/p1/update')])).resolves.toBeUndefined();
  expect(iot.commandCalls(PublishCommand).map((call) => call.args[0].input.topic)).toEqual(['openadr3/programs/p1/update']);
  expect(target.oversized).toBe(1);
  const entry = JSON.parse(lines.find((line) => line.includes('larger than IoT Core accepts')) as string);
  expect(entry).toMatchObject({ level: 'error', objectType: 'PROGRAM', objectID: 'big-program', topic: 'openadr3/programs/update' });
  expect(entry.bytes).toBeGreaterThan(IOT_MAX_PAYLOAD_BYTES);
  expect(lines.join('')).not.toContain('x'.repeat(100));
});

test('a notification of exactly the limit is published', async () => {
  iot.on(PublishCommand).resolves({});
  const base = JSON.stringify(publication('t', { id: 'p1', description: '' }).notification).length;
  const exact = publication('openadr3/programs/update', { id: 'p1', description: 'x'.repeat(IOT_MAX_PAYLOAD_BYTES - base) });
  await publisher().publish([exact]);
  expect(iot.commandCalls(PublishCommand)).toHaveLength(1);
});
