import type { Logger } from '../../logger';
import type { StoredObject } from '../../openadr/types';
import type { DynamoGateway } from './gateway';
import { fromItem, type Item } from './item-codec';
import { NameClaims, type ClaimHold } from './name-claims';
import type { VersionedItems } from './versioned-items';

const MAX_REMOVE_ATTEMPTS = 5;

/** One unique value of an object type, kept unique by claims in a partition of its own. */
export interface UniqueField<T> {
  partition: string;
  /** The field conflicts name (programName, venName, clientID, resourceName). */
  field: string;
  /** The attribute of the object's item that keeps the token of its claim on this field. */
  tokenAttribute: string;
  /** The value claimed, with its scope when unique only within one (a resource's ven). */
  valueOf: (object: T) => string;
  /** The value as conflicts show it. */
  shown?: (value: string) => string;
}

export interface UniqueFieldsOptions {
  leaseMs: number;
  clock: () => number;
  logger: Logger;
}

/**
 * The unique fields of one object type and the claims that keep them so (see NameClaims): a
 * create claims them all, an update those whose value changes, a delete releases them all. An
 * object may hold several claims; its item keeps each claim's token in an attribute of its own.
 */
export class UniqueFields<T extends StoredObject> {
  private readonly fields: { name: string; claims: NameClaims; valueOf: (object: T) => string }[];

  constructor(
    gateway: DynamoGateway,
    private readonly writes: VersionedItems,
    private readonly objectType: T['objectType'],
    fields: UniqueField<T>[],
    options: UniqueFieldsOptions,
  ) {
    this.fields = fields.map((field) => ({
      name: field.field,
      valueOf: field.valueOf,
      claims: new NameClaims(gateway, {
        ...options,
        partition: field.partition,
        field: field.field,
        ownerType: objectType.toLowerCase(),
        tokenAttribute: field.tokenAttribute,
        shown: field.shown,
        currentNameOf: async (owner) => {
          const item = await this.writes.read(this.objectType, owner);
          return item ? field.valueOf(fromItem<T>(item)) : undefined;
        },
      }),
    }));
  }

  /**
   * Claims each value `next` bears that `current` (absent on a create) does not. A conflict on
   * one gives back the claims already taken for this write.
   */
  async claim(next: T, current?: T): Promise<ClaimHold[]> {
    const holds: ClaimHold[] = [];
    try {
      for (const { claims, valueOf } of this.fields) {
        const value = valueOf(next);
        if (current && valueOf(current) === value) continue;
        holds.push(await claims.claim(value, next.id));
      }
      return holds;
    } catch (error) {
      await this.undo(holds);
      throw error;
    }
  }

  /** Gives back the claims of a write that did not happen (see NameClaims.undo). */
  undo(holds: ClaimHold[]): Promise<void> {
    return undoClaims(holds);
  }

  /** The id of the object holding `value` of `field`; it may not bear it yet (a write in flight). */
  holderOf(field: string, value: string): Promise<string | undefined> {
    const unique = this.fields.find((candidate) => candidate.name === field);
    if (!unique) throw new Error(`${field} is not a unique field of ${this.objectType}`);
    return unique.claims.holderOf(value);
  }

  /** The item to write: the token of each claim taken now, else the one the replaced version kept. */
  stamp(item: Item, holds: ClaimHold[], replaced?: Item): Item {
    const stamped = { ...item };
    for (const { claims } of this.fields) {
      const hold = holds.find((taken) => taken.claims === claims);
      const token = hold ? { S: hold.token } : replaced?.[claims.tokenAttribute];
      if (token) stamped[claims.tokenAttribute] = token;
    }
    return stamped;
  }

  /**
   * Frees the values `replaced` bore and `written` no longer does (all of them after a delete),
   * each only if still held with the token `replaced` kept. Best effort, like NameClaims.release.
   */
  async release(replaced: Item, written?: Item): Promise<void> {
    const before = fromItem<T>(replaced);
    const after = written && fromItem<T>(written);
    for (const { claims, valueOf } of this.fields) {
      const value = valueOf(before);
      if (after && valueOf(after) === value) continue;
      await claims.release(value, before.id, replaced[claims.tokenAttribute]?.S);
    }
  }

  /**
   * Closes the window where a create outlived a claim's lease and lost the value to another: the
   * later claimant keeps it and this object is withdrawn. An object that no longer bears the
   * value (changed or deleted since, its claim rightly given up) was created all the same.
   */
  async keepOnlyIfStillOurs(object: T): Promise<void> {
    const checks = await Promise.all(this.fields.map(async (field) => ({ field, ...(await field.claims.isHeldBy(field.valueOf(object), object.id)) })));
    const lost = checks.find((check) => !check.held);
    if (!lost) return;
    const value = lost.field.valueOf(object);
    let current = await this.writes.read(this.objectType, object.id);
    for (let attempt = 0; attempt < MAX_REMOVE_ATTEMPTS; attempt++) {
      if (!current || lost.field.valueOf(fromItem<T>(current)) !== value) return;
      current = await this.writes.remove(current);
      if (!current) break;
    }
    throw lost.field.claims.takenError(value);
  }
}

/** Gives back claims taken for a write that did not happen, whichever fields they are of. */
export async function undoClaims(holds: ClaimHold[]): Promise<void> {
  for (const hold of holds) await hold.claims.undo(hold);
}
