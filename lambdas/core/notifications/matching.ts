import type { Subscription } from '../openadr/types';
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

/** The program a changed object belongs to: a program is its own. */
function programOf(change: Change): string | undefined {
  const object = change.object as { id?: string; programID?: string };
  return change.objectType === 'PROGRAM' ? object.id : object.programID;
}

/**
 * The notification of a change, as every subscriber may see it and as retries, dead letters and
 * logs carry it: a subscription goes without its callbacks' bearer tokens, which are its own.
 */
export function notificationOf(change: Change): Notification {
  const targets = (change.object as { targets?: string[] | null }).targets;
  const object = change.objectType === 'SUBSCRIPTION' ? withoutBearerTokens(change.object) : change.object;
  return { objectType: change.objectType, operation: change.operation, object, targets: targets ?? null };
}

function withoutBearerTokens(subscription: Record<string, unknown>): Record<string, unknown> {
  const { objectOperations } = subscription;
  if (!Array.isArray(objectOperations)) return subscription;
  return { ...subscription, objectOperations: objectOperations.map(({ bearerToken: _secret, ...operation }: Record<string, unknown>) => operation) };
}

/**
 * The deliveries a change calls for: every subscription with an objectOperations entry naming
 * the object type and the operation, whose programID (when set) is the object's program and
 * whose targets (when set) share one with the object's, as the Definition's response filtering
 * does; of a subscription, only its own client's subscriptions hear. One delivery per
 * subscription and callback URL.
 */
export function deliveriesFor(change: Change, subscriptions: readonly Subscription[]): DeliveryTarget[] {
  const routes = routesOf(subscriptions).get(`${change.objectType}#${change.operation}`) ?? [];
  const program = programOf(change);
  const objectTargets = (change.object as { targets?: string[] | null }).targets ?? [];
  const notification = notificationOf(change);
  const seen = new Set<string>();
  const deliveries: DeliveryTarget[] = [];
  const owner = change.objectType === 'SUBSCRIPTION' ? (change.object as { clientID?: string }).clientID : undefined;
  for (const { subscription, callbackUrl, bearerToken } of routes) {
    // A subscription is its client's own: only that client's subscriptions hear of it.
    if (change.objectType === 'SUBSCRIPTION' && subscription.clientID !== owner) continue;
    if (subscription.programID && subscription.programID !== program) continue;
    if (subscription.targets?.length && !subscription.targets.some((target) => objectTargets.includes(target))) continue;
    const key = `${subscription.id} ${callbackUrl}`;
    if (seen.has(key)) continue;
    seen.add(key);
    deliveries.push({ subscriptionID: subscription.id, callbackUrl, bearerToken, notification, attempt: 1 });
  }
  return deliveries;
}
