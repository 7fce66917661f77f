import { InvalidInputError } from '../../../../lambdas/core/errors';
import { MAX_FILTER_VALUES, parseQuery, repeatedParam } from '../../../../lambdas/core/http/query';
import { oneOfValues, target } from '../../../../lambdas/core/openadr/validation';

function parsed(query: string, spec: Parameters<typeof parseQuery>[1]) {
  try {
    return parseQuery(query, spec);
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    return error.issues;
  }
}

const repeat = (name: string, count: number) => Array.from({ length: count }, (_, i) => `${name}=v${i}`).join('&');

describe('repeatedParam', () => {
  test(`takes up to ${MAX_FILTER_VALUES} distinct values; more is 400 naming the parameter`, () => {
    const spec = { targets: repeatedParam(target) };
    expect(parsed(repeat('targets', MAX_FILTER_VALUES), spec)).toEqual({ targets: Array.from({ length: MAX_FILTER_VALUES }, (_, i) => `v${i}`) });
    expect(parsed(repeat('targets', MAX_FILTER_VALUES + 1), spec)).toEqual([
      { field: 'targets', reason: `must have at most ${MAX_FILTER_VALUES} distinct values, got ${MAX_FILTER_VALUES + 1}` },
    ]);
  });

  test('counts and returns each value once', () => {
    const spec = { objects: repeatedParam(oneOfValues(['EVENT', 'PROGRAM']), 2) };
    expect(parsed('objects=EVENT&objects=PROGRAM&objects=EVENT', spec)).toEqual({ objects: ['EVENT', 'PROGRAM'] });
    expect(parsed('objects=EVENT&objects=x&objects=y', spec)).toEqual([{ field: 'objects', reason: 'must have at most 2 distinct values, got 3' }]);
  });

  test('checks each value, lengths included', () => {
    const spec = { targets: repeatedParam(target) };
    expect(parsed(`targets=a&targets=${'x'.repeat(129)}`, spec)).toEqual([{ field: 'targets', reason: 'must be at most 128 characters long' }]);
    expect(parsed('targets=', spec)).toEqual([{ field: 'targets', reason: 'must not be empty' }]);
  });
});
