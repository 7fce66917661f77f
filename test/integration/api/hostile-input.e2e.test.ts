/**
 * Hostile input over HTTP, many kinds in one pass: no 5xx on client input, every 400 names a
 * field, and no body pollutes the process's prototypes.
 */
import { ApiClient } from '../../support/api-client';

let api: ApiClient;
let ven: ApiClient;
let programID = '';
let eventID = '';
beforeAll(async () => {
  api = await ApiClient.start();
  ven = await api.as('ven-1');
  programID = (await api.post('/programs', { programName: 'hostile-base' })).body.id;
  eventID = (await api.post('/events', { programID, intervals: [] })).body.id;
});
afterAll(() => api.close());

const ev = (fields: Record<string, unknown>) => ({ programID, ...fields });
const deep = (depth: number) => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
};

type Case = [name: string, method: string, path: string, body?: string | Buffer, headers?: Record<string, string>];
const json = (value: unknown) => JSON.stringify(value);
/** A report about the base event ("EID" in a body stands for its id); reports are sent by a VEN. */
const report = (fields: Record<string, unknown>) => json({ eventID: 'EID', clientName: 'hostile', resources: [], ...fields });
const reportInterval = (fields: Record<string, unknown>) => ({ resourceName: 'r', intervals: [{ id: 0, payloads: [{ type: 'USAGE', values: [1] }], ...fields }] });

function cases(): Case[] {
  return [
    ['proto key program', 'POST', '/programs', '{"programName":"p-proto","__proto__":{"polluted":1},"constructor":{"prototype":{"x":1}}}'],
    ['proto key event nested', 'POST', '/events', json(ev({ intervals: [{ id: 0, payloads: [{ type: 'X', values: [1] }], __proto__: null }] })).replace('"__proto__":null', '"__proto__":{"a":1}')],
    ['proto as intervalPeriod', 'POST', '/events', `{"programID":"${'PID'}","intervalPeriod":{"__proto__":{"start":"2030-01-01T00:00:00Z"}}}`],
    ['deep 63', 'POST', '/programs', json({ programName: 'deep63', x: deep(62) })],
    ['deep 65', 'POST', '/programs', json({ programName: 'deep65', x: deep(65) })],
    ['deep 100k', 'POST', '/programs', '{"programName":"d","x":' + '['.repeat(100000) + ']'.repeat(100000) + '}'],
    ['huge num', 'POST', '/programs', '{"programName":"hn","x":1e400}'],
    ['huge num in values', 'POST', '/events', json(ev({ intervals: [{ id: 0, payloads: [{ type: 'X', values: [1] }] }] })).replace('[1]', '[1e309]')],
    ['negative zero', 'POST', '/programs', '{"programName":"nz","x":-0}'],
    ['num 0.1', 'POST', '/programs', '{"programName":"n01","x":0.1}'],
    ['num 1E2', 'POST', '/programs', '{"programName":"n1E2","x":1E2}'],
    ['num 5e-324', 'POST', '/programs', '{"programName":"nden","x":5e-324}'],
    ['num 2.5e-324', 'POST', '/programs', '{"programName":"nden2","x":2.5e-324}'],
    ['num long digits', 'POST', '/programs', '{"programName":"nlong","x":0.1000000000000000055511151231257827}'],
    ['interval id huge', 'POST', '/events', json(ev({ intervals: [{ id: 2 ** 31, payloads: [{ type: 'X', values: [1] }] }] }))],
    ['duration huge years', 'POST', '/events', json(ev({ intervalPeriod: { start: '2030-01-01T00:00:00Z', duration: 'P4294967295Y' } }))],
    ['duration 2^32 years', 'POST', '/events', json(ev({ intervalPeriod: { start: '2030-01-01T00:00:00Z', duration: 'P4294967296Y' } }))],
    ['duration huge secs', 'POST', '/events', json(ev({ intervalPeriod: { start: '2030-01-01T00:00:00Z', duration: 'PT9007199254740991S' } }))],
    ['duration huge secs2', 'POST', '/events', json(ev({ intervalPeriod: { start: '2030-01-01T00:00:00Z', duration: 'PT99999999999999999999S' } }))],
    ['duration huge hours', 'POST', '/events', json(ev({ intervalPeriod: { start: '2030-01-01T00:00:00Z', duration: 'PT9999999999999999H' } }))],
    ['duration huge days', 'POST', '/events', json(ev({ intervalPeriod: { start: '2030-01-01T00:00:00Z', duration: 'P999999999999D' } }))],
    ['duration mixed huge', 'POST', '/events', json(ev({ intervalPeriod: { start: '2030-01-01T00:00:00Z', duration: 'P4294967295Y4294967295M4294967295W' } }))],
    ['duration frac', 'POST', '/events', json(ev({ intervalPeriod: { start: '2030-01-01T00:00:00Z', duration: 'PT0.0000000001S' } }))],
    ['duration many frac digits', 'POST', '/events', json(ev({ intervalPeriod: { start: '2030-01-01T00:00:00Z', duration: 'PT1.' + '9'.repeat(5000) + 'S' } }))],
    ['neg duration', 'POST', '/events', json(ev({ intervalPeriod: { start: '2030-01-01T00:00:00Z', duration: '-PT1H' } }))],
    ['event.duration huge', 'POST', '/events', json(ev({ duration: 'P4294967295Y', intervalPeriod: { start: '2030-01-01T00:00:00Z' } }))],
    ['randomizeStart huge', 'POST', '/events', json(ev({ intervalPeriod: { start: '2030-01-01T00:00:00Z', randomizeStart: 'PT99999999999999999999S' } }))],
    ['interval huge durations many', 'POST', '/events', json(ev({ intervalPeriod: { start: '2030-01-01T00:00:00Z' }, intervals: Array.from({ length: 3 }, (_, i) => ({ id: i, intervalPeriod: { duration: 'P4294967295Y' }, payloads: [{ type: 'X', values: [1] }] })) }))],
    ['date 9999 end', 'POST', '/events', json(ev({ intervalPeriod: { start: '9999-12-31T23:59:59Z', duration: 'PT1H' } }))],
    ['date 9999 offset -', 'POST', '/events', json(ev({ intervalPeriod: { start: '9999-12-31T23:59:59-01:00', duration: 'PT1H' } }))],
    ['date 0000 offset +', 'POST', '/events', json(ev({ intervalPeriod: { start: '0000-01-01T00:00:00+01:00', duration: 'PT1H' } }))],
    ['date 0000', 'POST', '/events', json(ev({ intervalPeriod: { start: '0000-01-01T00:00:00Z', duration: 'PT1H' } }))],
    ['date month 13', 'POST', '/events', json(ev({ intervalPeriod: { start: '2030-13-01T00:00:00Z' } }))],
    ['date feb 30', 'POST', '/events', json(ev({ intervalPeriod: { start: '2030-02-30T00:00:00Z' } }))],
    ['date leap sec', 'POST', '/events', json(ev({ intervalPeriod: { start: '2030-06-30T23:59:60Z' } }))],
    ['date offset 99', 'POST', '/events', json(ev({ intervalPeriod: { start: '2030-06-30T23:59:00+99:99' } }))],
    ['date offset 24', 'POST', '/events', json(ev({ intervalPeriod: { start: '2030-06-30T23:59:00+24:00' } }))],
    ['date 10000', 'POST', '/events', json(ev({ intervalPeriod: { start: '+010000-01-01T00:00:00Z' } }))],
    ['date 24:00', 'POST', '/events', json(ev({ intervalPeriod: { start: '2030-01-01T24:00:00Z' } }))],
    ['date huge fraction', 'POST', '/events', json(ev({ intervalPeriod: { start: '2030-01-01T00:00:00.' + '9'.repeat(20000) + 'Z' } }))],
    ['do it now', 'POST', '/events', json(ev({ intervalPeriod: { start: '0001-01-01', duration: 'PT1H' } }))],
    ['do it now P9999Y', 'POST', '/events', json(ev({ intervalPeriod: { start: '0001-01-01T00:00:00', duration: 'P9999Y' } }))],
    ['do it now Z', 'POST', '/events', json(ev({ intervalPeriod: { start: '0001-01-01T00:00:00Z', duration: 'P9999Y' } }))],
    ['do it now interval later', 'POST', '/events', json(ev({ intervals: [{ id: 0, intervalPeriod: { start: '2030-01-01T00:00:00Z', duration: 'PT1H' }, payloads: [{ type: 'X', values: [1] }] }, { id: 1, intervalPeriod: { start: '0001-01-01', duration: 'PT1H' }, payloads: [{ type: 'X', values: [1] }] }] }))],
    ['do it now + huge', 'POST', '/events', json(ev({ intervalPeriod: { start: '0001-01-01', duration: 'P4294967295Y' } }))],
    ['null optional', 'POST', '/events', json(ev({ eventName: null, duration: null, priority: null, targets: null, intervalPeriod: null, intervals: null, reportDescriptors: null, payloadDescriptors: null }))],
    ['null nested', 'POST', '/events', json(ev({ intervals: [{ id: 0, intervalPeriod: null, payloads: [{ type: 'X', values: [null] }] }] }))],
    ['null required', 'POST', '/events', json({ programID: null })],
    ['null body', 'POST', '/events', 'null'],
    ['array body', 'POST', '/events', '[]'],
    ['string body', 'POST', '/events', '"x"'],
    ['number body', 'POST', '/events', '1'],
    ['empty obj', 'POST', '/events', '{}'],
    ['BOM', 'POST', '/programs', '\uFEFF{"programName":"bom"}'],
    ['non utf8', 'POST', '/programs', Buffer.from([0x7b, 0x22, 0x70, 0x72, 0x6f, 0x67, 0x72, 0x61, 0x6d, 0x4e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
    ['lone surrogate', 'POST', '/programs', '{"programName":"\\ud800"}'],
    ['nul char name', 'POST', '/programs', '{"programName":"a\\u0000b"}'],
    ['base64 header', 'POST', '/programs', Buffer.from('{"programName":"b64"}').toString('base64'), { 'content-type': 'application/octet-stream' }],
    ['octet body', 'POST', '/programs', Buffer.from('{"programName":"oct"}'), { 'content-type': 'application/octet-stream' }],
    ['no content type', 'POST', '/programs', '{"programName":"noct"}', { 'content-type': '' }],
    ['many errors', 'POST', '/events', json(ev({ targets: Array.from({ length: 50000 }, () => 5) }))],
    ['many number errors', 'POST', '/programs', '{"programName":"me","x":[' + Array.from({ length: 50000 }, () => '1e400').join(',') + ']}'],
    ['escaped quote key', 'POST', '/programs', '{"programName":"eq","a\\"b":1e400}'],
    ['backslash key', 'POST', '/programs', '{"programName":"bs","a\\\\":1e400}'],
    ['string with minus digits', 'POST', '/programs', '{"programName":"-1e400"}'],
    ['key that looks like number', 'POST', '/programs', '{"programName":"kn","1e400":1}'],
    ['trailing ws numbers', 'POST', '/programs', ' {"programName":"ws"} '],
    ['targets objects', 'POST', '/events', json(ev({ targets: [{ type: 'GROUP', values: ['x'] }] }))],
    ['programName 128 emoji', 'POST', '/programs', json({ programName: '😀'.repeat(128) })],
    ['programName 129 emoji', 'POST', '/programs', json({ programName: '😀'.repeat(129) })],
    ['payloadDescriptors odd', 'POST', '/programs', json({ programName: 'pd', payloadDescriptors: [{ objectType: '__proto__' }] })],
    ['payloadDescriptors constructor', 'POST', '/programs', json({ programName: 'pd2', payloadDescriptors: [{ objectType: 'constructor' }] })],
    ['payloadDescriptors toString', 'POST', '/programs', json({ programName: 'pd3', payloadDescriptors: [{ objectType: 'toString' }] })],
    ['subscription objects proto', 'POST', '/subscriptions', json({ clientName: 'c', objectOperations: [{ objects: ['__proto__'], operations: ['READ'], callbackUrl: 'https://example.com/' }] })],
    ['subscription url weird', 'POST', '/subscriptions', json({ clientName: 'c', objectOperations: [{ objects: ['EVENT'], operations: ['READ'], callbackUrl: 'http://[::1' }] })],
    ['subscription url huge port', 'POST', '/subscriptions', json({ clientName: 'c', objectOperations: [{ objects: ['EVENT'], operations: ['READ'], callbackUrl: 'http://example.com:99999/' }] })],
    ['subscription url javascript', 'POST', '/subscriptions', json({ clientName: 'c', objectOperations: [{ objects: ['EVENT'], operations: ['READ'], callbackUrl: 'javascript:alert(1)' }] })],
    ['subscription url file', 'POST', '/subscriptions', json({ clientName: 'c', objectOperations: [{ objects: ['EVENT'], operations: ['READ'], callbackUrl: 'file:///etc/passwd' }] })],
    ['PUT unknown program bad body', 'PUT', '/programs/unknown123', '{"x":'],
    ['PUT unknown event', 'PUT', '/events/unknown123', json({})],
    ['PUT unknown subscription', 'PUT', '/subscriptions/unknown123', 'not json'],
    ['PUT program bad id', 'PUT', '/programs/a%2Fb', json({ programName: 'x' })],
    ['GET id 129', 'GET', `/programs/${'a'.repeat(129)}`],
    ['GET id encoded', 'GET', '/programs/%E0%A4%A'],
    ['GET id dot', 'GET', '/programs/..'],
    ['GET id %00', 'GET', '/programs/%00'],
    ['GET events id unicode', 'GET', '/events/%F0%9F%98%80'],
    ['GET targets 51', 'GET', '/events?' + Array.from({ length: 51 }, (_, i) => `targets=t${i}`).join('&')],
    ['GET targets 50', 'GET', '/events?' + Array.from({ length: 50 }, (_, i) => `targets=t${i}${'x'.repeat(120)}`).join('&')],
    ['GET targets 10000 same', 'GET', '/events?' + Array.from({ length: 10000 }, () => 'targets=t').join('&')],
    ['GET programs targets 51', 'GET', '/programs?' + Array.from({ length: 51 }, (_, i) => `targets=t${i}`).join('&')],
    ['GET subs objects 51', 'GET', '/subscriptions?' + Array.from({ length: 51 }, (_, i) => `objects=t${i}`).join('&')],
    ['GET subs objects bad', 'GET', '/subscriptions?objects=__proto__'],
    ['GET subs clientName empty', 'GET', '/subscriptions?clientName='],
    ['GET targets empty', 'GET', '/events?targets='],
    ['GET skip huge', 'GET', '/events?skip=2147483647'],
    ['GET skip 2^53', 'GET', '/events?skip=9007199254740993'],
    ['GET skip neg', 'GET', '/events?skip=-1'],
    ['GET skip float', 'GET', '/events?skip=1.5'],
    ['GET limit 51', 'GET', '/events?limit=51'],
    ['GET limit twice', 'GET', '/events?limit=1&limit=2'],
    ['GET active weird', 'GET', '/events?active=TRUE'],
    ['GET dateStart 0001', 'GET', '/events?dateStart=0001-01-01'],
    ['GET dateStart huge year', 'GET', '/events?dateStart=%2B275760-09-13T00:00:00Z'],
    ['GET dateStart 9999 -23:59', 'GET', '/events?dateStart=9999-12-31T23:59:59-23:59'],
    ['GET dateEnd 0000 +23:59', 'GET', '/events?dateEnd=0000-01-01T00:00:00%2B23:59'],
    ['GET dateStart plus not encoded', 'GET', '/events?dateStart=2030-01-01T00:00:00+01:00'],
    ['GET dateEnd < dateStart', 'GET', '/events?dateStart=2030-01-02T00:00:00Z&dateEnd=2030-01-01T00:00:00Z'],
    ['GET dateStart/End both outside', 'GET', '/events?dateStart=0000-01-01T00:00:00%2B23:59&dateEnd=0000-01-01T00:00:00%2B23:00'],
    ['GET dates active', 'GET', '/events?dateStart=0000-01-01T00:00:00Z&active=true'],
    ['GET programID bad', 'GET', '/events?programID=a%20b'],
    ['GET programID empty', 'GET', '/events?programID='],
    ['GET odd qs', 'GET', '/events?&&&=&==&%&%zz&targets'],
    ['GET odd qs2', 'GET', '/events?targets=%E0%A4%A&limit=1'],
    ['GET proto qs', 'GET', '/events?__proto__=1&constructor=2&hasOwnProperty=3'],
    ['GET huge qs', 'GET', '/events?x=' + 'a'.repeat(8000)],
    ['ven no objectType', 'POST', '/vens', json({ venName: 'h-ven', clientID: 'c' })],
    ['ven objectType proto', 'POST', '/vens', json({ objectType: '__proto__', venName: 'h-ven', clientID: 'c' })],
    ['ven objectType number', 'POST', '/vens', json({ objectType: 7, venName: 'h-ven' })],
    ['ven both request types', 'POST', '/vens', json({ objectType: ['BL_VEN_REQUEST', 'VEN_VEN_REQUEST'], venName: 'h-ven' })],
    ['ven name 129', 'POST', '/vens', json({ objectType: 'BL_VEN_REQUEST', venName: 'v'.repeat(129), clientID: 'c' })],
    ['ven clientID empty', 'POST', '/vens', json({ objectType: 'BL_VEN_REQUEST', venName: 'h-ven-2', clientID: '' })],
    ['ven clientID lone surrogate', 'POST', '/vens', '{"objectType":"BL_VEN_REQUEST","venName":"h-ven-3","clientID":"\udc00"}'],
    ['ven targets huge', 'POST', '/vens', json({ objectType: 'BL_VEN_REQUEST', venName: 'h-ven-4', clientID: 'h-c4', targets: Array.from({ length: 5000 }, (_, i) => `t${i}${'x'.repeat(120)}`) })],
    ['ven attributes odd', 'POST', '/vens', json({ objectType: 'BL_VEN_REQUEST', venName: 'h-ven-5', clientID: 'h-c5', attributes: [{ type: '__proto__', values: [{}] }] })],
    ['ven name with separator', 'POST', '/vens', json({ objectType: 'BL_VEN_REQUEST', venName: 'a#b\u0000~', clientID: 'h-c6' })],
    ['resource no ven', 'POST', '/resources', json({ objectType: 'BL_RESOURCE_REQUEST', resourceName: 'r', venID: 'nope', clientID: 'c' })],
    ['resource venID bad', 'POST', '/resources', json({ objectType: 'BL_RESOURCE_REQUEST', resourceName: 'r', venID: 'a/b', clientID: 'c' })],
    ['resource venID proto', 'POST', '/resources', json({ objectType: 'BL_RESOURCE_REQUEST', resourceName: 'r', venID: '__proto__', clientID: 'c' })],
    ['resource venID null', 'POST', '/resources', json({ objectType: 'BL_RESOURCE_REQUEST', resourceName: 'r', venID: null, clientID: 'c' })],
    ['resource wrong type', 'POST', '/resources', json({ objectType: 'VEN_RESOURCE_REQUEST', resourceName: 'r', venID: 'x' })],
    ['PUT unknown ven', 'PUT', '/vens/unknown123', '{"x":'],
    ['PUT unknown resource', 'PUT', '/resources/unknown123', json({})],
    ['GET vens venName empty', 'GET', '/vens?venName='],
    ['GET vens targets 51', 'GET', '/vens?' + Array.from({ length: 51 }, (_, i) => `targets=t${i}`).join('&')],
    ['GET resources venID bad', 'GET', '/resources?venID=a%20b'],
    ['GET resources name 129', 'GET', `/resources?resourceName=${'r'.repeat(129)}`],
    ['GET resources name only', 'GET', '/resources?resourceName=%23~'],
    ['report proto keys', 'POST', '/reports', '{"eventID":"EID","clientName":"p","resources":[{"resourceName":"r","intervals":[],"__proto__":{"polluted":1}}],"__proto__":{"polluted":1}}'],
    ['report clientName separators', 'POST', '/reports', report({ clientName: 'a|b%7C%H|\u0000~' })],
    ['report clientName 128 astral', 'POST', '/reports', report({ clientName: '𝄞'.repeat(128) })],
    ['report clientName 129', 'POST', '/reports', report({ clientName: 'c'.repeat(129) })],
    ['report clientName lone surrogate', 'POST', '/reports', '{"eventID":"EID","clientName":"\\udc00","resources":[]}'],
    ['report eventID proto', 'POST', '/reports', report({ eventID: '__proto__' })],
    ['report eventID bad', 'POST', '/reports', report({ eventID: 'a/b|c' })],
    ['report eventID 129', 'POST', '/reports', report({ eventID: 'e'.repeat(129) })],
    ['report eventID number', 'POST', '/reports', report({ eventID: 7 })],
    ['report resources object', 'POST', '/reports', report({ resources: { resourceName: 'r', intervals: [] } })],
    ['report resources many bad', 'POST', '/reports', report({ resources: Array.from({ length: 20000 }, () => ({ resourceName: '' })) })],
    ['report interval id 2^31', 'POST', '/reports', report({ resources: [{ resourceName: 'r', intervals: [{ id: 2 ** 31, payloads: [] }] }] })],
    ['report duration huge', 'POST', '/reports', report({ resources: [{ ...reportInterval({ intervalPeriod: { duration: 'P4294967296Y' } }), intervalPeriod: { randomizeStart: 'PT99999999999999999999S' } }] })],
    ['report start past 9999', 'POST', '/reports', report({ resources: [reportInterval({ intervalPeriod: { start: '9999-12-31T23:59:59-01:00', duration: 'PT1H' } })] })],
    ['report start before 0000', 'POST', '/reports', report({ resources: [{ resourceName: 'r', intervalPeriod: { start: '0000-01-01T00:00:00+01:00' }, intervals: [] }] })],
    ['report values 1e400', 'POST', '/reports', report({ resources: [reportInterval({})] }).replace('"values":[1]', '"values":[1e400]')],
    ['report nulls', 'POST', '/reports', report({ reportName: null, payloadDescriptors: null, resources: [{ resourceName: 'r', intervalPeriod: null, intervals: [{ id: 0, intervalPeriod: null, payloads: [{ type: 'X', values: [null] }] }] }] })],
    ['report descriptor proto', 'POST', '/reports', report({ payloadDescriptors: [{ objectType: '__proto__', payloadType: 'USAGE' }] })],
    ['report too large', 'POST', '/reports', report({ resources: [{ resourceName: 'r', intervals: Array.from({ length: 9000 }, (_, id) => ({ id, payloads: [{ type: 'USAGE', values: [0.123456789, 0.123456789] }] })) }] })],
    ['report programID kept', 'POST', '/reports', report({ programID: { __proto__: 'x', nested: [1e-300] } })],
    ['PUT unknown report bad body', 'PUT', '/reports/unknown123', '{"x":'],
    ['PUT report bad id', 'PUT', '/reports/a%7Cb', report({})],
    ['DELETE unknown report', 'DELETE', '/reports/nope'],
    ['GET reports clientName empty', 'GET', '/reports?clientName='],
    ['GET reports clientName 129', 'GET', `/reports?clientName=${'c'.repeat(129)}`],
    ['GET reports clientName separators', 'GET', '/reports?clientName=a%7Cb%257C%25H%00&programID=p&eventID=e'],
    ['GET reports eventID twice', 'GET', '/reports?eventID=a&eventID=b'],
    ['GET reports programID bad', 'GET', '/reports?programID=a%7Cb'],
    ['GET reports proto qs', 'GET', '/reports?__proto__=1&clientID=other&limit=0'],
    ['DELETE unknown ven', 'DELETE', '/vens/nope'],
    ['DELETE unknown', 'DELETE', '/subscriptions/nope'],
    ['PATCH', 'PATCH', '/programs'],
    ['HEAD', 'HEAD', '/programs'],
    ['OPTIONS', 'OPTIONS', '/programs'],
  ];
}

test('no 5xx on hostile input, and every 400 names a field', async () => {
  const failures: string[] = [];
  for (const [name, method, path, body, headers] of cases()) {
    const realBody = typeof body === 'string' ? body.replace('"PID"', `"${programID}"`).replace('"EID"', `"${eventID}"`) : body;
    const client = path.startsWith('/reports') ? ven : api;
    const response = await client.request(method, path, { body: realBody, headers }).catch((error: Error) => ({ status: -1, body: String(error), headers: new Headers() }));
    const summary = `${name}: ${response.status} ${JSON.stringify(response.body)?.slice(0, 300)}`;
    if (response.status >= 500 || response.status < 0) failures.push(summary);
    if (response.status === 400 && !(response.body?.errors?.length > 0)) failures.push(`no field: ${summary}`);
  }
  const polluted = ({} as Record<string, unknown>).polluted;
  expect({ failures, polluted }).toEqual({ failures: [], polluted: undefined });
}, 120_000);
