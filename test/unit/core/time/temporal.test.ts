import fc from 'fast-check';
import { Temporal } from 'temporal-polyfill';
import { InvalidInputError } from '../../../../lambdas/core/errors';
import {
  formatDateTime,
  formatDuration,
  isBeginningOfTime,
  isUnbounded,
  parseDateTime,
  parseDuration,
  sortableDateTime,
} from '../../../../lambdas/core/time/temporal';

describe('parseDateTime', () => {
  it.each([
    ['2024-06-15T09:30:00Z', '2024-06-15T09:30:00Z'],
    ['2024-06-15T09:30:00z', '2024-06-15T09:30:00Z'],
    ['2024-06-15t09:30:00+02:00', '2024-06-15T07:30:00Z'],
    ['2024-06-15T09:30:00.5-05:30', '2024-06-15T15:00:00.5Z'],
    ['2024-06-15T09:30:00.123456789123Z', '2024-06-15T09:30:00.123456789Z'],
    ['2024-01-01T00:30:00+01:00', '2023-12-31T23:30:00Z'],
  ])('reads %s as the instant %s', (input, canonical) => {
    const parsed = parseDateTime(input, 'start');
    expect(parsed).toBeInstanceOf(Temporal.ZonedDateTime);
    expect(formatDateTime(parsed)).toBe(canonical);
  });

  it.each(['0001-01-01', '0001-01-01T00:00:00'])('reads the special start %s as the beginning of time', (input) => {
    const parsed = parseDateTime(input, 'start');
    expect(isBeginningOfTime(parsed)).toBe(true);
    expect(formatDateTime(parsed)).toBe('0001-01-01T00:00:00Z');
  });

  it.each(['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000z', '0001-01-01T01:00:00+01:00', '0000-12-31T23:00:00-01:00'])(
    'reads %s, the same instant at another offset or precision, as the beginning of time too, written back in UTC',
    (input) => {
      const parsed = parseDateTime(input, 'start');
      expect(isBeginningOfTime(parsed)).toBe(true);
      expect(formatDateTime(parsed)).toBe('0001-01-01T00:00:00Z');
    },
  );

  it.each(['0001-01-01T00:00:00.000000001Z', '0000-12-31T23:59:59.999999999Z'])('does not take %s, a nanosecond off, for the beginning of time', (input) => {
    expect(isBeginningOfTime(parseDateTime(input, 'start'))).toBe(false);
  });

  it.each(['2024-06-15', '2024-06-15T09:30:00', '2024-02-30T00:00:00Z', 'yesterday', '2024-06-15T25:00:00Z', ''])(
    'rejects %j naming the field',
    (input) => {
      let thrown: unknown;
      try {
        parseDateTime(input, 'intervals[2].intervalPeriod.start');
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(InvalidInputError);
      expect((thrown as InvalidInputError).issues[0].field).toBe('intervals[2].intervalPeriod.start');
    },
  );

  it('rejects non-strings', () => {
    expect(() => parseDateTime(1718443800, 'createdDateTime')).toThrow(/createdDateTime: must be an RFC 3339/);
  });
});

describe('sortableDateTime', () => {
  it('has a fixed width so that lexical order is time order', () => {
    const a = sortableDateTime(parseDateTime('2024-06-15T09:30:00.9+00:00', 'x'));
    const b = sortableDateTime(parseDateTime('2024-06-15T09:30:01+00:00', 'x'));
    expect(a).toBe('2024-06-15T09:30:00.900000000Z');
    expect(b).toBe('2024-06-15T09:30:01.000000000Z');
    expect(a < b).toBe(true);
  });
});

describe('parseDuration', () => {
  it.each([
    ['PT1H', 'PT1H'],
    ['P1W', 'P1W'],
    ['P1D', 'P1D'],
    ['-PT15M', '-PT15M'],
    ['PT0.5S', 'PT0.5S'],
    ['P1Y2M3DT4H5M6.25S', 'P1Y2M3DT4H5M6.25S'],
    ['PT0.1234567891234S', 'PT0.123456789S'],
    ['P9999Y', 'P9999Y'],
  ])('reads %s', (input, formatted) => {
    expect(formatDuration(parseDuration(input, 'duration'))).toBe(formatted);
  });

  it.each(['P', 'PT', '1H', 'P1H', 'PT1D', 'P1W1D', 'P-1D', 'pt1h'])('rejects %s as the spec pattern does', (input) => {
    expect(() => parseDuration(input, 'intervalPeriod.duration')).toThrow(/intervalPeriod\.duration: .* is not an ISO 8601 duration/);
  });

  it('recognises P9999Y, and only it, as unbounded', () => {
    expect(isUnbounded(parseDuration('P9999Y', 'd'))).toBe(true);
    expect(isUnbounded(parseDuration('P9999YT1S', 'd'))).toBe(false);
    expect(isUnbounded(parseDuration('P9998Y', 'd'))).toBe(false);
  });
});

describe('texts kept with parsed values', () => {
  // What the polyfill itself writes, which the kept texts must match exactly.
  const written = (value: string) => Temporal.Instant.from(value.replace(/\.(\d{9})\d+Z$/, '.$1Z')).toString();

  it.each([
    '2024-06-15T09:30:00Z',
    '2024-06-15T09:30:00.5Z',
    '2024-06-15T09:30:00.50Z',
    '2024-06-15T09:30:00.000Z',
    '2024-06-15T09:30:00.123456789Z',
    '2024-06-15T09:30:00.1234567891Z',
    '2016-12-31T23:59:60Z',
    '0000-01-01T00:00:00Z',
    '9999-12-31T23:59:59.999999999Z',
    '2024-06-15T09:30:00+00:00',
  ])('a date-time parsed from %s is written as the polyfill writes it', (value) => {
    expect(formatDateTime(parseDateTime(value, 'at'))).toBe(written(value));
  });

  it.each(['PT1H', 'P0D', 'PT1.500S', 'P1W', 'P1Y2M3DT4H5M6.7S', 'PT0S', 'P9999Y', '-PT15M', 'PT0.0000000001S'])(
    'a duration parsed from %s is written as the polyfill writes it, the second time too',
    (value) => {
      const expected = Temporal.Duration.from(value.replace(/\.(\d{9})\d+S$/, '.$1S')).toString();
      expect(formatDuration(parseDuration(value, 'd'))).toBe(expected);
      expect(formatDuration(parseDuration(value, 'd'))).toBe(expected);
    },
  );
});

describe('canonical UTC date-times, read without the polyfill parser', () => {
  const earliest = Temporal.Instant.from('0000-01-01T00:00:00Z').epochNanoseconds;
  const latest = Temporal.Instant.from('9999-12-31T23:59:59.999999999Z').epochNanoseconds;

  it('read the same instant the parser reads, and write back the same text', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: earliest, max: latest }), (epochNanoseconds) => {
        const text = Temporal.Instant.fromEpochNanoseconds(epochNanoseconds).toString();
        const parsed = parseDateTime(text, 'at');
        expect(parsed.epochNanoseconds).toBe(epochNanoseconds);
        expect(parsed.timeZoneId).toBe('UTC');
        expect(formatDateTime(parsed)).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it.each(['2024-02-30T00:00:00Z', '2023-02-29T12:00:00Z', '2024-01-01T24:00:00Z', '2024-13-01T00:00:00Z', '2024-01-01T23:60:00Z'])(
    'leave %s, which no calendar has, to the parser, which refuses it',
    (value) => {
      expect(() => parseDateTime(value, 'at')).toThrow(InvalidInputError);
    },
  );
});

describe('durations written as parsed', () => {
  const number = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 999 }), fc.integer({ min: 1000, max: 4_000_000 }));
  const part = (unit: string) => fc.option(number.map((value) => `${value}${unit}`), { nil: '' });
  const seconds = fc.option(
    fc.tuple(number, fc.option(fc.stringMatching(/^[0-9]{1,9}$/), { nil: undefined })).map(([whole, fraction]) => `${whole}${fraction === undefined ? '' : `.${fraction}`}S`),
    { nil: '' },
  );
  const text = fc
    .tuple(fc.boolean(), part('Y'), part('M'), fc.oneof(part('D'), part('W')), part('H'), part('M'), seconds)
    .map(([negative, years, months, days, hours, minutes, secs]) => {
      const time = `${hours}${minutes}${secs}`;
      return `${negative ? '-' : ''}P${years}${months}${days}${time ? `T${time}` : ''}`;
    })
    .filter((value) => /\d/.test(value));

  it('come back as the polyfill writes them, whatever form they were sent in', () => {
    fc.assert(
      fc.property(text, (value) => {
        expect(formatDuration(parseDuration(value, 'd'))).toBe(Temporal.Duration.from(value).toString());
      }),
      { numRuns: 1000 },
    );
  });
});
