/**
 * `monasca-persister replay`: reads the dead-letter topic (`[dead_letter]`) and feeds the dead
 * letters back through the converter and into InfluxDB, as the persister would have written them:
 * after a fix is deployed (a converter that now reads them) or a cause is removed (a retention
 * policy widened, a conflicting series deleted). It prints what it stored and, one by one, what is
 * still dropped or refused.
 *
 * It reads every partition from `--from` (default: the start) up to the end as it was when the
 * replay began, in a consumer group of its own that commits nothing, so it can be run again at
 * will; dead letters stay in the topic. `--reason` picks the dead letters of one reason (empty,
 * not_utf8, not_json, invalid, refused); `--dry-run` converts without writing. A dead letter of a
 * topic no enabled pipeline reads is skipped.
 */
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import pino from 'pino';
import { enabledTopics, influxHttp } from './app.js';
import type { PersisterConfig, TopicConfig } from './config/index.js';
import { convertBatch, type MessageKind, type SourceMessage } from './convert/index.js';
import { refusedMessages } from './dead-letter.js';
import { ExitCode } from './exit-codes.js';
import { PointStore } from './influx/store.js';
import { kafkaLogCreator } from './kafka/consumer.js';
import { classifyKafkaError } from './kafka/errors.js';
import { clientSecurity } from './kafka/security.js';
import { DropLog } from './observe/drop-log.js';
import { faultOf, messageOf } from './ports/faults.js';

export interface ReplayOptions {
  /** The first offset read in each partition; default: each partition's start. */
  from?: bigint;
  /** Only dead letters of this reason. */
  reason?: string;
  dryRun: boolean;
}

/** Failures printed one by one; beyond, only counted. */
const LISTED = 100;
const PROGRESS_EVERY_MS = 2_000;

interface Failure {
  what: 'still dropped' | 'still refused';
  where: string;
  error: string;
}

function header(message: KafkaMessage, name: string): string | undefined {
  const h = message.headers?.[name];
  if (h === undefined) return undefined;
  return (Array.isArray(h) ? h[0] : h)?.toString();
}

function where(partition: number, message: KafkaMessage): string {
  const source = header(message, 'source_topic');
  return `dead letter ${partition}:${message.offset} (${source ?? '?'} partition ${header(message, 'source_partition') ?? '?'} offset ${header(message, 'source_offset') ?? '?'})`;
}

/** The brokers of the dead letters: [dead_letter] uri, or those of the first enabled topic. */
function deadLetterCluster(config: PersisterConfig): { brokers: string[]; topic: TopicConfig } {
  const topic = enabledTopics(config)[0]?.[1] ?? config.metrics;
  return { brokers: config.deadLetter.uri ?? topic.uri, topic };
}

export async function replay(config: PersisterConfig, options: ReplayOptions, out: (line: string) => void, progress: (line: string) => void): Promise<ExitCode> {
  const dlt = config.deadLetter.topic;
  const from = options.from ?? 0n;
  const { brokers, topic: clusterTopic } = deadLetterCluster(config);
  const log = pino({ level: 'warn' }, pino.destination(2));
  const kafka = new Kafka({
    clientId: `${clusterTopic.clientId}-replay`,
    brokers,
    ...clientSecurity(clusterTopic),
    logLevel: logLevel.ERROR,
    logCreator: kafkaLogCreator(log),
    retry: { retries: 2 },
  });
  const kinds = new Map<string, MessageKind>(enabledTopics(config).map(([kind, t]) => [t.topic, kind]));
  const routing = { databaseName: config.influxdb.databaseName, dbPerTenant: config.influxdb.dbPerTenant };
  const store = options.dryRun
    ? undefined
    : new PointStore(influxHttp(config), {
        pointsPerRequest: config.influxdb.batchSize,
        retentionHours: config.influxdb.defaultRetentionHours,
        log,
        drops: new DropLog(pino({ level: 'silent' })), // this tool reports each refusal itself
        traceRefusals: true,
      });

  // Where each partition's replay ends: the end of the log when it began.
  const admin = kafka.admin();
  let ends: Map<number, bigint>;
  let total = 0n;
  try {
    await admin.connect();
    if (!(await admin.listTopics()).includes(dlt)) {
      out(`dead-letter topic ${dlt} does not exist at ${brokers.join(',')}: nothing to replay`);
      return ExitCode.OK;
    }
    const offsets = await admin.fetchTopicOffsets(dlt);
    ends = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
    for (const o of offsets) {
      const first = BigInt(o.low) > from ? BigInt(o.low) : from;
      if (BigInt(o.high) > first) total += BigInt(o.high) - first;
    }
  } catch (err) {
    out(`Kafka ${brokers.join(',')}: ${classifyKafkaError(err, dlt).message}`);
    return ExitCode.UNAVAILABLE;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  out(
    `replaying dead-letter topic ${dlt} at ${brokers.join(',')}: ${ends.size} partition(s), from ${options.from === undefined ? 'the start' : `offset ${options.from}`} to the end: ${total} dead letters` +
      `${options.reason ? `, reason ${options.reason}` : ''}${options.dryRun ? ', dry run: nothing is written' : ''}`,
  );

  const counts = { read: 0, selected: 0, stored: 0, dropped: 0, refused: 0, otherReason: 0, unknownTopic: 0 };
  const failures: Failure[] = [];
  const fail = (f: Failure) => {
    if (failures.length < LISTED) failures.push(f);
  };

  /** One fetched batch of dead letters: those chosen, converted, written; what fails, noted. */
  const replayBatch = async (partition: number, messages: readonly KafkaMessage[]) => {
    const byKind = new Map<MessageKind, { source: SourceMessage; letter: KafkaMessage }[]>();
    for (const m of messages) {
      counts.read++;
      if (options.reason !== undefined && header(m, 'reason') !== options.reason) {
        counts.otherReason++;
        continue;
      }
      const kind = kinds.get(header(m, 'source_topic') ?? '');
      if (kind === undefined) {
        counts.unknownTopic++;
        continue;
      }
      counts.selected++;
      let list = byKind.get(kind);
      if (list === undefined) byKind.set(kind, (list = []));
      list.push({ source: { offset: m.offset, value: m.value, key: m.key }, letter: m });
    }
    for (const [kind, chosen] of byKind) {
      const letters = new Map(chosen.map((c) => [c.source, c.letter]));
      const converted = convertBatch(kind, { partition, messages: chosen.map((c) => c.source) }, routing, true);
      for (const d of converted.drops) fail({ what: 'still dropped', where: where(partition, letters.get(d.message)!), error: `${d.kind}: ${d.reason}` });
      counts.dropped += converted.drops.length;
      if (store === undefined) {
        counts.stored += chosen.length - converted.drops.length; // would be written
        continue;
      }
      const report = await store.store(new Map([...converted.lines].map(([db, block]) => [db, [block]])));
      for (const r of refusedMessages([converted], report.refusals)) fail({ what: 'still refused', where: where(partition, letters.get(r.message)!), error: r.error });
      counts.stored += report.stored;
      counts.refused += report.refused;
    }
  };

  const done = new Set([...ends].filter(([, end]) => from >= end).map(([p]) => p));
  // Per partition, the next offset to replay: a batch fetched before the seek to --from took
  // effect, or fetched again, is never replayed twice.
  const next = new Map([...ends.keys()].map((p) => [p, from]));
  const consumer = kafka.consumer({ groupId: `monasca-persister-replay-${process.pid}-${Date.now()}`, maxWaitTimeInMs: 500 });
  let lastProgress = Date.now();
  let failed: unknown;
  try {
    if (done.size < ends.size) {
      await consumer.connect();
      await consumer.subscribe({ topic: dlt, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        consumer.on(consumer.events.CRASH, ({ payload }) => reject(classifyKafkaError(payload.error, dlt)));
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch, heartbeat }) => {
              const end = ends.get(batch.partition) ?? 0n;
              const first = next.get(batch.partition) ?? end;
              if (failed !== undefined || done.has(batch.partition)) return;
              const chosen = batch.messages.filter((m) => BigInt(m.offset) >= first && BigInt(m.offset) < end);
              try {
                await replayBatch(batch.partition, chosen);
              } catch (err) {
                failed = err;
                reject(err);
                return;
              }
              await heartbeat();
              const last = chosen.at(-1);
              if (last !== undefined) next.set(batch.partition, BigInt(last.offset) + 1n);
              if ((next.get(batch.partition) ?? end) >= end) done.add(batch.partition);
              if (Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
                lastProgress = Date.now();
                progress(`replay: ${counts.read} of ${total} dead letters read, ${counts.stored} stored`);
              }
              if (done.size === ends.size) resolve();
            },
          })
          .then(() => {
            if (options.from !== undefined) for (const p of ends.keys()) if (!done.has(p)) consumer.seek({ topic: dlt, partition: p, offset: options.from.toString() });
          }, (err: unknown) => reject(classifyKafkaError(err, dlt)));
      });
    }
  } catch (err) {
    failed = faultOf(err) === undefined ? classifyKafkaError(err, dlt) : err;
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }

  for (const f of failures) out(`${f.what}: ${f.where}: ${f.error}`);
  const unlisted = counts.dropped + counts.refused - failures.length;
  if (unlisted > 0) out(`... and ${unlisted} more not listed`);
  const skipped = [
    counts.otherReason > 0 ? `${counts.otherReason} of another reason` : '',
    counts.unknownTopic > 0 ? `${counts.unknownTopic} of a topic no enabled pipeline reads` : '',
  ].filter(Boolean);
  out(
    `read ${counts.read}, replayed ${counts.selected}${skipped.length > 0 ? ` (skipped: ${skipped.join(', ')})` : ''}: ` +
      `${options.dryRun ? 'would store' : 'stored'} ${counts.stored}, still dropped ${counts.dropped}${options.dryRun ? '' : `, still refused ${counts.refused}`}`,
  );
  if (failed !== undefined) {
    const fault = faultOf(failed);
    out(`replay stopped: ${messageOf(failed)}; what is above was done, run it again to go on (writing a point again is harmless)`);
    return fault === undefined ? ExitCode.SOFTWARE : fault === 'configuration' ? ExitCode.CONFIG : ExitCode.UNAVAILABLE;
  }
  return counts.dropped + counts.refused > 0 ? ExitCode.DATA : ExitCode.OK;
}
