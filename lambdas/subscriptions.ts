import { primeAuthentication } from './core/auth/authentication';
import { PAGE_PARAMS, repeatedParam, stringParam } from './core/http/query';
import { created, httpHandler, ok, type RouteTable } from './core/http/router';
import { OBJECT_TYPES } from './core/openadr/types';
import { clientName, objectID, oneOfValues } from './core/openadr/validation';
import { logger } from './core/logger';
import { primeDuringInit } from './core/priming';
import type { VtnOperations } from './core/operations/operations';
import { primeStorage, vtn } from './core/runtime';

const SUBSCRIPTION_SEARCH = {
  ...PAGE_PARAMS,
  programID: stringParam(objectID),
  clientName: stringParam(clientName),
  objects: repeatedParam(oneOfValues(OBJECT_TYPES)),
};

/** The routes over `vtn`: this instance's operations here, a test's own elsewhere. */
export function subscriptionRoutes(vtn: () => VtnOperations): RouteTable {
  return {
    '/subscriptions': {
      GET: { scope: 'read_ven_objects', handle: async ({ caller, query }) => ok(await vtn().listSubscriptions(caller, query(SUBSCRIPTION_SEARCH))) },
      POST: { scope: 'write_subscriptions', handle: async ({ caller, json }) => created(await vtn().createSubscription(caller, json())) },
    },
    '/subscriptions/{subscriptionID}': {
      GET: { scope: 'read_ven_objects', handle: async ({ caller, id }) => ok(await vtn().getSubscription(caller, id('subscriptionID'))) },
      PUT: { scope: 'write_subscriptions', handle: async ({ caller, id, json }) => ok(await vtn().updateSubscription(caller, id('subscriptionID'), json())) },
      DELETE: { scope: 'write_subscriptions', handle: async ({ caller, id }) => ok(await vtn().deleteSubscription(caller, id('subscriptionID'))) },
    },
  };
}

export const handler = httpHandler(subscriptionRoutes(vtn), logger());
primeDuringInit(primeStorage, primeAuthentication);
