import { PAGE_PARAMS, repeatedParam, stringParam } from './core/http/query';
import { created, httpHandler, ok, type RouteTable } from './core/http/router';
import { OBJECT_TYPES } from './core/openadr/types';
import { clientName, objectID, oneOfValues } from './core/openadr/validation';
import { logger } from './core/logger';
import { vtn } from './core/runtime';

const SUBSCRIPTION_SEARCH = {
  ...PAGE_PARAMS,
  programID: stringParam(objectID),
  clientName: stringParam(clientName),
  objects: repeatedParam(oneOfValues(OBJECT_TYPES)),
};

const routes: RouteTable = {
  '/subscriptions': {
    GET: async (request) => ok(await vtn().listSubscriptions(request.query(SUBSCRIPTION_SEARCH))),
    POST: async (request) => created(await vtn().createSubscription(request.json())),
  },
  '/subscriptions/{subscriptionID}': {
    GET: async (request) => ok(await vtn().getSubscription(request.id('subscriptionID'))),
    PUT: async (request) => ok(await vtn().updateSubscription(request.id('subscriptionID'), request.json())),
    DELETE: async (request) => ok(await vtn().deleteSubscription(request.id('subscriptionID'))),
  },
};

export const handler = httpHandler(routes, logger());
