import { Temporal } from 'temporal-polyfill';
import { hasSortableYear, isUnbounded } from '../time/temporal';
import type { VtnEvent } from './types';

const ZERO = Temporal.Duration.from('PT0S');

export interface EventSpan {
  /** intervalPeriod.start, else the earliest interval start; absent when the event has no times. */
  start?: Temporal.ZonedDateTime;
  /** Absent when unbounded (P9999Y), unknown (no times) or past year 9999. */
  end?: Temporal.ZonedDateTime;
}

/**
 * The event's lifespan per User Guide 7.3: intervals without a start follow the previous one;
 * event.duration, when given, sets the span from the event's start.
 */
export function eventSpan(event: Pick<VtnEvent, 'intervalPeriod' | 'intervals' | 'duration'>): EventSpan {
  const defaults = event.intervalPeriod ?? undefined;
  let unbounded = false;
  let cursor = defaults?.start;
  let earliest: Temporal.ZonedDateTime | undefined;
  let latest: Temporal.ZonedDateTime | undefined;

  for (const interval of event.intervals ?? []) {
    const start = interval.intervalPeriod?.start ?? cursor;
    const duration = interval.intervalPeriod?.duration ?? defaults?.duration ?? ZERO;
    if (!start) continue;
    if (isUnbounded(duration)) unbounded = true;
    const end = start.add(duration);
    if (!earliest || Temporal.ZonedDateTime.compare(start, earliest) < 0) earliest = start;
    if (!latest || Temporal.ZonedDateTime.compare(end, latest) > 0) latest = end;
    cursor = end;
  }

  const start = defaults?.start ?? earliest;
  if (!start) return {};
  if (event.duration) {
    if (isUnbounded(event.duration)) return { start };
    return boundedSpan(start, start.add(event.duration));
  }
  if (!event.intervals?.length && defaults?.duration) {
    if (isUnbounded(defaults.duration)) return { start };
    latest = start.add(defaults.duration);
  }
  if (unbounded) return { start };
  return boundedSpan(start, latest ?? start);
}

function boundedSpan(start: Temporal.ZonedDateTime, end: Temporal.ZonedDateTime): EventSpan {
  return hasSortableYear(end) ? { start, end } : { start };
}
