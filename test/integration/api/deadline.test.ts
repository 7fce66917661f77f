import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { Temporal } from 'temporal-polyfill';
import { writeAll } from '../../../bench/seed';
import { DEADLINE_MARGIN_MS } from '../../../lambdas/core/deadline';
import { dynamoClient, resetRuntime } from '../../../lambdas/core/runtime';
import { BASE_PATH } from '../../../lambdas/routes';
import { routeRequest } from '../../../local/api-gateway';
import { TestDatabase } from '../../support/database';
import { aProgram, anEvent, recordCommands } from '../../support/fixtures';
import { bearer } from '../../support/tokens';

/**
 * A list whose filter matches nothing must read its whole key range (here: a target's entries,
 * all of another program's events). On slow pages that takes
 * longer than the Lambda has left: the handler stops reading at its deadline and answers a
 * retryable 503 itself, instead of Lambda killing it with no answer.
 */
let database: TestDatabase;
let emptyProgramID: string;
beforeAll(async () => {
  database = await TestDatabase.start();
  process.env.VTN_LOG_LEVEL = 'error';
  const tableName = await database.serveRuntime();
  const program = aProgram();
  const start = Temporal.Now.instant().toString();
  const events = Array.from({ length: 2_000 }, () => anEvent(program.id, { targets: ['feeder-1'], intervalPeriod: { start, duration: 'PT1H' } }));
  const empty = aProgram();
  emptyProgramID = empty.id;
  await writeAll(database.client, tableName, [program, empty, ...events]);
});
afterAll(async () => {
  resetRuntime();
  await database.stop();
});

test('a query that outlasts the time left answers 503 with Retry-After before the deadline, stops reading and logs why', async () => {
  // The entry module reads the log level when loaded, so it is loaded after the level is set.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { handler } = require('../../../lambdas/events') as { handler: (event: unknown, context: Context) => Promise<APIGatewayProxyStructuredResultV2> };
  const { event } = routeRequest({ method: 'GET', url: `${BASE_PATH}/events?programID=${emptyProgramID}&targets=feeder-1`, headers: await bearer('BL') });
  const client = dynamoClient();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'QueryCommand') await new Promise((resolve) => setTimeout(resolve, 150));
      return next(args);
    },
    { step: 'initialize', name: 'slowQueries' },
  );
  const lines: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((line) => (lines.push(String(line)), true));
  const recorder = recordCommands(client);
  const remainingMs = DEADLINE_MARGIN_MS + 400;
  const lambdaDeadline = Date.now() + remainingMs;
  const context = { getRemainingTimeInMillis: () => lambdaDeadline - Date.now(), awsRequestId: 'deadline' } as unknown as Context;
  try {
    const result = await handler(event, context);
    const answeredAt = Date.now();
    expect(result.statusCode).toBe(503);
    expect(result.headers?.['retry-after']).toBe('1');
    expect(JSON.parse(result.body ?? '{}')).toMatchObject({ status: 503, title: 'Service Unavailable', detail: expect.stringMatching(/time limit/) });
    expect(answeredAt).toBeLessThan(lambdaDeadline - DEADLINE_MARGIN_MS / 2);
    const queriesAtAnswer = recorder.count('QueryCommand');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(recorder.count('QueryCommand')).toBe(queriesAtAnswer);
    const logged = lines.map((line) => JSON.parse(line));
    expect(logged).toContainEqual(expect.objectContaining({ level: 'error', status: 503, detail: expect.stringMatching(/time limit/) }));
  } finally {
    write.mockRestore();
    recorder.stop();
    client.middlewareStack.remove('slowQueries');
  }
});
