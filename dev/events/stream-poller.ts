/**
 * Reads a DynamoDB Local table's stream the way Lambda's event source mapping reads a real one:
 * every shard from its oldest record (TRIM_HORIZON), in order, one batch at a time; each batch is
 * handed to `onBatch` as Lambda's DynamoDBStreamEvent. A batch whose handler throws is handed over
 * again after `retryDelayMs` until it succeeds (records are never skipped), as Lambda retries a
 * failing stream batch.
 */
import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from "@aws-sdk/client-dynamodb-streams";
import type { DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";
import { localClient } from "../dynamodb-local.ts";

export interface StreamPollerOptions {
  endpoint: string;
  tableName: string;
  /** Records per batch (Lambda's batch size). */
  batchSize: number;
  /** Pause when a shard has nothing new. */
  idleMs: number;
  retryDelayMs: number;
  onBatch(event: DynamoDBStreamEvent): Promise<unknown>;
  onError(error: unknown): void;
}

export interface StreamPoller {
  stop(): Promise<void>;
}

interface ShardState {
  iterator?: string;
  /** The last record handed over successfully: where a fresh iterator resumes. */
  lastSequenceNumber?: string;
  closed: boolean;
}

/** The record as Lambda delivers it: the same fields, its creation time in epoch seconds. */
function lambdaRecord(record: StreamRecord, streamArn: string): DynamoDBRecord {
  const created = record.dynamodb?.ApproximateCreationDateTime;
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion,
    eventSource: "aws:dynamodb",
    awsRegion: record.awsRegion,
    eventSourceARN: streamArn,
    dynamodb: {
      ...record.dynamodb,
      ApproximateCreationDateTime: created ? Math.floor(new Date(created).getTime() / 1000) : undefined,
    },
  } as DynamoDBRecord;
}

export async function startStreamPoller(options: StreamPollerOptions): Promise<StreamPoller> {
  const tables = localClient(options.endpoint);
  const streams = new DynamoDBStreamsClient({
    endpoint: options.endpoint,
    region: "local",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 1,
  });
  const { Table } = await tables.send(new DescribeTableCommand({ TableName: options.tableName }));
  tables.destroy();
  const streamArn = Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`table ${options.tableName} has no stream`);

  const shards = new Map<string, ShardState>();
  let stopping = false;
  let wake: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  async function refreshShards(): Promise<void> {
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    for (const shard of StreamDescription?.Shards ?? []) {
      if (shard.ShardId && !shards.has(shard.ShardId)) shards.set(shard.ShardId, { closed: false });
    }
  }

  async function iteratorFor(shardId: string, state: ShardState): Promise<string | undefined> {
    if (state.iterator) return state.iterator;
    const { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shardId,
        ...(state.lastSequenceNumber
          ? { ShardIteratorType: "AFTER_SEQUENCE_NUMBER", SequenceNumber: state.lastSequenceNumber }
          : { ShardIteratorType: "TRIM_HORIZON" }),
      }),
    );
    state.iterator = ShardIterator;
    return ShardIterator;
  }

  /** One batch of one shard; true when it had records (poll again at once). */
  async function pollShard(shardId: string, state: ShardState): Promise<boolean> {
    const iterator = await iteratorFor(shardId, state);
    if (!iterator) {
      state.closed = true;
      return false;
    }
    let answer: GetRecordsCommandOutput;
    try {
      answer = await streams.send(
        new GetRecordsCommand({ ShardIterator: iterator, Limit: options.batchSize }),
      );
    } catch (error) {
      // An expired iterator is renewed from the last record handed over.
      state.iterator = undefined;
      throw error;
    }
    const records = answer.Records ?? [];
    if (records.length > 0) {
      const event: DynamoDBStreamEvent = {
        Records: records.map((record) => lambdaRecord(record, streamArn as string)),
      };
      // Handed over until it succeeds, like a failing Lambda batch; the iterator stays put meanwhile.
      for (;;) {
        try {
          await options.onBatch(event);
          break;
        } catch (error) {
          options.onError(error);
          if (stopping) return false;
          await sleep(options.retryDelayMs);
          if (stopping) return false;
        }
      }
      state.lastSequenceNumber = records.at(-1)?.dynamodb?.SequenceNumber;
    }
    state.iterator = answer.NextShardIterator;
    if (!answer.NextShardIterator) state.closed = true;
    return records.length > 0;
  }

  const loop = (async () => {
    let sinceRefresh = Number.POSITIVE_INFINITY;
    while (!stopping) {
      let busy = false;
      try {
        // New shards appear over time (DynamoDB Local rolls them too).
        if (sinceRefresh++ > 20) {
          await refreshShards();
          sinceRefresh = 0;
        }
        for (const [shardId, state] of shards) {
          if (state.closed || stopping) continue;
          if (await pollShard(shardId, state)) busy = true;
        }
      } catch (error) {
        if (!stopping) options.onError(error);
        await sleep(options.retryDelayMs);
        continue;
      }
      if (!busy) await sleep(options.idleMs);
    }
  })();

  return {
    async stop() {
      stopping = true;
      wake?.();
      await loop;
      streams.destroy();
    },
  };
}
