import { createHash } from 'node:crypto';
import { EVENT_PROGRAM, type Report } from '../../openadr/types';
import { TABLE_LAYOUT } from './table-layout';

/**
 * Where a report sits in the four report indexes. P is the program of its event when written,
 * E its eventID, O its clientID (owner) and C its clientName:
 *
 *   report-program-index     P  /  O|C|id   P, P+O, P+O+C
 *   report-event-index       E  /  O|C|id   E, E+O, E+O+C
 *   report-client-index      O  /  C|id     O, O+C
 *   report-clientName-index  C  /  P|E|id   C, C+P, C+P+E
 *
 * Within a partition, items sort by the parts that follow it and then by id (UUIDv7: creation).
 */

const SEPARATOR = '|';
/** Longer parts are hashed: a GSI sort key holds at most 1,024 bytes (an external issuer's clientID has no bound). */
const MAX_PART_BYTES = 300;

/**
 * One part of a key: '%' and '|' escaped, so that a part never contains the separator and a
 * prefix of whole parts selects exactly them. An escape never yields '%H', which marks a hash.
 */
export function keyPart(value: string): string {
  const escaped = value.replace(/%/g, '%25').replace(/\|/g, '%7C');
  if (Buffer.byteLength(escaped, 'utf8') <= MAX_PART_BYTES) return escaped;
  return `%H${createHash('sha256').update(value, 'utf8').digest('hex')}`;
}

/** The parts joined, ending with the separator: the begins_with of everything under them. */
export function keyPrefix(parts: string[]): string {
  return parts.map((value) => `${keyPart(value)}${SEPARATOR}`).join('');
}

function sortKey(parts: string[], id: string): string {
  return `${keyPrefix(parts)}${id}`;
}

/** The attributes the report indexes and filters read. */
export function reportIndexAttributes(report: Report): Record<string, string> {
  const program = report[EVENT_PROGRAM];
  // The operations set it from the event; a report without it could not be found by programID.
  if (!program) throw new Error(`report ${report.id} has no program of its event`);
  const { reportProgram, reportEvent, reportClient, reportClientName } = TABLE_LAYOUT.indexes;
  const { id, eventID, clientID, clientName } = report;
  return {
    [reportProgram.partitionKey]: program,
    [reportProgram.sortKey]: sortKey([clientID, clientName], id),
    [reportEvent.partitionKey]: eventID,
    [reportEvent.sortKey]: sortKey([clientID, clientName], id),
    [reportClient.partitionKey]: keyPart(clientID),
    [reportClient.sortKey]: sortKey([clientName], id),
    [reportClientName.partitionKey]: keyPart(clientName),
    [reportClientName.sortKey]: sortKey([program, eventID], id),
    // For the filters a key cannot serve (clientName within an event's reports).
    clientName,
  };
}

/** The program a stored report's event belonged to, from its item's attributes. */
export function reportProgramOf(attributes: Record<string, { S?: string } | undefined>): string | undefined {
  return attributes[TABLE_LAYOUT.indexes.reportProgram.partitionKey]?.S;
}
