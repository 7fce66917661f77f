import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../lambdas/core/storage/dynamo/ensure-table';
import { BASE_PATH } from '../lambdas/routes';
import type { ApiRequest } from '../local/api-gateway';
import { seed } from './seed';

/**
 * Queries whose cost could follow the table instead of the page: `active` and filters that
 * match little, on a year of history as it accrues (created in start order, 95% ended). Caches
 * off, so every request pays its reads.
 */

type Measure = (name: string, iterations: number, request: (iteration: number) => ApiRequest) => Promise<void>;

const TABLE = 'vtn-bench-history';
/** 347 of the window's 365 days are past: with hour-long events, 95% have ended. */
const WINDOW = { pastDays: 347, futureDays: 18 };
const PROGRAMS = 10;

const get = (path: string): ApiRequest => ({ method: 'GET', url: `${BASE_PATH}${path}` });

export async function measureQueryCost(
  client: DynamoDBClient,
  options: { events: number; iterations: number; measure: Measure; useColdRuntime: (tableName: string) => void },
): Promise<{ endedShare: number }> {
  await ensureTable(client, TABLE);
  const { programIDs } = await seed(client, TABLE, { programs: PROGRAMS, events: options.events, subscriptions: 0, window: WINDOW, chronological: true });
  options.useColdRuntime(TABLE);
  const { measure, iterations } = options;
  const program = (iteration: number) => programIDs[Math.abs(iteration) % programIDs.length];
  await measure('history_active', iterations, () => get('/events?active=true&limit=10'));
  await measure('history_active_program', iterations, (i) => get(`/events?active=true&programID=${program(i)}&limit=10`));
  await measure('history_targets_match', iterations, () => get('/events?targets=feeder-1&limit=10'));
  await measure('history_program_targets_nomatch', iterations, (i) => get(`/events?programID=${program(i)}&targets=nomatch&limit=1`));
  // Matching nothing, it must read every event: a few requests, but the whole table's read units.
  await measure('history_targets_nomatch', Math.max(1, Math.floor(iterations / 4)), () => get('/events?targets=nomatch&limit=10'));
  return { endedShare: WINDOW.pastDays / (WINDOW.pastDays + WINDOW.futureDays) };
}
