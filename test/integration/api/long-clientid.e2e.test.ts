import { DEFAULT_SCOPES } from '../../../lambdas/core/auth/scopes';
import { ApiClient } from '../../support/api-client';
import { tokenFor } from '../../support/tokens';

/**
 * A caller's clientID is whatever its token names: another identity provider's claim may be of
 * any length, while a DynamoDB sort key holds at most 1,024 bytes. Such a VEN is served like any
 * other (its claims are keyed by a hash). The token here is signed with the local VTN's own key
 * for a sub no client registered: the verifier takes `sub` as is, as it takes an external
 * issuer's client id claim.
 */
let bl: ApiClient;
beforeAll(async () => {
  bl = await ApiClient.start();
});
afterAll(() => bl.close());

test('a VEN whose clientID is over 1,024 bytes reads programs, events, vens and resources, and registers its ven', async () => {
  const clientID = `ven-${'x'.repeat(1100)}`;
  const ven = bl.withAuthorization(`Bearer ${await tokenFor(clientID, DEFAULT_SCOPES.VEN)}`);
  await bl.post('/programs', { programName: 'open' });

  const statuses = {
    reports: (await ven.get('/reports')).status, // hashed key parts: works
    programs: (await ven.get('/programs')).status,
    events: (await ven.get('/events')).status,
    vens: (await ven.get('/vens')).status,
    resources: (await ven.get('/resources')).status,
    registerVen: (await ven.post('/vens', { objectType: 'VEN_VEN_REQUEST', venName: 'long-client' })).status,
  };
  expect(statuses).toEqual({ reports: 200, programs: 200, events: 200, vens: 200, resources: 200, registerVen: 201 });
});
