import { grantedOnly } from '../openadr/targets';
import { SUBSCRIBER_ROLE, type Subscription } from '../openadr/types';
import { BL_READER, mayRead, programTargetsOf, shownTo, type Reader } from '../operations/privacy';
import type { Grant, VtnStorage } from '../storage/port';
import type { Change, DeliveryTarget, Notification } from './change';

type Route = { subscription: Subscription; callbackUrl: string; bearerToken?: string | null };

/** Subscriptions by `objectType#operation`; built once per cached subscription list. */
const indexes = new WeakMap<readonly Subscription[], Map<string, Route[]>>();

function routesOf(subscriptions: readonly Subscription[]): Map<string, Route[]> {
  let index = indexes.get(subscriptions);
  if (!index) {
    index = new Map();
    for (const subscription of subscriptions) {
      for (const operation of subscription.objectOperations) {
        for (const objectType of operation.objects) {
          for (const verb of operation.operations) {
            const key = `${objectType}#${verb}`;
            const routes = index.get(key) ?? [];
            routes.push({ subscription, callbackUrl: operation.callbackUrl, bearerToken: operation.bearerToken });
            index.set(key, routes);
          }
        }
      }
    }
    indexes.set(subscriptions, index);
  }
  return index;
}

/** The program a changed object belongs to: a program is its own, a report's is its event's. */
function programOf(change: Change): string | undefined {
  const object = change.object as { id?: string; programID?: string };
  if (change.objectType === 'PROGRAM') return object.id;
  if (change.objectType === 'REPORT') return change.program;
  return object.programID;
}

/**
 * The notification of a change, as `reader` may see it and as retries, dead letters and logs
 * carry it: a VEN learns only the granted targets of a program or event (in the object and in
 * `targets`); a subscription goes without its callbacks' bearer tokens, which are its own.
 */
export function notificationOf(change: Change, reader: Reader = BL_READER): Notification {
  const shown = shownTo(reader, change.objectType, change.object);
  const object = change.objectType === 'SUBSCRIPTION' ? withoutBearerTokens(shown) : shown;
  const targets = (object as { targets?: string[] | null }).targets;
  return { objectType: change.objectType, operation: change.operation, object, targets: targets ?? null };
}

function withoutBearerTokens(subscription: Record<string, unknown>): Record<string, unknown> {
  const { objectOperations } = subscription;
  if (!Array.isArray(objectOperations)) return subscription;
  return { ...subscription, objectOperations: objectOperations.map(({ bearerToken: _secret, ...operation }: Record<string, unknown>) => operation) };
}

/** Whose subscription it is: a BL's hears everything; a VEN's, or one from before roles were kept, what that client may read. */
export function isBlSubscription(subscription: Subscription): boolean {
  return subscription[SUBSCRIBER_ROLE] === 'BL';
}

/**
 * The subscriptions with an objectOperations entry naming the change's object type and
 * operation, and whose programID (when set) is the object's program: those privacy then judges.
 */
export function candidatesFor(change: Change, subscriptions: readonly Subscription[]): Subscription[] {
  const routes = routesOf(subscriptions).get(`${change.objectType}#${change.operation}`) ?? [];
  const program = programOf(change);
  return [...new Set(routes.map((route) => route.subscription))].filter((subscription) => !subscription.programID || subscription.programID === program);
}

/**
 * An event's program's targets, for privacy: those the change carries (the event was deleted with
 * its program, locally), else the program's as stored; for an event's delete after its program's
 * (as the stream reports a program delete's purge), the targets the program had when deleted.
 * Null: the program is gone and nothing is known of it.
 */
export async function eventProgramTargets(storage: Pick<VtnStorage, 'programs'>, change: Change, programID: string): Promise<string[] | null> {
  if (change.programTargets) return change.programTargets;
  const targets = await programTargetsOf(storage, programID);
  if (targets !== null || change.operation !== 'DELETE') return targets;
  return (await storage.programs.deletedTargets(programID)) ?? null;
}

/** What the notifier looked up for privacy: subscribers' grants and an event's program. */
export interface PrivacyContext {
  /** Grants of the VEN clients among the candidates; a client missing here has none. */
  grants: ReadonlyMap<string, Grant>;
  /** An event's program's targets (null: the program is gone); undefined for other types. */
  programTargets?: string[] | null;
}

/**
 * The deliveries a change calls for: every subscription with an objectOperations entry naming
 * the object type and the operation, whose programID (when set) is the object's program, whose
 * targets (when set; a VEN's narrowed to its granted ones) share one with the object's, as the
 * Definition's response filtering does, and whose client may read the object (privacy.ts). One
 * delivery per subscription and callback URL, with the notification as that client sees it.
 */
export function deliveriesFor(change: Change, subscriptions: readonly Subscription[], privacy: PrivacyContext = { grants: new Map() }): DeliveryTarget[] {
  const routes = routesOf(subscriptions).get(`${change.objectType}#${change.operation}`) ?? [];
  const program = programOf(change);
  const objectTargets = (change.object as { targets?: string[] | null }).targets ?? [];
  const notifications = new Map<string, Notification | undefined>();
  const notificationFor = (subscription: Subscription): Notification | undefined => {
    const key = isBlSubscription(subscription) ? '' : `VEN ${subscription.clientID}`;
    if (!notifications.has(key)) {
      const reader = readerOf(subscription, privacy.grants);
      notifications.set(key, mayRead(reader, change.objectType, change.object, privacy.programTargets) ? notificationOf(change, reader) : undefined);
    }
    return notifications.get(key);
  };
  const seen = new Set<string>();
  const deliveries: DeliveryTarget[] = [];
  for (const { subscription, callbackUrl, bearerToken } of routes) {
    if (subscription.programID && subscription.programID !== program) continue;
    if (subscription.targets?.length) {
      const reader = readerOf(subscription, privacy.grants);
      const wanted = reader.role === 'VEN' ? grantedOnly(subscription.targets, reader.grant?.targets ?? []) : subscription.targets;
      if (!wanted.some((target) => objectTargets.includes(target))) continue;
    }
    const notification = notificationFor(subscription);
    if (!notification) continue;
    const key = `${subscription.id} ${callbackUrl}`;
    if (seen.has(key)) continue;
    seen.add(key);
    deliveries.push({ subscriptionID: subscription.id, ...venShare(subscription), callbackUrl, bearerToken, notification, attempt: 1 });
  }
  return deliveries;
}

function readerOf(subscription: Subscription, grants: ReadonlyMap<string, Grant>): Reader {
  return isBlSubscription(subscription) ? BL_READER : { role: 'VEN', clientID: subscription.clientID, grant: grants.get(subscription.clientID) };
}

/** A VEN's deliveries share a part of the slots; a BL's (the operator's own) are not limited. */
export function venShare(subscription: Subscription): { subscriberClientID?: string } {
  return isBlSubscription(subscription) ? {} : { subscriberClientID: subscription.clientID };
}
