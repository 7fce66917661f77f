import { createHash, randomUUID } from 'node:crypto';
import type { PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import { ConflictError } from '../../errors';
import type { Logger } from '../../logger';
import { DynamoGateway, conditionMet } from './gateway';
import type { Item } from './item-codec';
import { TABLE_LAYOUT } from './table-layout';

const MAX_CLAIM_ATTEMPTS = 5;

interface Claim {
  owner: string;
  claimedAt: number;
  token?: string;
}

/**
 * What one claim attempt holds: the claim item carries this attempt's token, which the owner's
 * item also stores once written, so that a later release can tell this claim from a newer one.
 */
export interface ClaimHold {
  name: string;
  owner: string;
  token: string;
  /** Where the claim lives (several kinds of claim may be held for one write). */
  claims: NameClaims;
}

export interface NameClaimsOptions {
  /** The partition of the claim items, one per kind of unique name. */
  partition: string;
  /** How conflicts name the claimed field and the owner's type: `programName "x" is already used by another program`. */
  field: string;
  ownerType: string;
  /** The attribute of the owner's item that keeps the token of the claim it holds. */
  tokenAttribute: string;
  /** The name as conflicts show it (a claim key may carry a scope). */
  shown?: (name: string) => string;
  /** A claim this young whose owner does not bear the name yet is a create or rename in flight. */
  leaseMs: number;
  clock: () => number;
  logger: Logger;
  /** The name the owner bears now, or undefined when the owner does not exist. */
  currentNameOf: (owner: string) => Promise<string | undefined>;
}

/**
 * Unique names from conditional single-item writes: a claim item keyed by the name names its
 * owner. Exactly one of several concurrent claimants wins the conditional put. A claim is stale,
 * and may be taken over, when it is older than the lease and its owner no longer exists or no
 * longer bears the name (an interrupted create, rename or delete), so no name stays blocked for
 * good. Each attempt writes its own token, so a claim whose answer was lost (and whose retry then
 * failed its condition) is still recognised as this attempt's.
 */
export class NameClaims {
  constructor(
    private readonly gateway: DynamoGateway,
    private readonly options: NameClaimsOptions,
  ) {}

  get tokenAttribute(): string {
    return this.options.tokenAttribute;
  }

  async claim(name: string, owner: string): Promise<ClaimHold> {
    const token = randomUUID();
    const hold: ClaimHold = { name, owner, token, claims: this };
    for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
      if (await this.putClaim(hold, { ConditionExpression: 'attribute_not_exists(#id)', ExpressionAttributeNames: { '#id': TABLE_LAYOUT.sortKey } })) return hold;
      const claim = await this.read(name);
      if (!claim) continue;
      if (claim.token === token) return hold;
      if (claim.owner !== owner && (await this.isLive(name, claim))) {
        throw new ConflictError(`${this.describe(name)} is already used by another ${this.options.ownerType}`);
      }
      // A stale claim, or one of the owner's own (a rename back, a release that failed): rewrite
      // it with this attempt's token and time, so that neither a release meant for the old claim
      // nor a takeover of an old lease can undo it while this write is in flight.
      const current = {
        ConditionExpression: claim.token ? 'ownerID = :owner AND claimToken = :token' : 'ownerID = :owner AND attribute_not_exists(claimToken)',
        ExpressionAttributeValues: { ':owner': { S: claim.owner }, ...(claim.token ? { ':token': { S: claim.token } } : {}) },
      };
      if (await this.putClaim(hold, current)) return hold;
      if ((await this.read(name))?.token === token) return hold;
    }
    throw new ConflictError(`${this.describe(name)} is being claimed concurrently; retry`);
  }

  /** The conflict of a write that lost its claim after the fact (who took it is not said: it may be another client's). */
  takenError(name: string): ConflictError {
    const ownerType = this.options.ownerType;
    return new ConflictError(`${this.describe(name)} was taken by another ${ownerType}`);
  }

  private describe(name: string): string {
    return `${this.options.field} "${this.options.shown?.(name) ?? name}"`;
  }

  /**
   * Gives back a claim whose write did not happen. Kept when the owner bears the name all the
   * same (an identical write won, or this one landed though its answer was lost), and when the
   * claim was rewritten since. Best effort: a claim left behind lapses after its lease.
   */
  async undo(hold: ClaimHold | undefined): Promise<void> {
    if (!hold) return;
    try {
      if ((await this.options.currentNameOf(hold.owner)) === hold.name) return;
      await this.deleteIf(hold.name, hold.owner, hold.token);
    } catch (error) {
      this.options.logger.warn('name claim not given back; it lapses after its lease', { name: hold.name, owner: hold.owner, error });
    }
  }

  /**
   * Frees a name its owner no longer bears: only the claim `token` (the one the owner's previous
   * version held) names, so a claim rewritten since (the owner took the name again) stays.
   * Best effort: a claim left behind only blocks the name until its lease runs out.
   */
  async release(name: string, owner: string, token: string | undefined): Promise<void> {
    try {
      await this.deleteIf(name, owner, token);
    } catch (error) {
      this.options.logger.warn('name claim not released; it lapses after its lease', { name, owner, error });
    }
  }

  /** Who holds the claim on `name`, if anyone (a claim may run ahead of its owner's write). */
  async holderOf(name: string): Promise<string | undefined> {
    return (await this.read(name))?.owner;
  }

  /** Whether the claim on `name` is still `owner`'s (a claim lost after its lease can be taken over). */
  async isHeldBy(name: string, owner: string): Promise<{ held: boolean; holder?: string }> {
    const claim = await this.read(name);
    return { held: claim?.owner === owner, holder: claim?.owner };
  }

  private putClaim(hold: ClaimHold, condition: Pick<PutItemCommandInput, 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'>): Promise<boolean> {
    const put = this.gateway.put({
      TableName: this.gateway.tableName,
      Item: {
        ...this.claimKey(hold.name),
        ownerID: { S: hold.owner },
        claimedAt: { N: String(this.options.clock()) },
        claimToken: { S: hold.token },
      },
      ...condition,
    });
    return conditionMet(put);
  }

  /**
   * Deletes the claim if `owner` holds it with `token`; without a token (an owner written before
   * claims had tokens), only a claim that has none either, never one rewritten since.
   */
  private async deleteIf(name: string, owner: string, token: string | undefined): Promise<void> {
    await conditionMet(
      this.gateway.delete({
        TableName: this.gateway.tableName,
        Key: this.claimKey(name),
        ConditionExpression: token ? 'ownerID = :owner AND claimToken = :token' : 'ownerID = :owner AND attribute_not_exists(claimToken)',
        ExpressionAttributeValues: { ':owner': { S: owner }, ...(token ? { ':token': { S: token } } : {}) },
      }),
    );
  }

  private async read(name: string): Promise<Claim | undefined> {
    const result = await this.gateway.get({ TableName: this.gateway.tableName, Key: this.claimKey(name), ConsistentRead: true });
    const item = result.Item;
    if (!item) return undefined;
    return { owner: item.ownerID.S as string, claimedAt: Number(item.claimedAt.N), token: item.claimToken?.S };
  }

  private async isLive(name: string, claim: Claim): Promise<boolean> {
    if (this.options.clock() - claim.claimedAt < this.options.leaseMs) return true;
    return (await this.options.currentNameOf(claim.owner)) === name;
  }

  private claimKey(name: string): Item {
    return { [TABLE_LAYOUT.partitionKey]: { S: this.options.partition }, [TABLE_LAYOUT.sortKey]: { S: keyValue(name) } };
  }
}

/**
 * DynamoDB limits a sort key to 1,024 bytes; names are far shorter, but a clientID from another
 * identity provider has no bound. Longer values are claimed by their hash.
 */
const MAX_KEY_BYTES = 512;

function keyValue(name: string): string {
  return Buffer.byteLength(name, 'utf8') <= MAX_KEY_BYTES ? name : `sha256:${createHash('sha256').update(name, 'utf8').digest('hex')}`;
}
