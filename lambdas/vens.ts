import { primeAuthentication } from './core/auth/authentication';
import { PAGE_PARAMS, repeatedParam, stringParam } from './core/http/query';
import { created, httpHandler, ok, type RouteTable } from './core/http/router';
import { target, venName } from './core/openadr/validation';
import { logger } from './core/logger';
import { primeDuringInit } from './core/priming';
import type { VtnOperations } from './core/operations/operations';
import { primeStorage, vtn } from './core/runtime';

const VEN_SEARCH = { ...PAGE_PARAMS, venName: stringParam(venName), targets: repeatedParam(target) };

/** The routes over `vtn`: this instance's operations here, a test's own elsewhere. */
export function venRoutes(vtn: () => VtnOperations): RouteTable {
  return {
    '/vens': {
      GET: { scope: 'read_ven_objects', handle: async ({ caller, query }) => ok(await vtn().listVens(caller, query(VEN_SEARCH))) },
      POST: { scope: 'write_vens', handle: async ({ caller, json }) => created(await vtn().createVen(caller, json())) },
    },
    '/vens/{venID}': {
      GET: { scope: 'read_ven_objects', handle: async ({ caller, id }) => ok(await vtn().getVen(caller, id('venID'))) },
      PUT: { scope: 'write_vens', handle: async ({ caller, id, json }) => ok(await vtn().updateVen(caller, id('venID'), json())) },
      DELETE: { scope: 'write_vens', handle: async ({ caller, id }) => ok(await vtn().deleteVen(caller, id('venID'))) },
    },
  };
}

export const handler = httpHandler(venRoutes(vtn), logger());
primeDuringInit(primeStorage, primeAuthentication);
