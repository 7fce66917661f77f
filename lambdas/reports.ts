import { primeAuthentication } from './core/auth/authentication';
import { PAGE_PARAMS, stringParam } from './core/http/query';
import { created, httpHandler, ok, type RouteTable } from './core/http/router';
import { clientName, objectID } from './core/openadr/validation';
import { logger } from './core/logger';
import { primeDuringInit } from './core/priming';
import type { VtnOperations } from './core/operations/operations';
import { primeStorage, vtn } from './core/runtime';

const REPORT_SEARCH = { ...PAGE_PARAMS, programID: stringParam(objectID), eventID: stringParam(objectID), clientName: stringParam(clientName) };

/** The routes over `vtn`: this instance's operations here, a test's own elsewhere. */
export function reportRoutes(vtn: () => VtnOperations): RouteTable {
  return {
    '/reports': {
      GET: { scope: 'read_ven_objects', handle: async ({ caller, query }) => ok(await vtn().listReports(caller, query(REPORT_SEARCH))) },
      POST: { scope: 'write_reports', handle: async ({ caller, json }) => created(await vtn().createReport(caller, json())) },
    },
    '/reports/{reportID}': {
      GET: { scope: 'read_ven_objects', handle: async ({ caller, id }) => ok(await vtn().getReport(caller, id('reportID'))) },
      PUT: { scope: 'write_reports', handle: async ({ caller, id, json }) => ok(await vtn().updateReport(caller, id('reportID'), json())) },
      DELETE: { scope: 'write_reports', handle: async ({ caller, id }) => ok(await vtn().deleteReport(caller, id('reportID'))) },
    },
  };
}

export const handler = httpHandler(reportRoutes(vtn), logger());
primeDuringInit(primeStorage, primeAuthentication);
