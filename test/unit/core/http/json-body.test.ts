import { InvalidInputError } from '../../../../lambdas/core/errors';
import { MAX_JSON_DEPTH, parseJson } from '../../../../lambdas/core/http/json-body';

function issues(text: string) {
  try {
    parseJson(text);
    return [];
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    return error.issues;
  }
}

const nested = (depth: number, open = '{"a": ', close = '}') => `${open.repeat(depth)}1${close.repeat(depth)}`;

describe('parseJson', () => {
  test('parses JSON; malformed text is 400 naming body', () => {
    expect(parseJson('{"a": [1, "x", null, true]}')).toEqual({ a: [1, 'x', null, true] });
    expect(issues('{"a": ')).toEqual([{ field: 'body', reason: expect.stringContaining('is not valid JSON') }]);
  });

  test(`nesting up to ${MAX_JSON_DEPTH} levels passes; deeper is 400 naming where`, () => {
    expect(issues(nested(MAX_JSON_DEPTH))).toEqual([]);
    expect(issues(`{"x": {"y": [${nested(3000, '[', ']')}]}}`)).toEqual([
      { field: `x.y${'[0]'.repeat(MAX_JSON_DEPTH - 2)}`, reason: `nests deeper than ${MAX_JSON_DEPTH} levels` },
    ]);
    expect(issues(nested(3000))[0].field).toBe(Array(MAX_JSON_DEPTH).fill('a').join('.'));
  });

  test('numbers a 64-bit float holds as written pass, whatever their form', () => {
    for (const number of ['0', '-0', '0.1', '1e-7', '1E2', '1.50', '1e308', '-2.5e-308', '9007199254740991', '9007199254740992', '0.30000000000000004']) {
      expect(issues(`{"x": ${number}}`)).toEqual([]);
    }
  });

  test('numbers that would come back changed are 400 naming the field', () => {
    expect(issues('{"x": 1e400}')).toEqual([{ field: 'x', reason: '1e400 is beyond the range of a 64-bit float' }]);
    expect(issues('{"a": [{"b": 1}, {"b": -1e400}]}')).toEqual([{ field: 'a[1].b', reason: expect.stringContaining('beyond the range') }]);
    expect(issues('{"x": 9007199254740993}')).toEqual([
      { field: 'x', reason: '9007199254740993 cannot be kept exactly: a 64-bit float holds it as 9007199254740992' },
    ]);
    expect(issues('{"x": 12345678901234567890, "y": 1e-400}').map((issue) => issue.field)).toEqual(['x', 'y']);
    expect(issues('1e400')[0].field).toBe('body');
  });

  test('strings are never read as numbers or structure, escapes included', () => {
    expect(issues(String.raw`{"1e400": "1e400 [[[{", "k\"}": "\\", "9007199254740993": "\"9007199254740993\""}`)).toEqual([]);
    expect(issues(String.raw`{"a\"b": [1, 1e400]}`)).toEqual([{ field: 'a"b[1]', reason: expect.any(String) }]);
  });
});
