import { BatchGetItemCommand, DynamoDBClient, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { resetRuntime } from '../../../lambdas/core/runtime';
import { handler as programs } from '../../../lambdas/programs';
import { handler as notifiers } from '../../../lambdas/notifiers';
import { invokeApi } from '../../../local/api-gateway';
import { bearer } from '../../support/tokens';

const dynamo = mockClient(DynamoDBClient);

let authorization: Record<string, string>;
beforeAll(async () => {
  authorization = await bearer('BL');
});

beforeEach(() => {
  dynamo.reset();
  // No cache versions yet: a fresh table.
  dynamo.on(BatchGetItemCommand).resolves({ Responses: {} });
  resetRuntime();
  process.env.AWS_REGION = 'eu-west-1';
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
});

/** An API Gateway HTTP API payload 2.0 event, as AWS sends it for this route. */
function apiEvent(routeKey: string, method: string, rawPath: string, fields: Partial<APIGatewayProxyEventV2> = {}): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: '',
    headers: { host: 'abc123.execute-api.eu-west-1.amazonaws.com', 'x-forwarded-proto': 'https', ...authorization },
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'test' },
      requestId: 'req-1',
      routeKey,
      stage: '$default',
      time: '25/Nov/2026:12:00:00 +0000',
      timeEpoch: 0,
    },
    ...fields,
  };
}

const context = { getRemainingTimeInMillis: () => 10_000, awsRequestId: 'aws-1' } as unknown as Context;
const json = (result: { body?: string }) => JSON.parse(result.body ?? 'null');

describe('entry handlers on API Gateway v2 events', () => {
  test('routes by route key and path parameters, answering JSON', async () => {
    dynamo.on(GetItemCommand).resolves({});
    dynamo.on(QueryCommand).resolves({ Items: [] });
    const result = await programs(
      apiEvent('ANY /openadr3/3.1.0/programs/{programID}', 'GET', '/openadr3/3.1.0/programs/p-1', { pathParameters: { programID: 'p-1' } }),
      context,
    );
    expect(result.statusCode).toBe(404);
    expect(result.headers?.['content-type']).toBe('application/json');
    expect(json(result)).toEqual({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: 'program p-1 does not exist',
      instance: 'https://abc123.execute-api.eu-west-1.amazonaws.com/openadr3/3.1.0/programs/p-1',
      requestId: 'req-1',
    });
  });

  test("the $default route (a path no entry serves) is a 404 problem", async () => {
    const result = await notifiers(apiEvent('$default', 'GET', '/elsewhere'), context);
    expect(result.statusCode).toBe(404);
    expect(json(result).detail).toBe('no resource at /elsewhere');
  });

  test('reads base64-encoded bodies', async () => {
    const body = Buffer.from(JSON.stringify({ programName: 7 })).toString('base64');
    const result = await programs(apiEvent('ANY /openadr3/3.1.0/programs', 'POST', '/openadr3/3.1.0/programs', { body, isBase64Encoded: true }), context);
    expect(result.statusCode).toBe(400);
    expect(json(result).errors).toEqual([{ field: 'programName', reason: 'must be a string, got 7' }]);
    expect(dynamo.calls()).toHaveLength(0);
  });
});

describe('failures below the HTTP layer', () => {
  test('a defect is a 500 that does not leak internals', async () => {
    dynamo.onAnyCommand().rejects(new Error('secret connection string db://admin:pw@host'));
    const result = await invokeApi({ method: 'GET', url: '/openadr3/3.1.0/programs', headers: authorization });
    expect(result.statusCode).toBe(500);
    const problem = json(result);
    expect(problem).toMatchObject({ status: 500, title: 'Internal Server Error' });
    expect(result.body).not.toContain('secret');
    expect(problem.detail).toContain(problem.requestId);
  });

  test('throttling is a retryable 503 with Retry-After', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException', $retryable: { throttling: true } });
    dynamo.onAnyCommand().rejects(throttled);
    const result = await invokeApi({ method: 'GET', url: '/openadr3/3.1.0/programs', headers: authorization });
    expect(result.statusCode).toBe(503);
    expect(result.headers?.['retry-after']).toBe('1');
    expect(json(result).title).toBe('Service Unavailable');
  });

  test('a request that would outlive the Lambda answers 503 before the deadline', async () => {
    dynamo.onAnyCommand().callsFake(() => new Promise(() => undefined));
    const shortContext = { getRemainingTimeInMillis: () => 50, awsRequestId: 'aws-2' } as unknown as Context;
    const result = await programs(apiEvent('ANY /openadr3/3.1.0/programs', 'GET', '/openadr3/3.1.0/programs'), shortContext);
    expect(result.statusCode).toBe(503);
    expect(result.headers?.['retry-after']).toBe('1');
    expect(json(result).detail).toMatch(/too long/);
  });
});
