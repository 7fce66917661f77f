import { Temporal } from 'temporal-polyfill';
import { dehydrate, hydrate } from '../../../../lambdas/core/openadr/temporal-fields';
import type { VtnEvent } from '../../../../lambdas/core/openadr/types';

describe('temporal fields', () => {
  const wire = {
    id: 'e1',
    objectType: 'EVENT',
    programID: 'p1',
    createdDateTime: '2024-01-01T01:00:00+01:00',
    modificationDateTime: '2024-01-01T00:00:00.250Z',
    duration: 'P1D',
    intervalPeriod: { start: '2024-01-01T00:00:00Z', duration: 'PT1H', randomizeStart: null },
    payloadDescriptors: [{ objectType: 'EVENT_PAYLOAD_DESCRIPTOR', payloadType: 'PRICE', units: 'KWH', currency: 'USD' }],
    intervals: [{ id: 0, intervalPeriod: { start: '2024-01-01T02:00:00-01:00' }, payloads: [{ type: 'PRICE', values: [0.17, 1, 'x', true, { x: 1.5, y: 2 }] }] }],
  };

  it('hydrates every known date-time and duration and keeps everything else as written', () => {
    const event = hydrate<VtnEvent>('EVENT', wire);
    expect(event.createdDateTime).toBeInstanceOf(Temporal.ZonedDateTime);
    expect(event.duration).toBeInstanceOf(Temporal.Duration);
    expect(event.intervals![0].intervalPeriod!.start).toBeInstanceOf(Temporal.ZonedDateTime);
    expect(event.intervalPeriod!.randomizeStart).toBeNull();
    expect(event.payloadDescriptors).toEqual(wire.payloadDescriptors);
    expect(event.intervals![0].payloads).toEqual(wire.intervals[0].payloads);
  });

  it('dehydrates to canonical UTC and leaves the input untouched', () => {
    const round = dehydrate('EVENT', hydrate('EVENT', wire));
    expect(round.createdDateTime).toBe('2024-01-01T00:00:00Z');
    expect(round.modificationDateTime).toBe('2024-01-01T00:00:00.25Z');
    expect((round.intervals as { intervalPeriod: { start: string } }[])[0].intervalPeriod.start).toBe('2024-01-01T03:00:00Z');
    expect(wire.createdDateTime).toBe('2024-01-01T01:00:00+01:00');
    expect(JSON.parse(JSON.stringify(round)).intervals[0].payloads).toEqual(wire.intervals[0].payloads);
  });

  it('names the nested field of a bad value', () => {
    const bad = { ...wire, intervals: [wire.intervals[0], { id: 1, intervalPeriod: { duration: '1 hour' }, payloads: [] }] };
    expect(() => hydrate('EVENT', bad)).toThrow(/^intervals\[1\]\.intervalPeriod\.duration: /);
  });

  it('copies "__proto__" keys as data, never as the prototype', () => {
    const withKeys = JSON.parse('{"programID": "p", "__proto__": {"x": 1}, "intervals": [{"id": 0, "payloads": [], "__proto__": []}]}');
    for (const copy of [hydrate<Record<string, unknown>>('EVENT', withKeys), dehydrate('EVENT', withKeys)]) {
      expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
      expect(Object.getOwnPropertyDescriptor(copy, '__proto__')?.value).toEqual({ x: 1 });
      expect(JSON.stringify(copy)).toBe(JSON.stringify(withKeys));
    }
  });
});

describe("a report's temporal fields", () => {
  const DURATIONS = ['PT15M', 'P1D', 'PT0.5S', 'P1W', 'PT36H', 'PT90M', 'P1Y2M', '-PT1H', 'P9999Y', 'PT0.000000001S'];
  const report = (duration: string) => ({
    id: 'r1',
    objectType: 'REPORT',
    eventID: 'e1',
    clientID: 'c1',
    clientName: 'n',
    createdDateTime: '2024-01-01T01:00:00+01:00',
    modificationDateTime: '2024-01-01T00:00:00Z',
    // Not a 3.1.0 report field: kept as written.
    intervalPeriod: { start: 'whenever', duration: 'a while' },
    resources: [
      {
        resourceName: 'r',
        intervalPeriod: { start: '2024-06-15T09:30:00.5+05:30', duration, randomizeStart: duration },
        intervals: [{ id: 0, intervalPeriod: { start: '2024-06-15T00:00:00-01:00', duration }, payloads: [] }],
      },
    ],
  });

  it.each(DURATIONS)('gives %s back as written, with date-times in UTC', (duration) => {
    const round = dehydrate('REPORT', hydrate('REPORT', report(duration))) as ReturnType<typeof report>;
    expect(round.resources[0].intervalPeriod).toEqual({ start: '2024-06-15T04:00:00.5Z', duration, randomizeStart: duration });
    expect(round.resources[0].intervals[0].intervalPeriod).toEqual({ start: '2024-06-15T01:00:00Z', duration });
    expect(round.intervalPeriod).toEqual({ start: 'whenever', duration: 'a while' });
  });

  it('names the resource and interval of a bad value', () => {
    const bad = report('PT1H');
    bad.resources[0].intervals[0].intervalPeriod.duration = '1 hour';
    expect(() => hydrate('REPORT', bad)).toThrow(/^resources\[0\]\.intervals\[0\]\.intervalPeriod\.duration: /);
  });
});
