/** Kafka for tests and benchmarks: topics, producing sample messages, reading committed offsets. */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import pRetry from 'p-retry';
import { ROOT } from './paths.js';

function client(brokers: string[]): Kafka {
  return new Kafka({ clientId: 'persister-test', brokers, logLevel: logLevel.NOTHING });
}

/**
 * Runs a Kafka call again while it fails with a retriable error: a freshly started broker answers
 * "not the correct coordinator" or "does not host this topic-partition" for a few seconds.
 */
function retrying<T>(call: () => Promise<T>): Promise<T> {
  return pRetry(call, {
    retries: 40,
    minTimeout: 250,
    maxTimeout: 250,
    shouldRetry: ({ error }) => {
      const e = error as { retriable?: boolean; name?: string };
      return e.retriable === true || e.name === 'KafkaJSNumberOfRetriesExceeded';
    },
  });
}

export function createTopic(brokers: string[], topic: string, partitions: number): Promise<void> {
  return retrying(() => createTopicOnce(brokers, topic, partitions));
}

async function createTopicOnce(brokers: string[], topic: string, partitions: number): Promise<void> {
  const admin = client(brokers).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/**
 * Produces values round-robin over the partitions, in chunks (the i-th value to partition i % n);
 * calls onProgress after each chunk. `key`: the key of the i-th message (none by default).
 */
export async function produce(
  brokers: string[],
  topic: string,
  values: readonly (string | Buffer)[],
  options: { chunk?: number; pauseMs?: number; onProgress?: (sent: number) => void; key?: (i: number) => string } = {},
): Promise<void> {
  const producer = client(brokers).producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const chunk = options.chunk ?? 2000;
  try {
    const meta = client(brokers).admin();
    await meta.connect();
    const partitions = (await retrying(() => meta.fetchTopicMetadata({ topics: [topic] }))).topics[0].partitions.length;
    await meta.disconnect();
    for (let i = 0; i < values.length; i += chunk) {
      const slice = values.slice(i, i + chunk);
      await retrying(() =>
        producer.send({
          topic,
          messages: slice.map((value, j) => ({ value, key: options.key?.(i + j), partition: (i + j) % partitions })),
        }),
      );
      options.onProgress?.(Math.min(i + chunk, values.length));
      if (options.pauseMs) await new Promise((r) => setTimeout(r, options.pauseMs));
    }
  } finally {
    await producer.disconnect();
  }
}

/** Per partition: the group's committed offset and the end of the partition. */
export function offsets(brokers: string[], groupId: string, topic: string) {
  return retrying(() => offsetsOnce(brokers, groupId, topic));
}

async function offsetsOnce(brokers: string[], groupId: string, topic: string) {
  const admin = client(brokers).admin();
  await admin.connect();
  try {
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const ends = await admin.fetchTopicOffsets(topic);
    return ends.map((e) => ({
      partition: e.partition,
      end: e.high,
      committed: committed.partitions.find((p) => p.partition === e.partition)?.offset ?? '-1',
    }));
  } finally {
    await admin.disconnect();
  }
}

export interface ReadMessage {
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/** Every message of a topic, up to the end of each partition as it is now (a group of its own, nothing committed). */
export async function readTopic(brokers: string[], topic: string): Promise<ReadMessage[]> {
  const kafka = client(brokers);
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await retrying(() => admin.fetchTopicOffsets(topic))).map((o) => [o.partition, BigInt(o.high)]));
  await admin.disconnect();
  const out: ReadMessage[] = [];
  const remaining = new Set([...ends].filter(([, end]) => end > 0n).map(([p]) => p));
  if (remaining.size === 0) return out;
  const consumer = kafka.consumer({ groupId: `reader-${Date.now()}-${Math.random()}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          const end = ends.get(partition)!;
          if (BigInt(message.offset) >= end) return;
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(Array.isArray(v) ? v[0] : v);
          out.push({ partition, offset: message.offset, key: message.key, value: message.value, headers });
          if (BigInt(message.offset) + 1n >= end) remaining.delete(partition);
          if (remaining.size === 0) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return out;
}

export type JavaCodec = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/**
 * Produces values (one message each, no newlines in them) with Kafka's own Java console producer
 * from the stack's jars, compressing its batches with `codec`: what real producers send.
 */
export async function produceWithJava(brokers: string[], topic: string, values: readonly string[], codec: JavaCodec): Promise<void> {
  const cache = join(ROOT, '.stack', 'cache');
  const kafkaHome = readdirSync(cache).find((d) => /^kafka-\d/.test(d));
  if (!kafkaHome) throw new Error(`no Kafka jars under ${cache}: bring the stack up first`);
  const child = spawn(
    'java',
    [
      '-cp',
      join(cache, kafkaHome, 'libs', '*'),
      'org.apache.kafka.tools.ConsoleProducer',
      '--bootstrap-server',
      brokers.join(','),
      '--topic',
      topic,
      '--compression-codec',
      codec,
      '--producer-property',
      'linger.ms=20',
    ],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(`${values.join('\n')}\n`);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`Java producer (${codec}) exited with ${code}: ${stderr.slice(-2000)}`);
}
