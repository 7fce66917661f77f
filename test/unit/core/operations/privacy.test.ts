import { BL_READER, mayRead, shownTo, type Reader } from '../../../../lambdas/core/operations/privacy';

const ven1: Reader = { role: 'VEN', clientID: 'ven-1', grant: { venID: 'v1', targets: ['group-1', 'res-1'] } };

test('a BL reads everything, and sees every target', () => {
  expect(mayRead(BL_READER, 'REPORT', { clientID: 'ven-2' })).toBe(true);
  expect(mayRead(BL_READER, 'EVENT', { targets: ['x'] }, ['y'])).toBe(true);
  expect(shownTo(BL_READER, 'EVENT', { targets: ['group-1', 'secret'] })).toEqual({ targets: ['group-1', 'secret'] });
});

test('a VEN reads its own vens, subscriptions and reports, and its own ven’s resources', () => {
  for (const type of ['VEN', 'SUBSCRIPTION', 'REPORT'] as const) {
    expect([type, mayRead(ven1, type, { clientID: 'ven-1' }), mayRead(ven1, type, { clientID: 'ven-2' })]).toEqual([type, true, false]);
  }
  expect(mayRead(ven1, 'RESOURCE', { venID: 'v1' })).toBe(true);
  expect(mayRead(ven1, 'RESOURCE', { venID: 'v2' })).toBe(false);
  // Without a ven, no resource is its.
  expect(mayRead({ role: 'VEN', clientID: 'ven-3', grant: { targets: [] } }, 'RESOURCE', { venID: 'v1' })).toBe(false);
});

test('a VEN reads programs and events its grant reaches, events only in a program it may see', () => {
  expect(mayRead(ven1, 'PROGRAM', { targets: null })).toBe(true);
  expect(mayRead(ven1, 'PROGRAM', { targets: ['group-2', 'res-1'] })).toBe(true);
  expect(mayRead(ven1, 'PROGRAM', { targets: ['group-2'] })).toBe(false);
  expect(mayRead(ven1, 'EVENT', { targets: [] }, [])).toBe(true);
  expect(mayRead(ven1, 'EVENT', { targets: ['group-1'] }, ['group-2'])).toBe(false);
  expect(mayRead(ven1, 'EVENT', { targets: ['group-2'] }, [])).toBe(false);
  // The program is gone.
  expect(mayRead(ven1, 'EVENT', {}, null)).toBe(false);
  // A VEN reader without its grant has none.
  expect(mayRead({ role: 'VEN', clientID: 'ven-1' }, 'PROGRAM', { targets: ['group-1'] })).toBe(false);
});

test('a VEN learns only the granted targets of programs and events, and every target of what is its own', () => {
  expect(shownTo(ven1, 'PROGRAM', { id: 'p', targets: ['secret', 'group-1'] })).toEqual({ id: 'p', targets: ['group-1'] });
  expect(shownTo(ven1, 'EVENT', { targets: null })).toEqual({ targets: null });
  expect(shownTo(ven1, 'VEN', { targets: ['group-1', 'other'] })).toEqual({ targets: ['group-1', 'other'] });
});
