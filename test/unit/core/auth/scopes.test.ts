import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { DEFAULT_SCOPES, OPERATION_SCOPES, permits, PUBLIC, roleOf, SCOPES } from '../../../../lambdas/core/auth/scopes';
import { registration } from '../../../../lambdas/core/auth/clients';
import type { RouteTable } from '../../../../lambdas/core/http/router';
import { docsRoutes } from '../../../../lambdas/docs';
import { RESOURCES } from '../../../../lambdas/routes';
import { API_ROUTE_TABLES } from '../../../../scripts/generate-openapi';
import { SPEC_PATH, specAvailable } from '../../../support/spec';

/** Every entry's route table, as its handler serves it. */
const ROUTE_TABLES: Record<string, RouteTable> = { ...API_ROUTE_TABLES, docs: docsRoutes };

const scopesOf = (routes: RouteTable) =>
  Object.fromEntries(Object.entries(routes).map(([path, methods]) => [path, Object.fromEntries(Object.entries(methods).map(([method, route]) => [method, route.scope]))]));

(specAvailable() ? test : test.skip)("the scope table is openadr3.yaml's: every operation, its oAuth2ClientCredentials scope, public where it has none", () => {
  const spec = parse(readFileSync(SPEC_PATH, 'utf8')) as { paths: Record<string, Record<string, { security?: { oAuth2ClientCredentials?: string[] }[] }>> };
  const fromYaml = Object.fromEntries(
    Object.entries(spec.paths).map(([path, operations]) => [
      path,
      Object.fromEntries(
        Object.entries(operations)
          .filter(([method]) => ['get', 'post', 'put', 'delete'].includes(method))
          .map(([method, operation]) => {
            const scopes = operation.security?.find((requirement) => requirement.oAuth2ClientCredentials)?.oAuth2ClientCredentials ?? [];
            expect(scopes.length).toBeLessThanOrEqual(1);
            return [method.toUpperCase(), scopes[0] ?? PUBLIC];
          }),
      ),
    ]),
  );
  expect(OPERATION_SCOPES).toEqual(fromYaml);
});

test('every route of every entry requires the scope of the table, or is public where the table says so', () => {
  expect(Object.keys(ROUTE_TABLES).sort()).toEqual(RESOURCES.map((resource) => resource.name).sort());
  for (const [name, routes] of Object.entries(ROUTE_TABLES)) {
    const resource = RESOURCES.find((candidate) => candidate.name === name)!;
    expect(Object.keys(routes).sort()).toEqual([...resource.paths].sort());
    for (const [path, methods] of Object.entries(scopesOf(routes))) {
      // The key set and the documentation are extensions beside the spec's operations, public like /auth.
      expect({ path, methods }).toEqual({ path, methods: OPERATION_SCOPES[path] ?? { GET: PUBLIC } });
    }
  }
});

test('roles and default scopes: read_bl makes a BL; every scope is in one role or both, read_all in both', () => {
  expect(roleOf(DEFAULT_SCOPES.BL)).toBe('BL');
  expect(roleOf(DEFAULT_SCOPES.VEN)).toBe('VEN');
  expect(roleOf([])).toBe('VEN');
  expect(new Set([...DEFAULT_SCOPES.BL, ...DEFAULT_SCOPES.VEN])).toEqual(new Set(SCOPES));
  expect(DEFAULT_SCOPES.VEN).toEqual(['read_all', 'read_targets', 'read_ven_objects', 'write_reports', 'write_subscriptions', 'write_vens']);
  expect(permits([], 'read_all')).toBe(true);
  expect(permits(['read_all'], 'write_programs')).toBe(false);
  expect(permits(['write_programs'], 'write_programs')).toBe(true);
});

test('a client secret given by hand is at least a few characters long', async () => {
  await expect(registration({ clientID: 'ven-3', clientSecret: 'short', role: 'VEN' }, '2026-01-01T00:00:00Z')).rejects.toThrow(/clientSecret of ven-3 must be 8-/);
  await expect(registration({ clientID: 'ven-3', clientSecret: 'long enough', role: 'VEN' }, '2026-01-01T00:00:00Z')).resolves.toMatchObject({ secret: 'long enough' });
});
