import { InvalidInputError } from '../../../../lambdas/core/errors';
import { eventRequest, programRequest, reportRequest, resourceRequest, subscriptionRequest, venRequest } from '../../../../lambdas/core/openadr/request-bodies';
import { validate } from '../../../../lambdas/core/openadr/validation';

function issues(check: Parameters<typeof validate>[0], body: unknown) {
  try {
    validate(check, body);
    return [];
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    return error.issues;
  }
}

describe('request validation against the 3.1.0 schemas', () => {
  test('accepts the smallest valid bodies and fields the schemas do not name', () => {
    expect(issues(programRequest, { programName: 'p', vendorExtension: { any: 1 } })).toEqual([]);
    expect(issues(eventRequest, { programID: 'p1' })).toEqual([]);
    expect(issues(eventRequest, { programID: 'p1', intervals: [] })).toEqual([]);
    expect(issues(subscriptionRequest, { clientName: 'c', objectOperations: [] })).toEqual([]);
  });

  test('nullable fields accept null; others do not', () => {
    expect(issues(programRequest, { programName: 'p', targets: null, attributes: null, payloadDescriptors: null })).toEqual([]);
    expect(issues(eventRequest, { programID: 'p1', eventName: null, priority: null })).toEqual([]);
    expect(issues(eventRequest, { programID: null })).toEqual([{ field: 'programID', reason: 'must be a string, got null' }]);
  });

  test('null on an optional property is its absence: accepted, and dropped from what validate returns', () => {
    const body = {
      programID: 'p1',
      duration: null,
      intervalPeriod: null,
      eventName: null,
      vendorExtension: null,
      intervals: [{ id: 0, intervalPeriod: { start: '2024-01-01T00:00:00Z', duration: null, randomizeStart: null }, payloads: [] }],
    };
    expect(issues(eventRequest, body)).toEqual([]);
    expect(validate(eventRequest, body)).toEqual({
      programID: 'p1',
      vendorExtension: null,
      intervals: [{ id: 0, intervalPeriod: { start: '2024-01-01T00:00:00Z' }, payloads: [] }],
    });
    expect(body.intervalPeriod).toBeNull();
    expect(issues(eventRequest, { programID: 'p1', intervals: [{ id: 0, payloads: null }] })[0].field).toBe('intervals[0].payloads');
  });

  test('a discriminator value that names an inherited property is no schema', () => {
    for (const objectType of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const body = { programName: 'p', payloadDescriptors: [{ objectType, payloadType: 'PRICE' }] };
      expect(issues(programRequest, body)).toEqual([{ field: 'payloadDescriptors[0].objectType', reason: expect.stringContaining('must be one of') }]);
    }
  });

  test('lengths count characters, not bytes', () => {
    expect(issues(programRequest, { programName: '€'.repeat(128) })).toEqual([]);
    expect(issues(programRequest, { programName: '€'.repeat(129) })[0].field).toBe('programName');
  });

  test('strings must be well-formed Unicode: a lone surrogate could not be stored', () => {
    const lone = { reason: 'must be valid Unicode (lone surrogate)' };
    expect(issues(programRequest, { programName: '\ud800' })).toEqual([{ field: 'programName', ...lone }]);
    expect(issues(programRequest, { programName: 'a\udfffb', targets: ['ok', 'x\udc00'] })).toEqual([
      { field: 'programName', ...lone },
      { field: 'targets[1]', ...lone },
    ]);
    const event = { programID: 'p', eventName: '\ud83d', intervals: [{ id: 0, payloads: [{ type: 'T', values: ['\ude00', 'ok'] }] }] };
    expect(issues(eventRequest, event).map((issue) => issue.field)).toEqual(['eventName', 'intervals[0].payloads[0].values[0]']);
    const operation = { objects: ['EVENT'], operations: ['CREATE'], callbackUrl: 'https://ven.example.com/\udbff', bearerToken: '\udbff' };
    expect(issues(subscriptionRequest, { clientName: 'c', objectOperations: [operation] })).toEqual([
      { field: 'objectOperations[0].callbackUrl', ...lone },
      { field: 'objectOperations[0].bearerToken', ...lone },
    ]);
    // A pair is one character, in either order of the checks.
    expect(issues(programRequest, { programName: '\ud83d\ude00'.repeat(128) })).toEqual([]);
    expect(issues(programRequest, { programName: '\ude00\ud83d' })).toEqual([{ field: 'programName', ...lone }]);
  });

  test('integers: priority >= 0, interval ids int32, confidence 0-100', () => {
    const interval = (id: unknown) => ({ programID: 'p', intervals: [{ id, payloads: [] }] });
    expect(issues(eventRequest, interval(2 ** 31 - 1))).toEqual([]);
    expect(issues(eventRequest, interval(2 ** 31))[0].field).toBe('intervals[0].id');
    expect(issues(eventRequest, interval('1'))[0].field).toBe('intervals[0].id');
    expect(issues(eventRequest, { programID: 'p', priority: -1 })[0].field).toBe('priority');
    const descriptor = (confidence: number) => ({
      programName: 'p',
      payloadDescriptors: [{ objectType: 'REPORT_PAYLOAD_DESCRIPTOR', payloadType: 'USAGE', confidence }],
    });
    expect(issues(programRequest, descriptor(100))).toEqual([]);
    expect(issues(programRequest, descriptor(101))[0].field).toBe('payloadDescriptors[0].confidence');
  });

  test('values may be numbers, strings, booleans or points, nothing else', () => {
    const withValues = (values: unknown[]) => ({ programID: 'p', intervals: [{ id: 0, payloads: [{ type: 'X', values }] }] });
    expect(issues(eventRequest, withValues([1, 2.5, 'a', false, { x: 1, y: 2 }]))).toEqual([]);
    expect(issues(eventRequest, withValues([{ x: 1 }]))[0].field).toBe('intervals[0].payloads[0].values[0].y');
    expect(issues(eventRequest, withValues([null]))[0].field).toBe('intervals[0].payloads[0].values[0]');
  });

  test('date-times need an offset; durations follow the spec pattern; special values pass', () => {
    const period = (intervalPeriod: unknown) => ({ programID: 'p', intervalPeriod });
    expect(issues(eventRequest, period({ start: '0001-01-01', duration: 'P9999Y' }))).toEqual([]);
    expect(issues(eventRequest, period({ start: '2024-01-01T00:00:00.5+05:30', duration: 'P1W', randomizeStart: 'PT0.5S' }))).toEqual([]);
    expect(issues(eventRequest, period({ start: '2024-01-01T00:00:00' }))[0].field).toBe('intervalPeriod.start');
    expect(issues(eventRequest, period({ duration: 'P' }))[0].field).toBe('intervalPeriod.duration');
    expect(issues(eventRequest, period({ start: '0000-01-01T00:00:00Z' }))).toEqual([]);
    expect(issues(eventRequest, period({ start: '9999-12-31T23:30:00-01:00' }))).toEqual([
      { field: 'intervalPeriod.start', reason: '"9999-12-31T23:30:00-01:00" falls outside years 0000-9999 in UTC' },
    ]);
    const interval = { id: 0, intervalPeriod: { start: '0000-01-01T00:30:00+01:00' }, payloads: [] };
    expect(issues(eventRequest, { programID: 'p', intervals: [interval] })[0].field).toBe('intervals[0].intervalPeriod.start');
  });

  test('reports every issue at once', () => {
    expect(issues(subscriptionRequest, { objectOperations: [{ objects: 'EVENT', operations: [], callbackUrl: 'x' }] })).toEqual([
      { field: 'clientName', reason: 'is required' },
      { field: 'objectOperations[0].objects', reason: 'must be an array, got "EVENT"' },
      { field: 'objectOperations[0].callbackUrl', reason: expect.stringContaining('at least 2') },
      { field: 'objectOperations[0].callbackUrl', reason: expect.stringContaining('absolute URI') },
    ]);
  });
});

describe('request validation: what the generated validators add', () => {
  test('a body that is not an object names the body', () => {
    expect(issues(programRequest, [])).toEqual([{ field: 'body', reason: 'must be a JSON object, got an array' }]);
    expect(issues(eventRequest, 'x')).toEqual([{ field: 'body', reason: 'must be a JSON object, got "x"' }]);
  });

  test('__proto__ and constructor keys are data: accepted, kept as own properties, prototypes untouched', () => {
    const body = JSON.parse('{"programName":"p","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}');
    const accepted = validate(programRequest, body) as Record<string, unknown>;
    expect(Object.hasOwn(accepted, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(accepted)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(accepted)).toBe(JSON.stringify(body));
  });

  test('a duration the spec pattern allows but Temporal cannot hold is refused, naming the field', () => {
    expect(issues(eventRequest, { programID: 'p', duration: 'P4294967296Y' })).toEqual([
      { field: 'duration', reason: '"P4294967296Y" is outside the supported duration range' },
    ]);
  });

  test('values that fit no alternative name every type the schema allows', () => {
    const body = { programID: 'p', intervals: [{ id: 0, payloads: [{ type: 'X', values: [null] }] }] };
    expect(issues(eventRequest, body)).toEqual([
      { field: 'intervals[0].payloads[0].values[0]', reason: 'must be a number or an integer or a string or true or false or an object, got null' },
    ]);
  });

  test('a missing objectType on a payload descriptor names it', () => {
    expect(issues(programRequest, { programName: 'p', payloadDescriptors: [{ payloadType: 'PRICE' }] })).toEqual([
      { field: 'payloadDescriptors[0].objectType', reason: 'must be one of EVENT_PAYLOAD_DESCRIPTOR, REPORT_PAYLOAD_DESCRIPTOR' },
    ]);
  });

  test('at most 100 issues are listed', () => {
    const targets = Array.from({ length: 500 }, () => '');
    expect(issues(programRequest, { programName: 'p', targets })).toHaveLength(100);
  });

  test('VEN, resource and report requests: the oneOf by objectType', () => {
    expect(issues(venRequest, { objectType: 'BL_VEN_REQUEST', clientID: 'c', venName: 'v' })).toEqual([]);
    expect(issues(venRequest, { objectType: 'VEN_VEN_REQUEST', venName: 'v', targets: null })).toEqual([]);
    expect(issues(venRequest, { objectType: 'BL_VEN_REQUEST', venName: 'v' })).toEqual([{ field: 'clientID', reason: 'is required' }]);
    expect(issues(venRequest, { objectType: 'OTHER', venName: 'v' })).toEqual([
      { field: 'objectType', reason: 'must be one of VEN_VEN_REQUEST, BL_VEN_REQUEST' },
    ]);
    expect(issues(resourceRequest, { objectType: 'VEN_RESOURCE_REQUEST', resourceName: 'r', venID: 'v1' })).toEqual([]);
    expect(issues(resourceRequest, {})).toEqual([
      { field: 'objectType', reason: 'must be one of BL_RESOURCE_REQUEST, VEN_RESOURCE_REQUEST' },
    ]);
    expect(issues(reportRequest, {}).map((issue) => issue.field)).toEqual(expect.arrayContaining(['eventID', 'clientName', 'resources']));
  });
});
