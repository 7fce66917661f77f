import { primeAuthentication } from './core/auth/authentication';
import { PAGE_PARAMS, repeatedParam } from './core/http/query';
import { created, httpHandler, ok, type RouteTable } from './core/http/router';
import { target } from './core/openadr/validation';
import { logger } from './core/logger';
import { primeDuringInit } from './core/priming';
import type { VtnOperations } from './core/operations/operations';
import { primeStorage, vtn } from './core/runtime';

const PROGRAM_SEARCH = { ...PAGE_PARAMS, targets: repeatedParam(target) };

/** The routes over `vtn`: this instance's operations here, a test's own elsewhere. */
export function programRoutes(vtn: () => VtnOperations): RouteTable {
  return {
    '/programs': {
      GET: { scope: 'read_targets', handle: async ({ caller, query }) => ok(await vtn().listPrograms(caller, query(PROGRAM_SEARCH))) },
      POST: { scope: 'write_programs', handle: async ({ caller, json }) => created(await vtn().createProgram(caller, json())) },
    },
    '/programs/{programID}': {
      GET: { scope: 'read_targets', handle: async ({ caller, id }) => ok(await vtn().getProgram(caller, id('programID'))) },
      PUT: { scope: 'write_programs', handle: async ({ caller, id, json }) => ok(await vtn().updateProgram(caller, id('programID'), json())) },
      DELETE: { scope: 'write_programs', handle: async ({ caller, id }) => ok(await vtn().deleteProgram(caller, id('programID'))) },
    },
  };
}

export const handler = httpHandler(programRoutes(vtn), logger());
primeDuringInit(primeStorage, primeAuthentication);
