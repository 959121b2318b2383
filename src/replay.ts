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
import type { KafkaMessage } from 'kafkajs';
import pino from 'pino';
import { enabledTopics, influxHttp } from './app.js';
import type { PersisterConfig, TopicConfig } from './config/index.js';
import { convertBatch, type MessageKind, type Routing, type SourceMessage } from './convert/index.js';
import { deadLetterClusters, refusedMessages } from './dead-letter.js';
import { ExitCode } from './exit-codes.js';
import { PointStore } from './influx/store.js';
import { WriteBuffer } from './write-buffer.js';
import { kafkaClient } from './kafka/client.js';
import { classifyKafkaError } from './kafka/errors.js';
import { clientSecurity } from './kafka/security.js';
import { DropLog } from './observe/drop-log.js';
import { Fault, faultOf, messageOf } from './ports/faults.js';

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

interface Counts {
  read: number;
  selected: number;
  stored: number;
  dropped: number;
  refused: number;
  otherReason: number;
  unknownTopic: number;
}

/** What replaying one cluster needs, and what it adds to. */
interface Replay {
  /** The dead-letter topic. */
  topic: string;
  options: ReplayOptions;
  kinds: ReadonlyMap<string, MessageKind>;
  routing: Routing;
  store?: PointStore;
  counts: Counts;
  failures: Failure[];
  out: (line: string) => void;
  progress: (line: string) => void;
}

/** One fetched batch of dead letters: those chosen, converted, written; what fails, noted. */
async function replayBatch(r: Replay, partition: number, messages: readonly KafkaMessage[]): Promise<void> {
  const { options, counts } = r;
  const byKind = new Map<MessageKind, { source: SourceMessage; letter: KafkaMessage }[]>();
  for (const m of messages) {
    counts.read++;
    if (options.reason !== undefined && header(m, 'reason') !== options.reason) {
      counts.otherReason++;
      continue;
    }
    const kind = r.kinds.get(header(m, 'source_topic') ?? '');
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
    const converted = convertBatch(kind, { partition, messages: chosen.map((c) => c.source) }, r.routing, true);
    for (const d of converted.drops) fail(r, { what: 'still dropped', where: where(partition, letters.get(d.message)!), error: `${d.kind}: ${d.reason}` });
    counts.dropped += converted.drops.length;
    if (r.store === undefined) {
      counts.stored += chosen.length - converted.drops.length; // would be written
      continue;
    }
    const report = await r.store.store(new WriteBuffer([converted]).lines);
    for (const x of refusedMessages([converted], report.refusals)) fail(r, { what: 'still refused', where: where(partition, letters.get(x.message)!), error: x.error });
    counts.stored += report.stored;
    counts.refused += report.refused;
  }
}

function fail(r: Replay, f: Failure): void {
  if (r.failures.length < LISTED) r.failures.push(f);
}

/** The dead letters of one cluster, from --from to the end of each partition as it is now. */
async function replayCluster(r: Replay, brokers: string[], settings: TopicConfig): Promise<void> {
  const { options, counts } = r;
  const dlt = r.topic;
  const from = options.from ?? 0n;
  // Not logged: what stops the replay is said in its last line.
  const kafka = kafkaClient({ brokers, security: clientSecurity(settings), clientId: `${settings.clientId}-replay`, tuning: { retry: { retries: 2 } } });
  // Kafka's errors are classified where they happen; any other stays as it is (a defect: exit 70).
  const classified = (err: unknown) => classifyKafkaError(err, dlt);

  // Where each partition's replay ends: the end of the log when it began.
  const admin = kafka.admin();
  let ends: Map<number, bigint>;
  let total = 0n;
  try {
    await admin.connect();
    // Listed first: asking for the offsets of a missing topic may create it.
    if (!(await admin.listTopics()).includes(dlt)) {
      r.out(`dead-letter topic ${dlt} does not exist at ${brokers.join(',')}: nothing to replay there`);
      return;
    }
    const offsets = await admin.fetchTopicOffsets(dlt);
    ends = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
    for (const o of offsets) {
      const first = BigInt(o.low) > from ? BigInt(o.low) : from;
      if (BigInt(o.high) > first) total += BigInt(o.high) - first;
    }
  } catch (err) {
    throw classified(err);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  r.out(
    `replaying dead-letter topic ${dlt} at ${brokers.join(',')}: ${ends.size} partition(s), from ${options.from === undefined ? 'the start' : `offset ${options.from}`} to the end: ${total} dead letters` +
      `${options.reason ? `, reason ${options.reason}` : ''}${options.dryRun ? ', dry run: nothing is written' : ''}`,
  );
  const done = new Set([...ends].filter(([, end]) => from >= end).map(([p]) => p));
  if (done.size === ends.size) return;
  // Per partition, the next offset to replay: a batch fetched before the seek to --from took
  // effect, or fetched again after a rebalance, is never replayed twice.
  const next = new Map([...ends.keys()].map((p) => [p, from]));
  const readBefore = counts.read;
  let lastProgress = Date.now();
  let stopped = false;
  const consumer = kafka.consumer({ groupId: `monasca-persister-replay-${process.pid}-${Date.now()}`, maxWaitTimeInMs: 500 });
  try {
    await consumer.connect().catch((err: unknown) => Promise.reject(classified(err)));
    await consumer.subscribe({ topic: dlt, fromBeginning: true }).catch((err: unknown) => Promise.reject(classified(err)));
    await new Promise<void>((resolve, reject) => {
      const stop = (err: unknown) => {
        stopped = true;
        reject(err);
      };
      consumer.on(consumer.events.CRASH, ({ payload }) => stop(classified(payload.error)));
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch, heartbeat }) => {
            const end = ends.get(batch.partition) ?? 0n;
            const first = next.get(batch.partition) ?? end;
            if (stopped || done.has(batch.partition)) return;
            const chosen = batch.messages.filter((m) => BigInt(m.offset) >= first && BigInt(m.offset) < end);
            try {
              await replayBatch(r, batch.partition, chosen);
            } catch (err) {
              stop(err);
              return;
            }
            const last = chosen.at(-1);
            if (last !== undefined) next.set(batch.partition, BigInt(last.offset) + 1n);
            if ((next.get(batch.partition) ?? end) >= end) done.add(batch.partition);
            if (done.size === ends.size) {
              resolve();
              return;
            }
            if (Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
              lastProgress = Date.now();
              r.progress(`replay: ${counts.read - readBefore} of ${total} dead letters read, ${counts.stored} stored`);
            }
            await heartbeat();
          },
        })
        .then(() => {
          if (options.from !== undefined) for (const p of ends.keys()) if (!done.has(p)) consumer.seek({ topic: dlt, partition: p, offset: from.toString() });
        }, (err: unknown) => stop(classified(err)));
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}

export async function replay(config: PersisterConfig, options: ReplayOptions, out: (line: string) => void, progress: (line: string) => void): Promise<ExitCode> {
  // What the store would log (a database created, a refusal) this tool reports itself, or it does not matter here.
  const log = pino({ level: 'silent' });
  const r: Replay = {
    topic: config.deadLetter.topic,
    options,
    kinds: new Map(enabledTopics(config).map(([kind, t]) => [t.topic, kind])),
    routing: { databaseName: config.influxdb.databaseName, dbPerTenant: config.influxdb.dbPerTenant },
    store: options.dryRun
      ? undefined
      : new PointStore(influxHttp(config), {
          pointsPerRequest: config.influxdb.batchSize,
          retentionHours: config.influxdb.defaultRetentionHours,
          log,
          drops: new DropLog(log),
          traceRefusals: true,
        }),
    counts: { read: 0, selected: 0, stored: 0, dropped: 0, refused: 0, otherReason: 0, unknownTopic: 0 },
    failures: [],
    out,
    progress,
  };
  let failed: unknown;
  try {
    for (const { brokers, settings } of deadLetterClusters(config.deadLetter, enabledTopics(config).map(([, t]) => t))) await replayCluster(r, brokers, settings);
  } catch (err) {
    failed = err;
  }

  const { counts, failures } = r;
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
    return fault === undefined ? ExitCode.SOFTWARE : fault === Fault.CONFIGURATION ? ExitCode.CONFIG : ExitCode.UNAVAILABLE;
  }
  return counts.dropped + counts.refused > 0 ? ExitCode.DATA : ExitCode.OK;
}
