import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

interface Capacity {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

const READS = new Set(['GetItemCommand', 'QueryCommand', 'BatchGetItemCommand', 'ScanCommand']);
let meters = 0;

/**
 * Counts a client's DynamoDB requests and the capacity they consume (asking DynamoDB to report
 * it with ReturnConsumedCapacity=TOTAL).
 */
export class DynamoMeter {
  requests = 0;
  readUnits = 0;
  writeUnits = 0;
  readonly byCommand: Record<string, number> = {};
  private readonly name = `benchMeter${++meters}`;
  private client: DynamoDBClient | undefined;

  attach(client: DynamoDBClient): void {
    this.client = client;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = context.commandName as string;
        (args.input as Record<string, unknown>).ReturnConsumedCapacity = 'TOTAL';
        this.requests++;
        this.byCommand[command] = (this.byCommand[command] ?? 0) + 1;
        const result = await next(args);
        const consumed = (result.output as { ConsumedCapacity?: Capacity | Capacity[] }).ConsumedCapacity;
        for (const capacity of [consumed ?? []].flat()) {
          const units = capacity.CapacityUnits ?? 0;
          if (READS.has(command)) this.readUnits += units;
          else this.writeUnits += units;
        }
        return result;
      },
      { step: 'initialize', name: this.name },
    );
  }

  detach(): void {
    this.client?.middlewareStack.remove(this.name);
  }

  snapshot(): { requests: number; readUnits: number; writeUnits: number } {
    return { requests: this.requests, readUnits: this.readUnits, writeUnits: this.writeUnits };
  }
}
