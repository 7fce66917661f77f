import { dehydrate } from '../openadr/temporal-fields';
import type { StoredObject, StoredObjectType } from '../openadr/types';
import type { ObjectStore, VtnStorage } from '../storage/port';
import type { Change } from './change';

/**
 * A storage decorator that reports every successful create, update and delete as a Change,
 * after the write and without waiting for whoever listens. The local VTN notifies subscribers
 * through it, since dynalite has no streams; in AWS the table's stream does this job.
 */
export class NotifyingStorage implements VtnStorage {
  readonly programs: VtnStorage['programs'];
  readonly events: VtnStorage['events'];
  readonly subscriptions: VtnStorage['subscriptions'];
  // VEN and RESOURCE changes are not notified yet: matching them needs per-client privacy.
  readonly vens: VtnStorage['vens'];
  readonly resources: VtnStorage['resources'];
  readonly grantOf: VtnStorage['grantOf'];
  // REPORT changes are not notified yet either: a report is for the BL and its own VEN only.
  readonly reports: VtnStorage['reports'];

  constructor(inner: VtnStorage, onChange: (change: Change) => void) {
    this.vens = inner.vens;
    this.reports = inner.reports;
    this.resources = inner.resources;
    this.grantOf = (clientID) => inner.grantOf(clientID);
    this.programs = { ...notifying('PROGRAM', inner.programs, onChange), findByName: (name) => inner.programs.findByName(name) };
    this.events = notifying('EVENT', inner.events, onChange);
    this.subscriptions = { ...notifying('SUBSCRIPTION', inner.subscriptions, onChange), all: () => inner.subscriptions.all() };
  }
}

function notifying<T extends StoredObject, Q>(
  objectType: StoredObjectType,
  store: ObjectStore<T, Q>,
  onChange: (change: Change) => void,
): ObjectStore<T, Q> {
  const report = (operation: Change['operation'], object: T) => {
    onChange({ objectType, operation, object: dehydrate(objectType, object) });
    return object;
  };
  return {
    list: (query) => store.list(query),
    get: (id) => store.get(id),
    create: async (object) => report('CREATE', await store.create(object)),
    update: async (id, change) => report('UPDATE', await store.update(id, change)),
    delete: async (id, expect) => report('DELETE', await store.delete(id, expect)),
  };
}
