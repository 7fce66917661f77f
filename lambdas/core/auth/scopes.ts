/**
 * OAuth2 scopes and roles as OpenADR 3.1.0 has them (openadr3.yaml `securitySchemes` and each
 * operation's `security`). `read_bl` guards the BL-only topic routes; the yaml uses it without
 * declaring it.
 */

export const SCOPES = [
  'read_all',
  'read_bl',
  'read_targets',
  'read_ven_objects',
  'write_programs',
  'write_events',
  'write_reports',
  'write_subscriptions',
  'write_vens',
] as const;
export type Scope = (typeof SCOPES)[number];

export const ROLES = ['BL', 'VEN'] as const;
export type Role = (typeof ROLES)[number];

/** Marks a route that reads no token (the spec's /auth routes, the key set). */
export const PUBLIC = 'public';
export type Access = Scope | typeof PUBLIC;

/** What a client of each role may ask for when its registration names no scopes. */
export const DEFAULT_SCOPES: Record<Role, readonly Scope[]> = {
  BL: ['read_all', 'read_bl', 'read_targets', 'read_ven_objects', 'write_programs', 'write_events', 'write_subscriptions', 'write_vens'],
  VEN: ['read_all', 'read_targets', 'read_ven_objects', 'write_reports', 'write_subscriptions', 'write_vens'],
};

/** A token carrying `read_bl` is a BL's; any other is a VEN's. */
export function roleOf(scopes: readonly string[]): Role {
  return scopes.includes('read_bl') ? 'BL' : 'VEN';
}

/** Every authenticated client may use `read_all` routes (both roles hold it by default). */
export function permits(scopes: readonly string[], required: Scope): boolean {
  return required === 'read_all' || scopes.includes(required);
}

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/**
 * The scope each operation of openadr3.yaml requires, by path (below the base path) and method.
 * The route tables name these; a test holds this table to the yaml.
 */
export const OPERATION_SCOPES: Record<string, Partial<Record<'GET' | 'POST' | 'PUT' | 'DELETE', Access>>> = {
  '/programs': { GET: 'read_targets', POST: 'write_programs' },
  '/programs/{programID}': { GET: 'read_targets', PUT: 'write_programs', DELETE: 'write_programs' },
  '/reports': { GET: 'read_ven_objects', POST: 'write_reports' },
  '/reports/{reportID}': { GET: 'read_ven_objects', PUT: 'write_reports', DELETE: 'write_reports' },
  '/events': { GET: 'read_targets', POST: 'write_events' },
  '/events/{eventID}': { GET: 'read_targets', PUT: 'write_events', DELETE: 'write_events' },
  '/subscriptions': { GET: 'read_ven_objects', POST: 'write_subscriptions' },
  '/subscriptions/{subscriptionID}': { GET: 'read_ven_objects', PUT: 'write_subscriptions', DELETE: 'write_subscriptions' },
  '/vens': { GET: 'read_ven_objects', POST: 'write_vens' },
  '/vens/{venID}': { GET: 'read_ven_objects', PUT: 'write_vens', DELETE: 'write_vens' },
  '/resources': { GET: 'read_ven_objects', POST: 'write_vens' },
  '/resources/{resourceID}': { GET: 'read_ven_objects', PUT: 'write_vens', DELETE: 'write_vens' },
  '/auth/server': { GET: PUBLIC },
  '/auth/token': { POST: PUBLIC },
  '/notifiers': { GET: 'read_all' },
  '/notifiers/mqtt/topics/programs': { GET: 'read_all' },
  '/notifiers/mqtt/topics/programs/{programID}': { GET: 'read_all' },
  '/notifiers/mqtt/topics/events': { GET: 'read_bl' },
  '/notifiers/mqtt/topics/programs/{programID}/events': { GET: 'read_all' },
  '/notifiers/mqtt/topics/reports': { GET: 'read_bl' },
  '/notifiers/mqtt/topics/subscriptions': { GET: 'read_bl' },
  '/notifiers/mqtt/topics/vens': { GET: 'read_bl' },
  '/notifiers/mqtt/topics/vens/{venID}': { GET: 'read_ven_objects' },
  '/notifiers/mqtt/topics/resources': { GET: 'read_bl' },
  '/notifiers/mqtt/topics/vens/{venID}/events': { GET: 'read_ven_objects' },
  '/notifiers/mqtt/topics/vens/{venID}/programs': { GET: 'read_ven_objects' },
  '/notifiers/mqtt/topics/vens/{venID}/resources': { GET: 'read_ven_objects' },
};
