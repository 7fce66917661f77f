import { dehydrate } from '../openadr/temporal-fields';
import { EVENT_PROGRAM, type StoredObject, type StoredObjectType } from '../openadr/types';
import type { ObjectStore, VtnStorage } from '../storage/port';
import type { Change } from './change';

/**
 * A storage decorator that reports every successful create, update and delete as a Change,
 * after the write and without waiting for whoever listens. The local VTN notifies subscribers
 * through it, since dynalite has no streams; in AWS the table's stream does this job. Resources
 * deleted with their ven are not reported here (the stream reports each).
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
    this.programs = { ...notifying('PROGRAM', inner.programs, onChange), findByName: (name) => inner.programs.findByName(name) };
    this.events = notifying('EVENT', inner.events, onChange);
    this.subscriptions = { ...notifying('SUBSCRIPTION', inner.subscriptions, onChange), all: () => inner.subscriptions.all() };
    this.vens = { ...notifying('VEN', inner.vens, onChange), findByClient: (clientID) => inner.vens.findByClient(clientID) };
    this.resources = notifying('RESOURCE', inner.resources, onChange);
    this.reports = notifying('REPORT', inner.reports, onChange);
  }
}

function notifying<T extends StoredObject, Q>(
  objectType: StoredObjectType,
  store: ObjectStore<T, Q>,
  onChange: (change: Change) => void,
): ObjectStore<T, Q> {
  const report = (operation: Change['operation'], object: T) => {
    // A report's program is kept beside it, out of its wire form.
    const program = object.objectType === 'REPORT' ? object[EVENT_PROGRAM] : undefined;
    onChange({ objectType, operation, object: dehydrate(objectType, object), ...(program ? { program } : {}) });
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
