import { TopicLayout, topicFor } from '../../../../../lambdas/core/notifications/mqtt/topics';

const layout = new TopicLayout('openadr3');
const VEN_A = '0193f0a2-0000-7000-8000-00000000000a';
const VEN_B = '0193f0a2-0000-7000-8000-00000000000b';
const PROGRAM = '0193f0a2-0000-7000-8000-0000000000f1';

describe('MQTT topic names', () => {
  it('names all-object topics with CREATE and an ALL wildcard', () => {
    expect(layout.allEvents()).toEqual({
      CREATE: 'openadr3/events/create',
      UPDATE: 'openadr3/events/update',
      DELETE: 'openadr3/events/delete',
      ALL: 'openadr3/events/+',
    });
  });

  it('offers no CREATE for one existing program or ven', () => {
    expect(layout.program(PROGRAM)).toEqual({ UPDATE: `openadr3/programs/${PROGRAM}/update`, DELETE: `openadr3/programs/${PROGRAM}/delete`, ALL: `openadr3/programs/${PROGRAM}/+` });
    expect(layout.ven(VEN_A).CREATE).toBeUndefined();
    expect(layout.venProgram(VEN_A, PROGRAM).CREATE).toBeUndefined();
  });

  it('keeps every name within IoT Core topic depth (at most 7 slashes)', () => {
    const deepest = layout.venProgramEvents(VEN_A, PROGRAM).CREATE!;
    expect(deepest).toBe(`openadr3/vens/${VEN_A}/programs/${PROGRAM}/events/create`);
    expect(deepest.split('/').length - 1).toBeLessThanOrEqual(7);
  });

  it('refuses ids and prefixes that could widen a filter or a policy', () => {
    for (const hostile of ['+', '#', 'a/b', 'a*', 'a?', '', '$aws']) {
      expect(() => layout.venEvents(hostile)).toThrow();
      expect(() => new TopicLayout(hostile)).toThrow();
    }
  });

  it('finds the name of an operation', () => {
    expect(topicFor(layout.allVens(), 'CREATE')).toBe('openadr3/vens/create');
    expect(topicFor(layout.ven(VEN_A), 'CREATE')).toBeUndefined();
    expect(topicFor(layout.ven(VEN_A), 'DELETE')).toBe(`openadr3/vens/${VEN_A}/delete`);
  });
});

describe('who may receive a topic filter', () => {
  const bl = { role: 'BL' } as const;
  const venA = { role: 'VEN', venID: VEN_A } as const;

  it('lets a BL receive anything below the prefix, and nothing outside it', () => {
    expect(layout.mayReceive(bl, 'openadr3/#')).toBe(true);
    expect(layout.mayReceive(bl, `openadr3/vens/${VEN_B}/events/+`)).toBe(true);
    expect(layout.mayReceive(bl, 'other/events/create')).toBe(false);
    expect(layout.mayReceive(bl, '#')).toBe(false);
    expect(layout.mayReceive(bl, '+/events/create')).toBe(false);
  });

  it('lets a VEN receive every name advertised for its own ven', () => {
    for (const topics of [layout.ven(VEN_A), layout.venEvents(VEN_A), layout.venPrograms(VEN_A), layout.venResources(VEN_A), layout.venProgram(VEN_A, PROGRAM), layout.venProgramEvents(VEN_A, PROGRAM)]) {
      for (const name of Object.values(topics)) expect(layout.mayReceive(venA, name)).toBe(true);
    }
    expect(layout.mayReceive(venA, `openadr3/vens/${VEN_A}/#`)).toBe(true);
  });

  it("refuses a VEN another ven's topics, wildcards over the ven level and the all-object topics", () => {
    const refused = [
      `openadr3/vens/${VEN_B}/events/create`,
      'openadr3/vens/+/events/create',
      'openadr3/vens/#',
      'openadr3/#',
      'openadr3/events/create',
      'openadr3/vens/create',
      `openadr3/programs/${PROGRAM}/events/+`,
      `openadr3/vens/${VEN_A}`,
      `openadr3/vens/${VEN_A}extra/events/+`,
    ];
    for (const filter of refused) expect({ filter, allowed: layout.mayReceive(venA, filter) }).toEqual({ filter, allowed: false });
  });

  it('refuses a VEN client without a ven everything', () => {
    expect(layout.mayReceive({ role: 'VEN' }, `openadr3/vens/${VEN_A}/events/create`)).toBe(false);
    expect(layout.mayReceive({ role: 'VEN', venID: undefined }, 'openadr3/vens/undefined/events/create')).toBe(false);
  });

  it('refuses malformed filters', () => {
    for (const filter of [`openadr3/vens/${VEN_A}/#/x`, `openadr3/vens/${VEN_A}/ev+/x`, `openadr3/vens/${VEN_A}/a\u0000`, '']) {
      expect(layout.mayReceive(bl, filter)).toBe(false);
    }
  });
});
