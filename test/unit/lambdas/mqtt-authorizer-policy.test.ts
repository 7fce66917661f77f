import fc from 'fast-check';
import { policyFor, type IotPolicyDocument } from '../../../lambdas/mqtt-authorizer';
import { TopicLayout, type TopicReader } from '../../../lambdas/core/notifications/mqtt/topics';

/**
 * The IoT policy the authorizer answers with allows exactly what `TopicLayout.mayReceive`
 * allows: IoT Core evaluates it with IAM's wildcards (`*` any characters, `/` included; `?`
 * one character), on `topicfilter/<filter>` for a SUBSCRIBE and `topic/<name>` for each message.
 */

const IOT = 'arn:aws:iot:eu-west-1:123456789012';
const layout = new TopicLayout('openadr3');

/** IAM resource matching: the pattern's `*` and `?` are wildcards, everything else literal. */
function iamMatches(pattern: string, resource: string): boolean {
  const regex = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${regex}$`, 's').test(resource);
}

function allows(policy: IotPolicyDocument, action: string, resource: string): boolean {
  return policy.Statement.some((statement) => statement.Action.includes(action) && statement.Resource.some((pattern) => iamMatches(pattern, resource)));
}

// Ven ids that prefix each other, and levels that look like the prefix, so near misses come up.
const venIDs = ['a', 'ab', 'a-b', 'B_1', '0197f3c2-aaaa-7bbb-8ccc-0123456789ab'];
const levels = fc.constantFrom('openadr3', 'openadr', 'openadr3x', 'vens', 'programs', 'events', 'update', '', 'x*', 'y?', '+', '#', ...venIDs);
/** MQTT's own rule, which IoT Core applies before any policy: `#` only as the last level. */
const filters = fc.array(levels, { minLength: 1, maxLength: 7 }).map((parts) => parts.join('/')).filter((filter) => !filter.split('/').slice(0, -1).includes('#'));
const readers: fc.Arbitrary<TopicReader> = fc.oneof(
  fc.constant<TopicReader>({ role: 'BL' }),
  fc.constant<TopicReader>({ role: 'VEN' }),
  fc.constantFrom(...venIDs).map((venID): TopicReader => ({ role: 'VEN', venID })),
);

test('a subscription is allowed by the policy exactly when mayReceive allows it', () => {
  fc.assert(
    fc.property(readers, filters, (reader, filter) => {
      const policy = policyFor('client-1', reader, layout, IOT);
      expect(allows(policy, 'iot:Subscribe', `${IOT}:topicfilter/${filter}`)).toBe(layout.mayReceive(reader, filter));
    }),
    { numRuns: 5_000 },
  );
});

test('a message on a topic is received exactly when mayReceive allows that name', () => {
  const names = filters.filter((filter) => !/(^|\/)[+#](\/|$)/.test(filter));
  fc.assert(
    fc.property(readers, names, (reader, name) => {
      const policy = policyFor('client-1', reader, layout, IOT);
      expect(allows(policy, 'iot:Receive', `${IOT}:topic/${name}`)).toBe(layout.mayReceive(reader, name));
    }),
    { numRuns: 5_000 },
  );
});

test('every topic the layout names for a ven is readable by that ven and no other', () => {
  for (const venID of venIDs) {
    const topics = [layout.ven(venID), layout.venPrograms(venID), layout.venEvents(venID), layout.venResources(venID), layout.venProgram(venID, 'p1'), layout.venProgramEvents(venID, 'p1')];
    for (const name of topics.flatMap((set) => [set.UPDATE, set.DELETE, set.ALL])) {
      for (const other of venIDs) {
        const policy = policyFor('client-1', { role: 'VEN', venID: other }, layout, IOT);
        expect(allows(policy, 'iot:Subscribe', `${IOT}:topicfilter/${name}`)).toBe(other === venID);
      }
    }
  }
});

test('a client may connect as its own client id only, and never publish', () => {
  fc.assert(
    fc.property(readers, fc.constantFrom('client-1', 'client-10', 'client-', 'other'), (reader, clientId) => {
      const policy = policyFor('client-1', reader, layout, IOT);
      expect(allows(policy, 'iot:Connect', `${IOT}:client/${clientId}`)).toBe(clientId === 'client-1');
      expect(policy.Statement.flatMap((statement) => statement.Action)).not.toContain('iot:Publish');
    }),
  );
});

describe('a token with fewer scopes', () => {
  const SCOPE_SETS = [[], ['read_targets'], ['read_ven_objects'], ['read_targets', 'read_ven_objects']];
  const P1 = 'p1';
  /** Every name the VTN publishes on, for each ven id. */
  const published = [
    layout.allPrograms(), layout.program(P1), layout.programEvents(P1), layout.allEvents(), layout.allReports(), layout.allSubscriptions(), layout.allVens(), layout.allResources(),
    ...venIDs.flatMap((venID) => [layout.ven(venID), layout.venPrograms(venID), layout.venProgram(venID, P1), layout.venProgramEvents(venID, P1), layout.venEvents(venID), layout.venResources(venID)]),
  ].flatMap((topics) => [topics.CREATE, topics.UPDATE, topics.DELETE].filter((name): name is string => name !== undefined));

  it("lets a VEN receive a published name exactly when its token's scopes would let it read the object over the API", () => {
    for (const scopes of SCOPE_SETS) {
      for (const venID of venIDs) {
        const reader: TopicReader = { role: 'VEN', venID, scopes };
        const policy = policyFor('client-1', reader, layout, IOT);
        for (const name of published) expect({ scopes, name, allowed: allows(policy, 'iot:Receive', `${IOT}:topic/${name}`) }).toEqual({ scopes, name, allowed: layout.mayReceive(reader, name) });
      }
    }
  });

  it('never lets a BL receive a published name its scopes do not cover', () => {
    for (const scopes of SCOPE_SETS.map((set) => ['read_bl', ...set])) {
      const reader: TopicReader = { role: 'BL', scopes };
      const policy = policyFor('client-1', reader, layout, IOT);
      for (const name of published) {
        if (allows(policy, 'iot:Receive', `${IOT}:topic/${name}`)) expect({ scopes, name, allowed: layout.mayReceive(reader, name) }).toEqual({ scopes, name, allowed: true });
      }
      // Everything the VTN publishes on its whole-VTN names still arrives.
      for (const name of published.filter((topic) => !topic.startsWith('openadr3/vens/') || topic.split('/').length === 3)) expect(allows(policy, 'iot:Receive', `${IOT}:topic/${name}`)).toBe(true);
    }
  });
});
