import type { DynamoDBStreamEvent } from 'aws-lambda';
import type { Change } from '../../../lambdas/core/notifications/change';
import { iotDataEndpoint, resetIotEnvironment } from '../../../lambdas/core/notifications/mqtt/iot-environment';
import { resetRuntime } from '../../../lambdas/core/runtime';
import { toItem } from '../../../lambdas/core/storage/dynamo/item-codec';
import { handler, notifyInOrder } from '../../../lambdas/mqtt-publisher';
import { anEvent } from '../../support/fixtures';

/**
 * The stream entry's own part: which changes are notified, in which order, and which record a
 * failure reports (what the notifier publishes is its own tests' subject).
 */
const notified: Change[] = [];
const failFor = new Set<string>();
async function notify(change: Change): Promise<void> {
  if (failFor.has(change.object.id as string)) throw new Error('IoT Core unavailable');
  notified.push(change);
}

beforeAll(() => {
  Object.assign(process.env, { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', VTN_IOT_DATA_ENDPOINT: 'abc123-ats.iot.eu-west-1.amazonaws.com' });
});
beforeEach(() => {
  notified.length = 0;
  failFor.clear();
  resetRuntime();
  resetIotEnvironment();
});

function streamEvent(ids: string[]): DynamoDBStreamEvent {
  return {
    Records: ids.map((id, index) => ({
      eventSource: 'aws:dynamodb',
      eventName: 'INSERT',
      dynamodb: { SequenceNumber: String(100 + index), NewImage: toItem(anEvent('prog-1', { id }), 1) } as never,
    })),
  };
}

test('every change is notified, in stream order', async () => {
  const result = await notifyInOrder(streamEvent(['e1', 'e2', 'e3']), notify);
  expect(result).toEqual({ batchItemFailures: [] });
  expect(notified.map((change) => [change.object.id, change.operation])).toEqual([['e1', 'CREATE'], ['e2', 'CREATE'], ['e3', 'CREATE']]);
});

test('the first record that fails is reported, and the ones after it are left to the retry', async () => {
  failFor.add('e2');
  const result = await notifyInOrder(streamEvent(['e1', 'e2', 'e3']), notify);
  expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '101' }] });
  expect(notified.map((change) => change.object.id)).toEqual(['e1']);
});

test('bookkeeping items notify nobody', async () => {
  const claim = { objectType: { S: 'PROGRAM_NAME' }, id: { S: 'ResTOU' } };
  const result = await notifyInOrder({ Records: [{ eventSource: 'aws:dynamodb', eventName: 'INSERT', dynamodb: { SequenceNumber: '1', NewImage: claim } as never }] }, notify);
  expect(result).toEqual({ batchItemFailures: [] });
  expect(notified).toHaveLength(0);
});

test('a missing data endpoint fails the record, naming the setting', async () => {
  const endpoint = process.env.VTN_IOT_DATA_ENDPOINT;
  delete process.env.VTN_IOT_DATA_ENDPOINT;
  try {
    expect(await handler(streamEvent(['e1']))).toEqual({ batchItemFailures: [{ itemIdentifier: '100' }] });
    expect(() => iotDataEndpoint()).toThrow(/VTN_IOT_DATA_ENDPOINT/);
  } finally {
    process.env.VTN_IOT_DATA_ENDPOINT = endpoint;
  }
});

test('records not begun before the invocation runs short are given back, from the first untried one', async () => {
  const startBy = Date.now() + 60_000;
  const slowNotify = async (change: Change) => {
    await notify(change);
    // The first record uses up the invocation's time.
    if (change.object.id === 'e1') jest.setSystemTime(startBy + 1);
  };
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'queueMicrotask'] });
  try {
    const result = await notifyInOrder(streamEvent(['e1', 'e2', 'e3']), slowNotify, startBy);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '101' }] });
    expect(notified.map((change) => change.object.id)).toEqual(['e1']);
  } finally {
    jest.useRealTimers();
  }
});
