import { grantedOnly, visibleUnder } from '../openadr/targets';
import type { StoredObjectType } from '../openadr/types';
import { NotFoundError } from '../errors';
import type { Grant, VtnStorage } from '../storage/port';

/**
 * Object privacy (Definition.md "Object Privacy"), decided here for API responses and
 * notifications alike: what a reader may see, and what it sees of it.
 */

/**
 * Who reads: a BL, or a VEN by its clientID with its grant. The grant matters for programs,
 * events and resources only; a VEN reader without one is taken to have none.
 */
export type Reader = { role: 'BL' } | { role: 'VEN'; clientID: string; grant?: Grant };

export const BL_READER: Reader = { role: 'BL' };

/** The fields privacy reads, alike in stored and wire form. */
interface Readable {
  clientID?: unknown;
  venID?: unknown;
  targets?: unknown;
}

/**
 * Whether `reader` may read `object`: a BL everything; a VEN its own vens, subscriptions and
 * reports (by clientID), its ven's resources, and the programs and events its grant reaches, an
 * event only within a program it may see. `programTargets`: an event's program's targets, null
 * when that program is gone.
 */
export function mayRead(reader: Reader, objectType: StoredObjectType, object: Readable, programTargets?: readonly string[] | null): boolean {
  if (reader.role === 'BL') return true;
  const granted = reader.grant?.targets ?? [];
  switch (objectType) {
    case 'VEN':
    case 'SUBSCRIPTION':
    case 'REPORT':
      return object.clientID === reader.clientID;
    case 'RESOURCE':
      return reader.grant?.venID !== undefined && object.venID === reader.grant.venID;
    case 'PROGRAM':
      return visibleUnder(targetsOf(object), granted);
    case 'EVENT':
      return programTargets !== null && visibleUnder(programTargets, granted) && visibleUnder(targetsOf(object), granted);
  }
}

/** The object as `reader` sees it: a VEN learns only the targets of a program or event it was granted. */
export function shownTo<T extends Readable>(reader: Reader, objectType: StoredObjectType, object: T): T {
  if (reader.role === 'BL' || (objectType !== 'PROGRAM' && objectType !== 'EVENT')) return object;
  const targets = targetsOf(object);
  if (!targets?.length) return object;
  return { ...object, targets: grantedOnly(targets, reader.grant?.targets ?? []) };
}

function targetsOf(object: Readable): string[] | null | undefined {
  return Array.isArray(object.targets) ? (object.targets as string[]) : (object.targets as null | undefined);
}

/** A program's targets, or null when it does not exist. */
export async function programTargetsOf(storage: Pick<VtnStorage, 'programs'>, programID: string): Promise<string[] | null> {
  try {
    return (await storage.programs.get(programID)).targets ?? [];
  } catch (error) {
    if (error instanceof NotFoundError) return null;
    throw error;
  }
}
