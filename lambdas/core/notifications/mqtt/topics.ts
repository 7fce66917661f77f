import type { Scope } from '../../auth/scopes';
import type { ChangeOperation } from '../change';

/**
 * The MQTT binding's topic names (notifications-additional-protocols.md, sections 8 and 9) and
 * the rule of who may receive what; the broker locally and the IoT Core authorizer in AWS both
 * enforce `mayReceive`, and the notifier publishes on exactly the names the routes advertise.
 *
 * Layout, below one prefix segment (`openadr3` unless configured):
 *   programs/<op>  programs/<programID>/<op>  programs/<programID>/events/<op>  events/<op>
 *   reports/<op>  subscriptions/<op>  vens/<op>  resources/<op>                 (BL only)
 *   vens/<venID>/<op>  vens/<venID>/{programs,events,resources}/<op>
 *   vens/<venID>/programs/<programID>/<op>  vens/<venID>/programs/<programID>/events/<op>
 *                                                                   (that ven's client, and BLs)
 * A VEN asking for program topics gets the names under its own ven, which carry only what it may
 * read, with target hiding. Every name has at most 6 levels (IoT Core allows 8).
 */

/** The spec's `notifierOperationsTopics`: `CREATE` is absent for a single existing object. */
export interface OperationTopics {
  CREATE?: string;
  UPDATE: string;
  DELETE: string;
  ALL: string;
}

/** A prefix is one topic level of letters, digits, `_` and `-` (never `$`, which brokers reserve). */
export const TOPIC_PREFIX_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Server-made ids only (UUIDs); anything with MQTT wildcards, `/` or IAM wildcards could widen a grant. */
const ID_LEVEL = /^[A-Za-z0-9_-]{1,128}$/;

export class TopicLayout {
  constructor(readonly prefix: string) {
    if (!TOPIC_PREFIX_PATTERN.test(prefix)) throw new Error(`MQTT topic prefix '${prefix}' must be one level of letters, digits, '_' or '-'`);
  }

  // BL-only names: the whole VTN's objects as stored.
  allPrograms(): OperationTopics { return this.set(['programs'], true); }
  program(programID: string): OperationTopics { return this.set(['programs', id(programID)], false); }
  programEvents(programID: string): OperationTopics { return this.set(['programs', id(programID), 'events'], true); }
  allEvents(): OperationTopics { return this.set(['events'], true); }
  allReports(): OperationTopics { return this.set(['reports'], true); }
  allSubscriptions(): OperationTopics { return this.set(['subscriptions'], true); }
  allVens(): OperationTopics { return this.set(['vens'], true); }
  allResources(): OperationTopics { return this.set(['resources'], true); }

  // Names under one ven: what that ven's client may read.
  ven(venID: string): OperationTopics { return this.set(['vens', id(venID)], false); }
  venPrograms(venID: string): OperationTopics { return this.set(['vens', id(venID), 'programs'], true); }
  venProgram(venID: string, programID: string): OperationTopics { return this.set(['vens', id(venID), 'programs', id(programID)], false); }
  venProgramEvents(venID: string, programID: string): OperationTopics { return this.set(['vens', id(venID), 'programs', id(programID), 'events'], true); }
  venEvents(venID: string): OperationTopics { return this.set(['vens', id(venID), 'events'], true); }
  venResources(venID: string): OperationTopics { return this.set(['vens', id(venID), 'resources'], true); }

  /**
   * Whether a client may subscribe to `filter` (and so receive what is published under it): a BL
   * anything below the prefix; a VEN only filters below `vens/<its venID>/`, that level written
   * out (no wildcard may stand for it); a VEN without a ven nothing. Clients never publish.
   */
  mayReceive(reader: TopicReader, filter: string): boolean {
    if (!isValidFilter(filter)) return false;
    const levels = filter.split('/');
    if (levels[0] !== this.prefix || levels.length < 2) return false;
    const scopes = reader.scopes;
    // A filter is granted if its token may read some name it matches; each delivery is judged by its own name.
    if (scopes !== undefined && !scopesToReceive(filter).some((scope) => scopes.includes(scope))) return false;
    if (reader.role === 'BL') return true;
    return reader.venID !== undefined && levels.length >= 4 && levels[1] === 'vens' && levels[2] === reader.venID;
  }

  private set(levels: string[], withCreate: boolean): OperationTopics {
    const base = [this.prefix, ...levels].join('/');
    const topics: OperationTopics = { UPDATE: `${base}/update`, DELETE: `${base}/delete`, ALL: `${base}/+` };
    return withCreate ? { CREATE: `${base}/create`, ...topics } : topics;
  }
}

/**
 * Who subscribes: a BL, or a VEN client with the id of its ven (undefined before it has one), and
 * the scopes of its token (undefined: not limited by scope).
 */
export type TopicReader = ({ role: 'BL' } | { role: 'VEN'; venID?: string }) & { scopes?: readonly string[] };

/**
 * The scope receiving a name below the prefix takes, as the API's reads of the same objects take
 * it: the whole VTN's names `read_bl`; a ven's programs and events `read_targets` (GET /programs,
 * GET /events); the ven itself and its resources `read_ven_objects`. For a filter, every scope
 * some name it matches takes (a concrete name: exactly one).
 */
export function scopesToReceive(topic: string): Scope[] {
  const levels = topic.split('/');
  const [, first, venLevel, kind] = levels;
  const scopes = new Set<Scope>();
  // Whole-VTN names: any first level but `vens`, and `vens/<op>`.
  if (first !== 'vens' || levels.length <= 3) scopes.add('read_bl');
  const underVen = (first === 'vens' || first === '+' || first === '#') && (levels.length >= 4 || venLevel === '#' || first === '#');
  if (underVen) {
    const anyKind = kind === undefined || kind === '#' || (kind === '+' && levels.length > 4);
    if (anyKind || levels.length === 4 || kind === 'resources') scopes.add('read_ven_objects');
    if (anyKind || kind === 'programs' || kind === 'events') scopes.add('read_targets');
  }
  return [...scopes];
}

/** The name in `topics` for one operation. */
export function topicFor(topics: OperationTopics, operation: ChangeOperation): string | undefined {
  return operation === 'CREATE' ? topics.CREATE : topics[operation];
}

function id(value: string): string {
  if (!ID_LEVEL.test(value)) throw new Error(`'${value}' cannot be a topic level`);
  return value;
}

/** MQTT 3.1.1 §4.7: `#` only as the last level, `+` and `#` only as whole levels, no NUL. */
function isValidFilter(filter: string): boolean {
  if (filter.length === 0 || filter.length > 1024 || filter.includes('\u0000')) return false;
  const levels = filter.split('/');
  return levels.every((level, index) => {
    if (level === '#') return index === levels.length - 1;
    return level === '+' || !/[+#]/.test(level);
  });
}
