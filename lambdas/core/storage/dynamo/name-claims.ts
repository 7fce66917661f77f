import { randomUUID } from 'node:crypto';
import { ConflictError } from '../../errors';
import type { Logger } from '../../logger';
import { DynamoGateway, isConditionFailure } from './gateway';
import { PROGRAM_NAME_CLAIM, type Item } from './item-codec';
import { TABLE_LAYOUT } from './table-layout';

const MAX_CLAIM_ATTEMPTS = 5;

interface Claim {
  owner: string;
  claimedAt: number;
  token?: string;
}

/** What one claim attempt holds: `acquired` when this attempt wrote the claim (and may undo it). */
export interface ClaimHold {
  name: string;
  owner: string;
  acquired: boolean;
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
    const hold = (acquired: boolean): ClaimHold => ({ name, owner, acquired, token });
    for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
      if (await this.putClaim(name, owner, token, { ConditionExpression: 'attribute_not_exists(#id)' })) return hold(true);
      const claim = await this.read(name);
      if (!claim) continue;
      if (claim.token === token) return hold(true);
      if (claim.owner === owner) return hold(false);
      if (await this.isLive(name, claim)) {
        throw new ConflictError(`programName "${name}" is already used by program ${claim.owner}`);
      }
      const takeover = {
        ConditionExpression: 'ownerID = :owner AND claimedAt = :claimedAt',
        ExpressionAttributeValues: { ':owner': { S: claim.owner }, ':claimedAt': { N: String(claim.claimedAt) } },
      };
      if (await this.putClaim(name, owner, token, takeover)) return hold(true);
      if ((await this.read(name))?.token === token) return hold(true);
    }
    throw new ConflictError(`programName "${name}" is being claimed concurrently; retry`);
  }

  /** Undoes what this attempt acquired, and nothing else. */
  async undo(hold: ClaimHold | undefined): Promise<void> {
    if (!hold?.acquired) return;
    await this.deleteIf(hold.name, 'ownerID = :owner AND claimToken = :token', { ':owner': { S: hold.owner }, ':token': { S: hold.token } });
  }

  /**
   * Frees a name its owner no longer bears. Best effort: a claim left behind only blocks the name
   * until its lease runs out, since its owner no longer bears it.
   */
  async release(name: string, owner: string): Promise<void> {
    try {
      await this.deleteIf(name, 'ownerID = :owner', { ':owner': { S: owner } });
    } catch (error) {
      this.options.logger.warn('name claim not released; it lapses after its lease', { name, owner, error });
    }
  }

  /** Whether the claim on `name` is still `owner`'s (a claim lost after its lease can be taken over). */
  async isHeldBy(name: string, owner: string): Promise<{ held: boolean; holder?: string }> {
    const claim = await this.read(name);
    return { held: claim?.owner === owner, holder: claim?.owner };
  }

  private async putClaim(
    name: string,
    owner: string,
    token: string,
    condition: { ConditionExpression: string; ExpressionAttributeValues?: Item },
  ): Promise<boolean> {
    try {
      await this.gateway.put({
        TableName: this.gateway.tableName,
        Item: {
          [TABLE_LAYOUT.partitionKey]: { S: PROGRAM_NAME_CLAIM },
          [TABLE_LAYOUT.sortKey]: { S: name },
          ownerID: { S: owner },
          claimedAt: { N: String(this.options.clock()) },
          claimToken: { S: token },
        },
        ExpressionAttributeNames: condition.ConditionExpression.includes('#id') ? { '#id': TABLE_LAYOUT.sortKey } : undefined,
        ...condition,
      });
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  private async deleteIf(name: string, condition: string, values: Item): Promise<void> {
    try {
      await this.gateway.delete({
        TableName: this.gateway.tableName,
        Key: claimKey(name),
        ConditionExpression: condition,
        ExpressionAttributeValues: values,
      });
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
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
