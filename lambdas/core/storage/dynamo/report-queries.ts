import type { Report } from '../../openadr/types';
import type { ReportQuery } from '../port';
import type { DynamoGateway } from './gateway';
import { fromItem } from './item-codec';
import { Expressions, planOf, queryMatches, type QueryPlan } from './queries';
import { keyPart, keyPrefix } from './report-keys';
import { TABLE_LAYOUT, type IndexLayout } from './table-layout';

/**
 * Which key serves a report query (P programID, E eventID, C clientName, O the VEN caller's
 * clientID), read through report-keys.ts's indexes:
 *
 *   E (+O (+C))          event index, O|C prefix; P and, for a BL, C are filters
 *   P (+O (+C))          program index, O|C prefix            (a VEN always has O)
 *   P + C, BL            clientName index, P prefix
 *   P + E + C, BL        clientName index, P|E prefix
 *   O (+C)               client index, C prefix
 *   C, BL                clientName index
 *   nothing, BL          the REPORT partition of the table, by id
 *
 * Only two filters remain, and both read one event's reports at most: P beside E (an event has
 * one program; only reports written before the event moved to another program differ), and a
 * BL's C beside E. Every other combination reads skip + limit index entries.
 */
interface ReportKey {
  index?: IndexLayout;
  partition: string;
  prefix?: string[];
  filters: { attribute: string; value: string }[];
}

export function reportKey(query: ReportQuery): ReportKey {
  const { programID: p, eventID: e, clientName: c, clientID: o } = query;
  const { reportProgram, reportEvent, reportClient, reportClientName } = TABLE_LAYOUT.indexes;
  // A prefix stops at the first filter it lacks: O|C serves O and O+C, never C alone.
  const ownerPrefix = o === undefined ? [] : c === undefined ? [o] : [o, c];
  if (e !== undefined) {
    if (o === undefined && c !== undefined && p !== undefined) return { index: reportClientName, partition: keyPart(c), prefix: [p, e], filters: [] };
    const filters = [];
    if (p !== undefined) filters.push({ attribute: reportProgram.partitionKey, value: p });
    if (o === undefined && c !== undefined) filters.push({ attribute: 'clientName', value: c });
    return { index: reportEvent, partition: e, prefix: ownerPrefix, filters };
  }
  if (p !== undefined) {
    if (c !== undefined && o === undefined) return { index: reportClientName, partition: keyPart(c), prefix: [p], filters: [] };
    return { index: reportProgram, partition: p, prefix: ownerPrefix, filters: [] };
  }
  if (o !== undefined) return { index: reportClient, partition: keyPart(o), prefix: c === undefined ? [] : [c], filters: [] };
  if (c !== undefined) return { index: reportClientName, partition: keyPart(c), filters: [] };
  return { partition: 'REPORT', filters: [] };
}

export function reportQueryPlan(tableName: string, query: ReportQuery): QueryPlan {
  const { index, partition, prefix = [], filters } = reportKey(query);
  const expressions = new Expressions();
  const conditions = [expressions.equals(index?.partitionKey ?? TABLE_LAYOUT.partitionKey, partition)];
  if (index && prefix.length > 0) conditions.push(`begins_with(${expressions.name(index.sortKey)}, ${expressions.value(keyPrefix(prefix))})`);
  const filterTerms = filters.map(({ attribute, value }) => expressions.equals(attribute, value));
  return planOf(tableName, index, expressions, conditions, filterTerms);
}

export async function listReports(gateway: DynamoGateway, query: ReportQuery): Promise<Report[]> {
  if (query.limit === 0) return [];
  const matched = await queryMatches(gateway, reportQueryPlan(gateway.tableName, query), query.skip + query.limit);
  return matched.slice(query.skip).map((item) => fromItem<Report>(item));
}
