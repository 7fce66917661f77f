import { InvalidInputError, type FieldIssue } from '../../../../lambdas/core/errors';
import { MAX_FILTER_VALUES, parseQuery, repeatedParam, stringParam } from '../../../../lambdas/core/http/query';
import { clientName, oneOfValues, target } from '../../../../lambdas/core/openadr/validation';

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

test('parameters take the body checks, well-formed Unicode included', () => {
  const lone = [{ field: 'targets', reason: 'must be valid Unicode (lone surrogate)' }];
  const issues: FieldIssue[] = [];
  expect(repeatedParam(target)(['ok', 'x\ud800'], 'targets', issues)).toBeUndefined();
  expect(stringParam(clientName)(['\udc00'], 'clientName', issues)).toBeUndefined();
  expect(issues).toEqual([...lone, { field: 'clientName', reason: lone[0].reason }]);
  // Decoding the query string already turns what is not UTF-8 into U+FFFD.
  expect(parsed('targets=%ED%A0%80', { targets: repeatedParam(target) })).toEqual({ targets: ['\ufffd\ufffd\ufffd'] });
});
