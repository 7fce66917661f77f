import { randomUUID } from 'node:crypto';
import type { PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import { ConflictError } from '../../errors';
import type { Logger } from '../../logger';
import { DynamoGateway, conditionMet } from './gateway';
import { PROGRAM_NAME_CLAIM, type Item } from './item-codec';
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
}

export interface NameClaimsOptions {
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

  async claim(name: string, owner: string): Promise<ClaimHold> {
    const token = randomUUID();
    const hold: ClaimHold = { name, owner, token };
    for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
      if (await this.putClaim(hold, { ConditionExpression: 'attribute_not_exists(#id)', ExpressionAttributeNames: { '#id': TABLE_LAYOUT.sortKey } })) return hold;
      const claim = await this.read(name);
      if (!claim) continue;
      if (claim.token === token) return hold;
      if (claim.owner !== owner && (await this.isLive(name, claim))) {
        throw new ConflictError(`programName "${name}" is already used by program ${claim.owner}`);
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
    throw new ConflictError(`programName "${name}" is being claimed concurrently; retry`);
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

  /** Whether the claim on `name` is still `owner`'s (a claim lost after its lease can be taken over). */
  async isHeldBy(name: string, owner: string): Promise<{ held: boolean; holder?: string }> {
    const claim = await this.read(name);
    return { held: claim?.owner === owner, holder: claim?.owner };
  }

  private putClaim(hold: ClaimHold, condition: Pick<PutItemCommandInput, 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'>): Promise<boolean> {
    const put = this.gateway.put({
      TableName: this.gateway.tableName,
      Item: {
        ...claimKey(hold.name),
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
        Key: claimKey(name),
        ConditionExpression: token ? 'ownerID = :owner AND claimToken = :token' : 'ownerID = :owner AND attribute_not_exists(claimToken)',
        ExpressionAttributeValues: { ':owner': { S: owner }, ...(token ? { ':token': { S: token } } : {}) },
      }),
    );
  }

  private async read(name: string): Promise<Claim | undefined> {
    const result = await this.gateway.get({ TableName: this.gateway.tableName, Key: claimKey(name), ConsistentRead: true });
    const item = result.Item;
    if (!item) return undefined;
    return { owner: item.ownerID.S as string, claimedAt: Number(item.claimedAt.N), token: item.claimToken?.S };
  }

  private async isLive(name: string, claim: Claim): Promise<boolean> {
    if (this.options.clock() - claim.claimedAt < this.options.leaseMs) return true;
    return (await this.options.currentNameOf(claim.owner)) === name;
  }
}

function claimKey(name: string): Item {
  return { [TABLE_LAYOUT.partitionKey]: { S: PROGRAM_NAME_CLAIM }, [TABLE_LAYOUT.sortKey]: { S: name } };
}
