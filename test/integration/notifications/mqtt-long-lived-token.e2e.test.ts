import { DEFAULT_SCOPES } from '../../../lambdas/core/auth/scopes';
import { Inbox, subscribe, vtnWithBroker } from '../../support/mqtt-clients';
import { tokenFor } from '../../support/tokens';

/**
 * The broker ends a connection when its token expires, not before: a token valid for longer than
 * a timer can wait at once (2^31-1 ms, about 24.8 days; an external identity provider's tokens
 * are not bounded by VTN_TOKEN_LIFETIME_S) keeps its connection until it expires.
 */


const vtn = vtnWithBroker();

test('a connection whose token expires in 30 days stays open and hears changes', async () => {
  const token = await tokenFor('bl-1', DEFAULT_SCOPES.BL, { lifetimeSeconds: 30 * 86_400 });
  const client = await vtn.clients.connect('bl-1', { password: token });
  let closed = false;
  client.on('close', () => (closed = true));
  const inbox = new Inbox(client);
  expect(await subscribe(client, 'openadr3/programs/create')).toEqual([1]);
  const program = (await vtn.api.post('/programs', { programName: 'long-lived' })).body.id;
  await inbox.on('openadr3/programs/create', program);
  expect(closed).toBe(false);
});
