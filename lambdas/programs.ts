import { PAGE_PARAMS, repeatedParam } from './core/http/query';
import { created, httpHandler, ok, type RouteTable } from './core/http/router';
import { target } from './core/openadr/validation';
import { logger } from './core/logger';
import { vtn } from './core/runtime';

const routes: RouteTable = {
  '/programs': {
    GET: async (request) => ok(await vtn().listPrograms(request.query({ ...PAGE_PARAMS, targets: repeatedParam(target) }))),
    POST: async (request) => created(await vtn().createProgram(request.json())),
  },
  '/programs/{programID}': {
    GET: async (request) => ok(await vtn().getProgram(request.id('programID'))),
    PUT: async (request) => ok(await vtn().updateProgram(request.id('programID'), request.json())),
    DELETE: async (request) => ok(await vtn().deleteProgram(request.id('programID'))),
  },
};

export const handler = httpHandler(routes, logger());
