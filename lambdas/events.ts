import { booleanParam, dateTimeParam, PAGE_PARAMS, repeatedParam, stringParam } from './core/http/query';
import { created, httpHandler, ok, type RouteTable } from './core/http/router';
import { objectID, target } from './core/openadr/validation';
import { logger } from './core/logger';
import { vtn } from './core/runtime';

const EVENT_SEARCH = {
  ...PAGE_PARAMS,
  programID: stringParam(objectID),
  targets: repeatedParam(target),
  active: booleanParam,
  // Extension: select by the event's start, inclusive at both ends.
  dateStart: dateTimeParam,
  dateEnd: dateTimeParam,
};

const routes: RouteTable = {
  '/events': {
    GET: async (request) => ok(await vtn().listEvents(request.query(EVENT_SEARCH))),
    POST: async (request) => created(await vtn().createEvent(request.json())),
  },
  '/events/{eventID}': {
    GET: async (request) => ok(await vtn().getEvent(request.id('eventID'))),
    PUT: async (request) => ok(await vtn().updateEvent(request.id('eventID'), request.json())),
    DELETE: async (request) => ok(await vtn().deleteEvent(request.id('eventID'))),
  },
};

export const handler = httpHandler(routes, logger());
