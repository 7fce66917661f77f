import { newObjectId } from '../../lambdas/core/ids';
import { hydrate } from '../../lambdas/core/openadr/temporal-fields';
import type { Resource, Ven } from '../../lambdas/core/openadr/types';

const STAMP = '2024-05-01T00:00:00Z';

export function aVen(fields: Record<string, unknown> = {}): Ven {
  return hydrate<Ven>('VEN', {
    id: newObjectId(),
    objectType: 'VEN',
    clientID: `client-${newObjectId()}`,
    venName: `ven-${newObjectId()}`,
    createdDateTime: STAMP,
    modificationDateTime: STAMP,
    ...fields,
  });
}

/** A resource of `ven`, with its ven's clientID as the operations give it. */
export function aResource(ven: Ven, fields: Record<string, unknown> = {}): Resource {
  return hydrate<Resource>('RESOURCE', {
    id: newObjectId(),
    objectType: 'RESOURCE',
    clientID: ven.clientID,
    venID: ven.id,
    resourceName: `resource-${newObjectId()}`,
    createdDateTime: STAMP,
    modificationDateTime: STAMP,
    ...fields,
  });
}
