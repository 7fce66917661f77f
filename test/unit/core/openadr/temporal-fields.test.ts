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
