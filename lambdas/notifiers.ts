import { httpHandler, ok, type RouteTable } from './core/http/router';
import { logger } from './core/logger';

/**
 * Also API Gateway's `$default` route: any path no other entry serves gets a 404 problem here.
 * It needs no storage, so it loads none.
 */
export const notifierRoutes: RouteTable = {
  // Webhooks are the binding every VTN must offer; MQTT is not offered.
  '/notifiers': { GET: { scope: 'read_all', handle: async () => ok({ WEBHOOK: true }) } },
};

export const handler = httpHandler(notifierRoutes, logger());
