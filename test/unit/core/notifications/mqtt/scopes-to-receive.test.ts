import { scopesToReceive, TopicLayout } from '../../../../../lambdas/core/notifications/mqtt/topics';

/** The scope each name takes is the one the API's read of the same objects takes; a filter takes any its names take. */

const layout = new TopicLayout('openadr3');
const V = 'ven-a';

test.each([
  [layout.allPrograms().UPDATE, ['read_bl']],
  [layout.programEvents('p1').CREATE!, ['read_bl']],
  [layout.allVens().DELETE, ['read_bl']],
  [layout.allResources().CREATE!, ['read_bl']],
  [layout.ven(V).UPDATE, ['read_ven_objects']],
  [layout.venResources(V).CREATE!, ['read_ven_objects']],
  [layout.venPrograms(V).CREATE!, ['read_targets']],
  [layout.venEvents(V).DELETE, ['read_targets']],
  [layout.venProgramEvents(V, 'p1').UPDATE, ['read_targets']],
])('the name %s takes %j', (name, scopes) => {
  expect(scopesToReceive(name)).toEqual(scopes);
});

test.each([
  ['openadr3/#', ['read_bl', 'read_ven_objects', 'read_targets']],
  [`openadr3/vens/${V}/#`, ['read_ven_objects', 'read_targets']],
  [`openadr3/vens/${V}/+`, ['read_ven_objects']],
  [`openadr3/vens/${V}/+/create`, ['read_ven_objects', 'read_targets']],
  ['openadr3/vens/+', ['read_bl']],
  ['openadr3/vens/#', ['read_bl', 'read_ven_objects', 'read_targets']],
  ['openadr3/+/p1/events/+', ['read_bl', 'read_targets']],
])('the filter %s takes any of %j', (filter, scopes) => {
  expect(scopesToReceive(filter).sort()).toEqual([...scopes].sort());
});

test('a reader whose token lacks the scope of every name a filter matches may not subscribe to it', () => {
  const reader = { role: 'VEN' as const, venID: V, scopes: ['read_targets'] };
  expect(layout.mayReceive(reader, layout.venEvents(V).ALL)).toBe(true);
  expect(layout.mayReceive(reader, `openadr3/vens/${V}/#`)).toBe(true);
  expect(layout.mayReceive(reader, layout.ven(V).ALL)).toBe(false);
  expect(layout.mayReceive(reader, layout.venResources(V).ALL)).toBe(false);
  expect(layout.mayReceive({ role: 'BL', scopes: ['read_all'] }, layout.allPrograms().ALL)).toBe(false);
});
