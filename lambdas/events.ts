import { primeAuthentication } from './core/auth/authentication';
import { booleanParam, dateTimeParam, PAGE_PARAMS, repeatedParam, stringParam } from './core/http/query';
import { created, httpHandler, ok, type RouteTable } from './core/http/router';
import { objectID, target } from './core/openadr/validation';
import { logger } from './core/logger';
import { primeDuringInit } from './core/priming';
import type { VtnOperations } from './core/operations/operations';
import { primeStorage, vtn } from './core/runtime';

const EVENT_SEARCH = {
  ...PAGE_PARAMS,
  programID: stringParam(objectID),
  targets: repeatedParam(target),
  active: booleanParam,
  // Extension: select by the event's start, inclusive at both ends.
  dateStart: dateTimeParam,
  dateEnd: dateTimeParam,
};

/** The routes over `vtn`: this instance's operations here, a test's own elsewhere. */
export function eventRoutes(vtn: () => VtnOperations): RouteTable {
  return {
    '/events': {
      GET: { scope: 'read_targets', handle: async ({ caller, query }) => ok(await vtn().listEvents(caller, query(EVENT_SEARCH))) },
      POST: { scope: 'write_events', handle: async ({ caller, json }) => created(await vtn().createEvent(caller, json())) },
    },
    '/events/{eventID}': {
      GET: { scope: 'read_targets', handle: async ({ caller, id }) => ok(await vtn().getEvent(caller, id('eventID'))) },
      PUT: { scope: 'write_events', handle: async ({ caller, id, json }) => ok(await vtn().updateEvent(caller, id('eventID'), json())) },
      DELETE: { scope: 'write_events', handle: async ({ caller, id }) => ok(await vtn().deleteEvent(caller, id('eventID'))) },
    },
  };
}

export const handler = httpHandler(eventRoutes(vtn), logger());
primeDuringInit(primeStorage, primeAuthentication);
