import { primeAuthentication } from './core/auth/authentication';
import { httpHandler, ok, type HttpRequest, type RouteTable } from './core/http/router';
import { logger } from './core/logger';
import { mqttBinding } from './core/notifications/mqtt/binding';
import type { NotifierTopics, TopicsResponse } from './core/operations/notifier-topics';
import { primeDuringInit } from './core/priming';

type TopicsOf = (topics: NotifierTopics, request: HttpRequest) => Promise<TopicsResponse>;

/**
 * Also API Gateway's `$default` route: any path no other entry serves gets a 404 problem here.
 * `GET /notifiers` needs no storage, and the entry loads it only when a topic route is asked
 * for, so that its cold start stays small.
 */
export function notifierRoutes(topics: () => Promise<NotifierTopics>): RouteTable {
  const route = (scope: 'read_all' | 'read_bl' | 'read_ven_objects', answer: TopicsOf) => ({
    GET: { scope, handle: async (request: HttpRequest) => ok(await answer(await topics(), request)) },
  });
  const prefix = '/notifiers/mqtt/topics';
  return {
    // Webhooks are the binding every VTN must offer; MQTT when brokers are configured.
    '/notifiers': { GET: { scope: 'read_all', handle: async () => ok({ WEBHOOK: true, ...withMqtt() }) } },
    [`${prefix}/programs`]: route('read_all', (t, { caller }) => t.programs(caller)),
    [`${prefix}/programs/{programID}`]: route('read_all', (t, { caller, id }) => t.program(caller, id('programID'))),
    [`${prefix}/programs/{programID}/events`]: route('read_all', (t, { caller, id }) => t.programEvents(caller, id('programID'))),
    [`${prefix}/events`]: route('read_bl', (t) => t.allEvents()),
    [`${prefix}/reports`]: route('read_bl', (t) => t.allReports()),
    [`${prefix}/subscriptions`]: route('read_bl', (t) => t.allSubscriptions()),
    [`${prefix}/vens`]: route('read_bl', (t) => t.allVens()),
    [`${prefix}/resources`]: route('read_bl', (t) => t.allResources()),
    [`${prefix}/vens/{venID}`]: route('read_ven_objects', (t, { caller, id }) => t.ven(caller, id('venID'))),
    [`${prefix}/vens/{venID}/events`]: route('read_ven_objects', (t, { caller, id }) => t.venEvents(caller, id('venID'))),
    [`${prefix}/vens/{venID}/programs`]: route('read_ven_objects', (t, { caller, id }) => t.venPrograms(caller, id('venID'))),
    [`${prefix}/vens/{venID}/resources`]: route('read_ven_objects', (t, { caller, id }) => t.venResources(caller, id('venID'))),
  };
}

function withMqtt() {
  const binding = mqttBinding();
  return binding ? { MQTT: binding.advertised } : {};
}

// Storage and the SDK load on the first topic request only.
const instanceTopics = async () => (await import('./core/runtime')).notifierTopics();

export const handler = httpHandler(notifierRoutes(instanceTopics), logger());
primeDuringInit(primeAuthentication);
