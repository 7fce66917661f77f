import { EVENT_PROGRAM } from '../../../../lambdas/core/openadr/types';
import { keyPart, keyPrefix, reportIndexAttributes } from '../../../../lambdas/core/storage/dynamo/report-keys';
import { reportKey } from '../../../../lambdas/core/storage/dynamo/report-queries';
import { aReport } from '../../../support/fixtures';

test("a key part never holds the separator, so a prefix of whole parts selects exactly them", () => {
  const names = ['a', 'a|', 'a|b', 'a%7Cb', 'a%', '|', '%H00'];
  const encoded = names.map((name) => keyPrefix([name, 'x']));
  expect(new Set(encoded).size).toBe(names.length);
  for (const [index, prefix] of names.map((name) => keyPrefix([name])).entries()) {
    expect(encoded.filter((key) => key.startsWith(prefix))).toEqual([encoded[index]]);
  }
  expect(keyPart('a|b%c')).toBe('a%7Cb%25c');
});

test('a long part is hashed, so that every report sort key fits the 1,024 bytes DynamoDB allows', () => {
  const longest = { clientID: 'c'.repeat(5_000), clientName: '𝄞'.repeat(128) };
  const part = keyPart(longest.clientID);
  expect(part).toMatch(/^%H[0-9a-f]{64}$/);
  expect(keyPart(longest.clientID)).toBe(part);
  expect(keyPart(`${longest.clientID}x`)).not.toBe(part);
  const attributes = reportIndexAttributes(aReport('e'.repeat(128), 'p'.repeat(128), longest));
  for (const [name, value] of Object.entries(attributes)) if (name.endsWith('Sort')) expect(Buffer.byteLength(value)).toBeLessThanOrEqual(1_024);
});

test("a report without its event's program is refused before it is written", () => {
  const report = aReport('event-1', 'program-1');
  delete report[EVENT_PROGRAM];
  expect(() => reportIndexAttributes(report)).toThrow(/no program/);
});

test('which index serves which filters: a key for each but a BL clientName, or a programID, beside an eventID', () => {
  const LABELS: Record<string, string> = { programID: 'P', eventID: 'E', clientName: 'C', clientID: 'O' };
  const values = { programID: 'p-1', eventID: 'e-1', clientName: 'c|1', clientID: 'o-1' };
  const plans: Record<string, string> = {};
  for (const owner of [false, true]) {
    for (const names of [[], ['programID'], ['eventID'], ['clientName'], ['programID', 'eventID'], ['programID', 'clientName'], ['eventID', 'clientName'], ['programID', 'eventID', 'clientName']]) {
      const filters = Object.fromEntries([...names, ...(owner ? ['clientID'] : [])].map((name) => [name, values[name as keyof typeof values]]));
      const { index, partition, prefix = [], filters: after } = reportKey({ ...filters, skip: 0, limit: 1 });
      const label = Object.keys(filters).map((name) => LABELS[name]).join('+') || 'none';
      plans[label] = [index?.indexName ?? 'table', partition, ...(prefix.length ? [`begins ${keyPrefix(prefix)}`] : []), ...after.map((filter) => `filter ${filter.attribute}`)].join(' ');
    }
  }
  expect(plans).toEqual({
    none: 'table REPORT',
    P: 'report-program-index p-1',
    E: 'report-event-index e-1',
    C: 'report-clientName-index c%7C1',
    'P+E': 'report-event-index e-1 filter reportProgram',
    'P+C': 'report-clientName-index c%7C1 begins p-1|',
    'E+C': 'report-event-index e-1 filter clientName',
    'P+E+C': 'report-clientName-index c%7C1 begins p-1|e-1|',
    O: 'report-client-index o-1',
    'P+O': 'report-program-index p-1 begins o-1|',
    'E+O': 'report-event-index e-1 begins o-1|',
    'C+O': 'report-client-index o-1 begins c%7C1|',
    'P+E+O': 'report-event-index e-1 begins o-1| filter reportProgram',
    'P+C+O': 'report-program-index p-1 begins o-1|c%7C1|',
    'E+C+O': 'report-event-index e-1 begins o-1|c%7C1|',
    'P+E+C+O': 'report-event-index e-1 begins o-1|c%7C1| filter reportProgram',
  });
});
