import { Temporal } from 'temporal-polyfill';
import { hasSortableYear, isBeginningOfTime, isUnbounded } from '../time/temporal';
import type { VtnEvent } from './types';

const ZERO = new Temporal.Duration();

export interface EventSpan {
  /**
   * intervalPeriod.start, else the earliest interval start; absent when the event has no times.
   * A 'do it now' event keeps the beginning of time (0001-01-01) it was written with.
   */
  start?: Temporal.ZonedDateTime;
  /**
   * Absent when the event does not end: unbounded (P9999Y, or an end past year 9999), unknown
   * (no times), or a 'do it now' event that lasts, its start being whenever it is read.
   */
  end?: Temporal.ZonedDateTime;
}

/**
 * The event's lifespan per User Guide 7.3: intervals without a start follow the previous one;
 * event.duration, when given, sets the span from the event's start. An event starting at the
 * beginning of time is a 'do it now' event: it starts whenever it is read, so it is current as
 * long as its duration is positive, and over (cancelled) with PT0S.
 */
export function eventSpan(event: Pick<VtnEvent, 'intervalPeriod' | 'intervals' | 'duration'>): EventSpan {
  const defaults = event.intervalPeriod ?? undefined;
  const intervals = event.intervals ?? [];
  let unbounded = false;
  let cursor = defaults?.start;
  let earliest: Temporal.ZonedDateTime | undefined;
  let latest: Temporal.ZonedDateTime | undefined;

  intervals.forEach((interval, index) => {
    const own = interval.intervalPeriod?.start;
    // The beginning of time on an interval: the first takes the event's start if there is one
    // ('do it now' if not); a later one follows the previous interval.
    const start = own && !(isBeginningOfTime(own) && (index > 0 || cursor)) ? own : cursor;
    if (!start) return;
    const end = endOf(start, interval.intervalPeriod?.duration ?? defaults?.duration ?? ZERO);
    if (!earliest || Temporal.ZonedDateTime.compare(start, earliest) < 0) earliest = start;
    if (!end) unbounded = true;
    else if (!latest || Temporal.ZonedDateTime.compare(end, latest) > 0) latest = end;
    cursor = end;
  });

  const start = defaults?.start ?? earliest;
  if (!start) return {};
  const end = event.duration
    ? endOf(start, event.duration)
    : intervals.length === 0 && defaults?.duration
      ? endOf(start, defaults.duration)
      : unbounded
        ? undefined
        : (latest ?? start);
  if (isBeginningOfTime(start)) return end && Temporal.ZonedDateTime.compare(end, start) <= 0 ? { start, end: start } : { start };
  return end ? { start, end } : { start };
}

/**
 * start + duration, or undefined when that never comes: P9999Y, or an end past year 9999 (which
 * may lie beyond what Temporal can represent). A negative duration spans nothing.
 */
function endOf(start: Temporal.ZonedDateTime, duration: Temporal.Duration): Temporal.ZonedDateTime | undefined {
  if (isUnbounded(duration)) return undefined;
  if (duration.sign < 0) return start;
  try {
    const end = start.add(duration);
    return hasSortableYear(end) ? end : undefined;
  } catch (error) {
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}
