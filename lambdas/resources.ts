import { primeAuthentication } from './core/auth/authentication';
import { PAGE_PARAMS, repeatedParam, stringParam } from './core/http/query';
import { created, httpHandler, ok, type RouteTable } from './core/http/router';
import { objectID, resourceName, target } from './core/openadr/validation';
import { logger } from './core/logger';
import { primeDuringInit } from './core/priming';
import type { VtnOperations } from './core/operations/operations';
import { primeStorage, vtn } from './core/runtime';

const RESOURCE_SEARCH = { ...PAGE_PARAMS, venID: stringParam(objectID), resourceName: stringParam(resourceName), targets: repeatedParam(target) };

/** The routes over `vtn`: this instance's operations here, a test's own elsewhere. */
export function resourceRoutes(vtn: () => VtnOperations): RouteTable {
  return {
    '/resources': {
      GET: { scope: 'read_ven_objects', handle: async ({ caller, query }) => ok(await vtn().listResources(caller, query(RESOURCE_SEARCH))) },
      POST: { scope: 'write_vens', handle: async ({ caller, json }) => created(await vtn().createResource(caller, json())) },
    },
    '/resources/{resourceID}': {
      GET: { scope: 'read_ven_objects', handle: async ({ caller, id }) => ok(await vtn().getResource(caller, id('resourceID'))) },
      PUT: { scope: 'write_vens', handle: async ({ caller, id, json }) => ok(await vtn().updateResource(caller, id('resourceID'), json())) },
      DELETE: { scope: 'write_vens', handle: async ({ caller, id }) => ok(await vtn().deleteResource(caller, id('resourceID'))) },
    },
  };
}

export const handler = httpHandler(resourceRoutes(vtn), logger());
primeDuringInit(primeStorage, primeAuthentication);
