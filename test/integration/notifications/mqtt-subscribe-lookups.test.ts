import mqtt from 'mqtt';
import { authenticate } from '../../../lambdas/core/auth/authentication';
import { DEFAULT_SCOPES } from '../../../lambdas/core/auth/scopes';
import { Logger } from '../../../lambdas/core/logger';
import { TopicLayout } from '../../../lambdas/core/notifications/mqtt/topics';
import { startLocalBroker, type LocalBroker } from '../../../local/mqtt-broker';
import { within } from '../../support/mqtt-clients';
import { tokenFor } from '../../support/tokens';

/**
 * The local broker finds a VEN client's ven afresh for a SUBSCRIBE (a ven registered since
 * connecting counts), but once per packet, not once per filter: a client may put hundreds of
 * filters in one SUBSCRIBE, and each lookup is two strongly consistent reads.
 */

const VEN_ID = '0193f0a2-0000-7000-8000-0000000000a1';
let broker: LocalBroker;
let lookups = 0;

beforeAll(async () => {
  broker = await startLocalBroker({
    host: '127.0.0.1',
    port: 0,
    layout: new TopicLayout('openadr3'),
    authenticate,
    findVen: async (clientID) => {
      lookups++;
      return clientID === 'ven-1' ? { id: VEN_ID } : undefined;
    },
    logger: new Logger('silent'),
  });
});
afterAll(() => broker.close());

test('a SUBSCRIBE of 200 filters looks the ven up at most once', async () => {
  const password = await tokenFor('ven-1', DEFAULT_SCOPES.VEN);
  const client = await within(mqtt.connectAsync(broker.uri, { protocolVersion: 4, clientId: 'ven-1', username: 'ven-1', password, reconnectPeriod: 0 }), 'connecting');
  try {
    const filters = Array.from({ length: 200 }, (_, index) => `openadr3/vens/${VEN_ID}/programs/p${index}/events/+`);
    lookups = 0;
    const granted = await within(client.subscribeAsync(filters, { qos: 1 }), 'the SUBACK');
    expect(granted.map((grant) => grant.qos)).toEqual(filters.map(() => 1));
    expect(lookups).toBeLessThanOrEqual(1);
  } finally {
    await client.endAsync(true);
  }
});
