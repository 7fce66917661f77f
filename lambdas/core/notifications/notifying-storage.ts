import { dehydrate } from '../openadr/temporal-fields';
import { EVENT_PROGRAM, type Program, type StoredObject, type StoredObjectType } from '../openadr/types';
import { NotFoundError } from '../errors';
import type { ObjectStore, Page, VtnStorage } from '../storage/port';
import type { Change } from './change';

/**
 * A storage decorator that reports every successful create, update and delete as a Change,
 * after the write and without waiting for whoever listens. The local VTN notifies subscribers
 * through it, since dynalite has no streams; in AWS the table's stream does this job. A deleted
 * program's events and a deleted ven's resources are reported deleted too, as the stream
 * reports each: those found before the delete that are no longer readable after it (one moved
 * away meanwhile still is). One created during the delete and withdrawn is not reported.
 */
export class NotifyingStorage implements VtnStorage {
  readonly programs: VtnStorage['programs'];
  readonly events: VtnStorage['events'];
  readonly subscriptions: VtnStorage['subscriptions'];
  readonly vens: VtnStorage['vens'];
  readonly resources: VtnStorage['resources'];
  readonly reports: VtnStorage['reports'];
  readonly grantOf: VtnStorage['grantOf'];
  readonly venGrants: VtnStorage['venGrants'];

  constructor(inner: VtnStorage, onChange: (change: Change) => void) {
    this.grantOf = (clientID) => inner.grantOf(clientID);
    this.venGrants = () => inner.venGrants();
    // A deleted program's events are judged within its targets: it can no longer be read.
    const programEvents = children('EVENT', inner.events, (programID) => ({ programID }), (program) => ({ programTargets: (program as Program).targets ?? [] }));
    const venResources = children('RESOURCE', inner.resources, (venID) => ({ venID }));
    this.programs = { ...notifying('PROGRAM', inner.programs, onChange, programEvents), findByName: (name) => inner.programs.findByName(name), deletedTargets: (id) => inner.programs.deletedTargets(id) };
    this.events = notifying('EVENT', inner.events, onChange);
    this.subscriptions = { ...notifying('SUBSCRIPTION', inner.subscriptions, onChange), all: () => inner.subscriptions.all() };
    this.vens = { ...notifying('VEN', inner.vens, onChange, venResources), findByClient: (clientID) => inner.vens.findByClient(clientID) };
    this.resources = notifying('RESOURCE', inner.resources, onChange);
    this.reports = notifying('REPORT', inner.reports, onChange);
  }
}

/** The children deleted with a parent: listed before its delete, each checked after it. */
interface Children {
  objectType: StoredObjectType;
  list(parentID: string): Promise<StoredObject[]>;
  /** Whether a listed child is gone (it cannot be read any more). */
  gone(child: StoredObject): Promise<boolean>;
  /** What a child's delete carries of its deleted parent. */
  fromParent(parent: StoredObject): Partial<Change>;
}

const CHILD_PAGE = 500;

function children<T extends StoredObject, Q extends Page>(
  objectType: StoredObjectType,
  store: ObjectStore<T, Q>,
  byParent: (parentID: string) => Omit<Q, keyof Page>,
  fromParent: Children['fromParent'] = () => ({}),
): Children {
  return {
    objectType,
    fromParent,
    async list(parentID) {
      const found: T[] = [];
      for (let skip = 0; ; skip += CHILD_PAGE) {
        const page = await store.list({ ...byParent(parentID), skip, limit: CHILD_PAGE } as Q);
        found.push(...page);
        if (page.length < CHILD_PAGE) return found;
      }
    },
    async gone(child) {
      try {
        await store.get(child.id);
        return false;
      } catch (error) {
        if (error instanceof NotFoundError) return true;
        throw error;
      }
    },
  };
}

function notifying<T extends StoredObject, Q>(
  objectType: StoredObjectType,
  store: ObjectStore<T, Q>,
  onChange: (change: Change) => void,
  deletedWith?: Children,
): ObjectStore<T, Q> {
  const report = <O extends StoredObject>(type: StoredObjectType, operation: Change['operation'], object: O, extra: Partial<Change> = {}) => {
    // A report's program is kept beside it, out of its wire form.
    const program = object.objectType === 'REPORT' ? object[EVENT_PROGRAM] : undefined;
    onChange({ objectType: type, operation, object: dehydrate(type, object), ...(program ? { program } : {}), ...extra });
    return object;
  };
  return {
    list: (query) => store.list(query),
    get: (id) => store.get(id),
    create: async (object) => report(objectType, 'CREATE', await store.create(object)),
    update: async (id, change) => {
      let replaced: T | undefined;
      const updated = await store.update(id, (current) => {
        replaced = current;
        return change(current);
      });
      return report(objectType, 'UPDATE', updated, movedFrom(replaced, updated));
    },
    delete: async (id, expect) => {
      const doomed = deletedWith ? await deletedWith.list(id) : [];
      const deleted = report(objectType, 'DELETE', await store.delete(id, expect));
      for (const child of doomed) if (await deletedWith!.gone(child)) report(deletedWith!.objectType, 'DELETE', child, deletedWith!.fromParent(deleted));
      return deleted;
    },
  };
}

/** An event's former program, when the update moved it to another one. */
function movedFrom(replaced: StoredObject | undefined, updated: StoredObject): Partial<Change> {
  if (updated.objectType !== 'EVENT' || replaced?.objectType !== 'EVENT' || replaced.programID === updated.programID) return {};
  return { formerProgram: replaced.programID };
}
