import { BatchGetItemCommand, DynamoDBClient, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, DynamoDBStreamEvent, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { SUBSCRIBER_ROLE } from '../../../lambdas/core/openadr/types';
import { resetRuntime } from '../../../lambdas/core/runtime';
import { toItem } from '../../../lambdas/core/storage/dynamo/item-codec';
import { handler } from '../../../lambdas/webhooks';
import { readEmf } from '../../support/emf';
import { anEvent, aSubscription } from '../../support/fixtures';
import { Receiver } from '../../support/receiver';

const dynamo = mockClient(DynamoDBClient);
const sqs = mockClient(SQSClient);
let receiver: Receiver;

beforeAll(async () => {
  receiver = await Receiver.start((path) => (path === '/down' ? 500 : 200));
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    VTN_WEBHOOK_ALLOW_PRIVATE: 'true',
    VTN_WEBHOOK_RETRY_BASE_MS: '10000',
    VTN_WEBHOOK_MAX_ATTEMPTS: '3',
    VTN_WEBHOOK_CONCURRENCY: '3',
    WEBHOOK_RETRY_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123/retries',
    WEBHOOK_DEAD_LETTER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123/dead-letters',
  });
});
afterAll(() => receiver.close());

const healthy = aSubscription({
  id: 'sub-healthy',
  programID: 'prog-1',
  objectOperations: [{ objects: ['EVENT'], operations: ['CREATE', 'DELETE'], callbackUrl: '', bearerToken: 'tok' }],
});
const down = aSubscription({ id: 'sub-down', objectOperations: [{ objects: ['EVENT'], operations: ['CREATE'], callbackUrl: '' }] });
// A BL's: these tests are about the stream and the queues, not privacy.
healthy[SUBSCRIBER_ROLE] = 'BL';
down[SUBSCRIBER_ROLE] = 'BL';

beforeEach(() => {
  dynamo.reset();
  sqs.reset();
  resetRuntime();
  receiver.received.length = 0;
  healthy.objectOperations[0].callbackUrl = `${receiver.url}/healthy`;
  down.objectOperations[0].callbackUrl = `${receiver.url}/down`;
  // Nothing else written: cache versions (however they are read) are not found.
  dynamo.on(GetItemCommand).resolves({});
  dynamo.on(BatchGetItemCommand).resolves({});
  dynamo.on(QueryCommand).resolves({ Items: [toItem(healthy, 1), toItem(down, 1)] });
  sqs.on(SendMessageCommand).resolves({});
});

function streamEvent(records: { name: 'INSERT' | 'MODIFY' | 'REMOVE'; image: Record<string, unknown>; sequence: string }[]): DynamoDBStreamEvent {
  return {
    Records: records.map(({ name, image, sequence }) => ({
      eventSource: 'aws:dynamodb',
      eventName: name,
      dynamodb: { SequenceNumber: sequence, ...(name === 'REMOVE' ? { OldImage: image } : { NewImage: image }) } as never,
    })),
  };
}

test('a stream record reaches the matching subscribers; failures go to the retry queue with a delay', async () => {
  const event = anEvent('prog-1', { id: 'evt-1' });
  const result = await handler(streamEvent([{ name: 'INSERT', image: toItem(event, 1), sequence: '100' }]));
  expect(result).toEqual({ batchItemFailures: [] });

  const [delivered] = receiver.on('/healthy');
  expect(delivered.body).toMatchObject({ objectType: 'EVENT', operation: 'CREATE', object: { id: 'evt-1', programID: 'prog-1' }, targets: null });
  expect(delivered.headers.authorization).toBe('Bearer tok');
  expect(receiver.on('/down')).toHaveLength(1);

  const [retry] = sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input);
  expect(retry.QueueUrl).toMatch(/retries$/);
  expect(retry.DelaySeconds).toBe(10);
  const queued = JSON.parse(retry.MessageBody!);
  expect(queued).toMatchObject({ subscriptionID: 'sub-down', callbackUrl: `${receiver.url}/down`, attempt: 2, notification: { operation: 'CREATE' } });
  expect(JSON.stringify(queued)).not.toContain('tok');
});

test('bookkeeping items and other programs notify nobody', async () => {
  const claim = { objectType: { S: 'PROGRAM_NAME' }, id: { S: 'ResTOU' } };
  const otherProgramEvent = anEvent('prog-2');
  await handler(streamEvent([{ name: 'INSERT', image: claim, sequence: '1' }]));
  await handler(streamEvent([{ name: 'REMOVE', image: toItem(otherProgramEvent, 1), sequence: '2' }]));
  expect(receiver.received).toHaveLength(0);
});

test('when the retry queue cannot be reached, only that record is reported as failed', async () => {
  sqs.on(SendMessageCommand).rejects(new Error('SQS unavailable'));
  const result = await handler(
    streamEvent([
      { name: 'REMOVE', image: toItem(anEvent('prog-1', { id: 'evt-ok' }), 1), sequence: '200' },
      { name: 'INSERT', image: toItem(anEvent('prog-1', { id: 'evt-bad' }), 1), sequence: '201' },
    ]),
  );
  expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '201' }] });
});

test("an invocation's deliveries are counted and written once, at its end, in EMF", async () => {
  const written: string[] = [];
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((line) => (written.push(String(line)), true));
  process.env.VTN_METRICS = 'on';
  process.env.VTN_METRICS_SERVICE = 'OpenAdr3Vtn-test';
  resetRuntime();
  try {
    const records = [1, 2].map((n) => ({ name: 'INSERT' as const, image: toItem(anEvent('prog-1', { id: `evt-m${n}` }), 1), sequence: `30${n}` }));
    await handler(streamEvent(records));
  } finally {
    stdout.mockRestore();
    delete process.env.VTN_METRICS;
    delete process.env.VTN_METRICS_SERVICE;
  }
  const lines = written.filter((line) => line.includes('"_aws"'));
  expect(lines).toHaveLength(1);
  expect(readEmf(lines).map(({ name, value, dimensions }) => ({ name, value, dimensions }))).toEqual([
    { name: 'WebhookDelivered', value: 2, dimensions: { Service: 'OpenAdr3Vtn-test' } },
    { name: 'WebhookFailed', value: 2, dimensions: { Service: 'OpenAdr3Vtn-test' } },
  ]);
});

describe('the retry queue', () => {
  const message = (attempt: number, subscriptionID = 'sub-down', path = '/down') => ({
    messageId: `m-${attempt}`,
    eventSource: 'aws:sqs',
    body: JSON.stringify({
      subscriptionID,
      callbackUrl: `${receiver.url}${path}`,
      attempt,
      notification: { objectType: 'EVENT', operation: 'CREATE', object: { id: 'evt-1' }, targets: null },
    }),
  });
  const sqsEvent = (...records: ReturnType<typeof message>[]) => ({ Records: records }) as unknown as SQSEvent;

  test('a retry reads the subscription for its current token and delivers', async () => {
    dynamo.on(GetItemCommand, { Key: { objectType: { S: 'SUBSCRIPTION' }, id: { S: 'sub-healthy' } } }).resolves({ Item: toItem(healthy, 1) });
    const result = await handler(sqsEvent(message(2, 'sub-healthy', '/healthy')));
    expect(result).toEqual({ batchItemFailures: [] });
    expect(receiver.on('/healthy')[0].headers.authorization).toBe('Bearer tok');
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  test('a failing retry backs off further; the last one lands in the dead-letter queue, replayable', async () => {
    dynamo.on(GetItemCommand, { Key: { objectType: { S: 'SUBSCRIPTION' }, id: { S: 'sub-down' } } }).resolves({ Item: toItem(down, 1) });
    await handler(sqsEvent(message(2)));
    await handler(sqsEvent(message(3)));
    const [again, dead] = sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input);
    expect(again).toMatchObject({ QueueUrl: expect.stringMatching(/retries$/), DelaySeconds: 20 });
    expect(JSON.parse(again.MessageBody!).attempt).toBe(3);
    expect(dead.QueueUrl).toMatch(/dead-letters$/);
    expect(JSON.parse(dead.MessageBody!)).toMatchObject({ subscriptionID: 'sub-down', attempt: 3, lastError: 'answered 500', notification: { object: { id: 'evt-1' } } });
  });

  test('a retry for a deleted subscription is dropped', async () => {
    const result = await handler(sqsEvent(message(2, 'sub-gone')));
    expect(result).toEqual({ batchItemFailures: [] });
    expect(receiver.received).toHaveLength(0);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });
});

describe('with many deliveries at once (concurrency 3)', () => {
  let slow: Receiver;
  beforeAll(async () => {
    slow = await Receiver.start(() => 204, { answerAfterMs: 150 });
  });
  afterAll(() => slow.close());

  /** `count` subscriptions to event creations, their callbacks on the slow receiver. */
  function slowSubscribers(count: number) {
    const subscriptions = Array.from({ length: count }, (_, index) => {
      const subscription = aSubscription({ id: `sub-slow-${index}`, objectOperations: [{ objects: ['EVENT'], operations: ['CREATE'], callbackUrl: `${slow.url}/slow-${index}` }] });
      subscription[SUBSCRIBER_ROLE] = 'BL';
      return subscription;
    });
    dynamo.on(QueryCommand).resolves({ Items: subscriptions.map((subscription) => toItem(subscription, 1)) });
  }
  const creations = (count: number) =>
    streamEvent(Array.from({ length: count }, (_, index) => ({ name: 'INSERT' as const, image: toItem(anEvent('prog-1', { id: `evt-${index}` }), 1), sequence: String(index) })));

  beforeEach(() => {
    slow.received.length = 0;
    Object.assign(slow.load, { maxRequests: 0, maxConnections: 0, totalConnections: 0 });
  });

  test('the callbacks never have more than 3 requests or connections open, and every delivery succeeds', async () => {
    slowSubscribers(6);
    const result = await handler(creations(4));
    expect(result).toEqual({ batchItemFailures: [] });
    expect(slow.received).toHaveLength(24);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
    expect(slow.load.maxRequests).toBe(3);
    expect(slow.load.maxConnections).toBeLessThanOrEqual(3);
    // Kept alive: connections serve one delivery after another.
    expect(slow.load.totalConnections).toBeLessThanOrEqual(6);
  });

  test('deliveries that could not start in time for the invocation to end are queued untried', async () => {
    slowSubscribers(8);
    // The deadline, less the queueing reserve (10 s) and a delivery's timeout (5 s), is 50 ms away.
    const context = { getRemainingTimeInMillis: () => 15_050 } as Context;
    const result = await handler(creations(1), context);
    expect(result).toEqual({ batchItemFailures: [] });
    // The first three found a slot free and were tried; the others waited past the deadline.
    expect(slow.received).toHaveLength(3);
    const queued = sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input);
    expect(queued).toHaveLength(5);
    for (const message of queued) {
      expect(message).toMatchObject({ QueueUrl: expect.stringMatching(/retries$/), DelaySeconds: 0 });
      expect(JSON.parse(message.MessageBody!)).toMatchObject({ attempt: 1, notification: { operation: 'CREATE' } });
    }
  });
});

test("a subscription's bearer token reaches neither the subscribers to subscriptions nor the retry queue", async () => {
  const watchers = [
    aSubscription({ id: 'sub-watcher', objectOperations: [{ objects: ['SUBSCRIPTION'], operations: ['CREATE'], callbackUrl: `${receiver.url}/healthy` }] }),
    aSubscription({ id: 'sub-watcher-down', objectOperations: [{ objects: ['SUBSCRIPTION'], operations: ['CREATE'], callbackUrl: `${receiver.url}/down` }] }),
  ];
  dynamo.on(QueryCommand).resolves({ Items: watchers.map((watcher) => toItem(watcher, 1)) });
  const created = aSubscription({
    id: 'sub-new',
    objectOperations: [
      { objects: ['EVENT'], operations: ['CREATE'], callbackUrl: 'https://ven.example.com/a', bearerToken: 'the-new-secret' },
      { objects: ['PROGRAM'], operations: ['CREATE'], callbackUrl: 'https://ven.example.com/b' },
    ],
  });
  await handler(streamEvent([{ name: 'INSERT', image: toItem(created, 1), sequence: '300' }]));

  const [notified] = receiver.on('/healthy');
  expect(notified.body.object.objectOperations).toEqual([
    { objects: ['EVENT'], operations: ['CREATE'], callbackUrl: 'https://ven.example.com/a' },
    { objects: ['PROGRAM'], operations: ['CREATE'], callbackUrl: 'https://ven.example.com/b' },
  ]);
  const [retry] = sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input);
  expect(JSON.parse(retry.MessageBody!)).toMatchObject({ subscriptionID: 'sub-watcher-down', notification: { object: { id: 'sub-new' } } });
  expect(retry.MessageBody).not.toContain('the-new-secret');
});
