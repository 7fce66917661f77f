import { eventSpan } from '../../../../lambdas/core/openadr/timing';
import { hydrate } from '../../../../lambdas/core/openadr/temporal-fields';
import type { VtnEvent } from '../../../../lambdas/core/openadr/types';
import { formatDateTime } from '../../../../lambdas/core/time/temporal';

function span(wire: Record<string, unknown>): { start?: string; end?: string } {
  const result = eventSpan(hydrate<VtnEvent>('EVENT', { programID: 'p', ...wire }));
  return {
    start: result.start && formatDateTime(result.start),
    end: result.end && formatDateTime(result.end),
  };
}

const interval = (id: number, intervalPeriod?: Record<string, string>) => ({ id, payloads: [], ...(intervalPeriod && { intervalPeriod }) });

describe('eventSpan', () => {
  it('runs consecutive intervals from the event start with the default duration', () => {
    expect(
      span({ intervalPeriod: { start: '2024-01-01T00:00:00Z', duration: 'PT1H' }, intervals: [interval(0), interval(1), interval(2)] }),
    ).toEqual({ start: '2024-01-01T00:00:00Z', end: '2024-01-01T03:00:00Z' });
  });

  it('lets interval periods override the default and follows gaps', () => {
    expect(
      span({
        intervalPeriod: { start: '2024-01-01T00:00:00Z', duration: 'PT1H' },
        intervals: [interval(0), interval(1, { start: '2024-01-01T05:00:00+01:00', duration: 'PT30M' }), interval(2)],
      }),
    ).toEqual({ start: '2024-01-01T00:00:00Z', end: '2024-01-01T05:30:00Z' });
  });

  it('takes the earliest interval start when the event has no intervalPeriod', () => {
    expect(
      span({
        intervals: [
          interval(0, { start: '2024-03-01T10:00:00Z', duration: 'PT1H' }),
          interval(1, { start: '2024-03-01T08:00:00Z', duration: 'PT1H' }),
        ],
      }),
    ).toEqual({ start: '2024-03-01T08:00:00Z', end: '2024-03-01T11:00:00Z' });
  });

  it('uses event.duration when given, and P9999Y anywhere as unbounded', () => {
    expect(span({ intervalPeriod: { start: '2024-01-01T00:00:00Z', duration: 'PT1H' }, duration: 'P7D', intervals: [interval(0)] })).toEqual({
      start: '2024-01-01T00:00:00Z',
      end: '2024-01-08T00:00:00Z',
    });
    expect(span({ intervalPeriod: { start: '0001-01-01', duration: 'P9999Y' }, intervals: [interval(0)] })).toEqual({
      start: '0001-01-01T00:00:00Z',
      end: undefined,
    });
    expect(span({ intervalPeriod: { start: '2024-01-01T00:00:00Z' }, duration: 'P9999Y', intervals: [] })).toEqual({
      start: '2024-01-01T00:00:00Z',
      end: undefined,
    });
  });

  it('has neither start nor end for an event without times', () => {
    expect(span({ intervals: [interval(0)] })).toEqual({ start: undefined, end: undefined });
    expect(span({})).toEqual({ start: undefined, end: undefined });
  });

  it('takes an end past year 9999, or beyond what Temporal can represent, as unbounded', () => {
    const start = '2024-01-01T00:00:00Z';
    for (const duration of ['P999999Y', 'P4294967295Y', 'P99999999D', 'PT9007199254740991S', 'P9000Y']) {
      expect(span({ intervalPeriod: { start }, duration })).toEqual({ start, end: undefined });
      expect(span({ intervalPeriod: { start, duration }, intervals: [interval(0), interval(1)] })).toEqual({ start, end: undefined });
    }
    const nearTheEnd = { start: '9999-12-31T00:00:00Z', duration: 'PT12H' };
    expect(span({ intervalPeriod: nearTheEnd, intervals: [interval(0)] })).toEqual({ start: nearTheEnd.start, end: '9999-12-31T12:00:00Z' });
    expect(span({ intervalPeriod: nearTheEnd, intervals: [interval(0), interval(1), interval(2)] })).toEqual({ start: nearTheEnd.start, end: undefined });
  });

  it('lets a negative duration span nothing', () => {
    const start = '2024-01-01T00:00:00Z';
    expect(span({ intervalPeriod: { start }, duration: '-PT1H' })).toEqual({ start, end: start });
    expect(span({ intervalPeriod: { start, duration: '-P1D' }, intervals: [interval(0), interval(1, { start, duration: 'PT1H' })] })).toEqual({
      start,
      end: '2024-01-01T01:00:00Z',
    });
  });

  describe("a 'do it now' event (starting at the beginning of time)", () => {
    const now = '0001-01-01';
    const beginning = '0001-01-01T00:00:00Z';

    it('lasts, whenever it is read, while its duration is positive: no end', () => {
      for (const duration of ['P9999Y', 'PT1H', 'P1D']) {
        expect(span({ intervalPeriod: { start: now, duration }, intervals: [interval(0)] })).toEqual({ start: beginning, end: undefined });
        expect(span({ intervalPeriod: { start: '0001-01-01T00:00:00' }, duration })).toEqual({ start: beginning, end: undefined });
      }
    });

    it('is over with a zero or negative duration (the User Guide’s way to cancel): it ends where it starts', () => {
      expect(span({ intervalPeriod: { start: now, duration: 'PT0S' }, intervals: [interval(0)] })).toEqual({ start: beginning, end: beginning });
      expect(span({ intervalPeriod: { start: now }, duration: '-PT5M' })).toEqual({ start: beginning, end: beginning });
      expect(span({ intervalPeriod: { start: now } })).toEqual({ start: beginning, end: beginning });
    });

    it('comes from the first interval when the event has no start; later intervals at the beginning of time follow the previous one', () => {
      expect(span({ intervals: [interval(0, { start: now, duration: 'PT1H' })] })).toEqual({ start: beginning, end: undefined });
      expect(
        span({ intervalPeriod: { start: '2024-01-01T00:00:00Z', duration: 'PT1H' }, intervals: [interval(0, { start: now }), interval(1, { start: now })] }),
      ).toEqual({ start: '2024-01-01T00:00:00Z', end: '2024-01-01T02:00:00Z' });
    });
  });
});
