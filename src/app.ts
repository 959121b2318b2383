/** Wires the configuration to the supervisor: one pipeline per enabled topic and processor. */
import { readFileSync } from 'node:fs';
import { createActor } from 'xstate';
import type { PipelineInput } from '../actors/pipeline.js';
import { type PipelineRef, type SupervisionSettings, supervisorMachine } from '../actors/supervisor.js';
import type { PipelinePlace } from '../actors/threaded.js';
import type { PersisterConfig, SupervisorConfig, TopicConfig } from './config/index.js';
import type { MessageKind } from './convert/index.js';
import { DeadLetterOffice, deadLetterBrokers } from './dead-letter.js';
import { ExitCode } from './exit-codes.js';
import { InfluxHttp, influxUrl } from './influx/client.js';
import { PointStore } from './influx/store.js';
import { KafkaTopicConsumer } from './kafka/consumer.js';
import { KafkaDeadLetters } from './kafka/dead-letters.js';
import { clientSecurity } from './kafka/security.js';
import type { Logger, LogOptions } from './observe/log.js';
import { DropLog } from './observe/drop-log.js';
import { InspectionRecorder, InspectorHub } from './observe/inspector.js';
import { Monitor } from './observe/monitor.js';
import { type MonitoringEndpoint, startMonitoring } from './observe/server.js';
import { notifySystemd } from './observe/systemd.js';
import { TopicStats } from './observe/stats.js';
import { secondsToMs } from './units.js';
import { persisterVersion } from './version.js';

const PROGRESS_EVERY_MS = 30_000;
/** A consumer reports Kafka contact at most this often. */
const CONTACT_EVERY_MS = 1_000;

export function enabledTopics(config: PersisterConfig): [MessageKind, TopicConfig][] {
  const topics: [MessageKind, TopicConfig][] = [
    ['metrics', config.metrics],
    ['alarms', config.alarmHistory],
  ];
  return topics.filter(([, t]) => t.enabled);
}

export function supervisionSettings(s: SupervisorConfig): SupervisionSettings {
  return {
    maxRestarts: s.maxRestarts,
    restartPeriodMs: secondsToMs(s.restartPeriodSeconds),
    kafkaLossGraceMs: secondsToMs(s.kafkaLossGraceSeconds),
    stopTimeoutMs: secondsToMs(s.stopTimeoutSeconds),
  };
}

/** The InfluxDB client of the configuration (one per thread: its connections are pooled). */
export function influxHttp(config: PersisterConfig): InfluxHttp {
  const { influxdb } = config;
  return new InfluxHttp({
    url: influxUrl(influxdb),
    user: influxdb.user,
    password: influxdb.password,
    verifySsl: influxdb.verifySsl,
    ca: influxdb.sslCaFile ? readFileSync(influxdb.sslCaFile) : undefined,
    gzip: influxdb.gzip,
  });
}

const pipelineId = (place: PipelinePlace) => `${place.kind}-${place.index}`;

/** Every pipeline of the configuration: each enabled topic times its `num_processors`. */
function pipelinePlaces(config: PersisterConfig): PipelinePlace[] {
  return enabledTopics(config).flatMap(([kind, topic]) => Array.from({ length: topic.numProcessors }, (_, index) => ({ kind, index })));
}

export function topicOf(config: PersisterConfig, kind: MessageKind): TopicConfig {
  return kind === 'metrics' ? config.metrics : config.alarmHistory;
}

/** Everything one pipeline needs, built from the configuration (in the thread that runs it). */
export function pipelineInput(config: PersisterConfig, place: PipelinePlace, http: InfluxHttp, log: Logger, stats: TopicStats): PipelineInput {
  const { influxdb, supervisor } = config;
  const topic = topicOf(config, place.kind);
  const id = pipelineId(place);
  const plog = log.child({ actor: id, topic: topic.topic });
  const security = clientSecurity(topic);
  const drops = new DropLog(plog);
  const { deadLetter } = config;
  const deadLetters = deadLetter.enabled
    ? new DeadLetterOffice(
        new KafkaDeadLetters({ brokers: deadLetterBrokers(deadLetter, topic), security, clientId: topic.clientId, topic: deadLetter.topic, log: plog }),
        topic.topic,
        persisterVersion(),
      )
    : undefined;
  return {
    id,
    topic: topic.topic,
    consumer: {
      connect: () =>
        new KafkaTopicConsumer({
          brokers: topic.uri,
          security,
          clientId: topic.clientId,
          groupId: topic.groupId,
          topic: topic.topic,
          log: plog,
        }),
      // One batch being written and one being gathered; fetching waits beyond that.
      maxInFlight: 2 * Math.max(topic.batchSize, 1000),
      contactEveryMs: CONTACT_EVERY_MS,
    },
    converter: { kind: place.kind, routing: { databaseName: influxdb.databaseName, dbPerTenant: influxdb.dbPerTenant }, drops, keepOrigins: deadLetters !== undefined },
    writer: {
      store: new PointStore(http, {
        pointsPerRequest: influxdb.batchSize,
        retentionHours: influxdb.defaultRetentionHours,
        log: plog,
        drops,
        traceRefusals: deadLetters !== undefined,
      }),
      batchSize: topic.batchSize,
      maxWaitMs: secondsToMs(topic.maxWaitTimeSeconds),
      retry: {
        attempts: supervisor.writeAttempts,
        initialMs: secondsToMs(supervisor.writeRetryInitialSeconds),
        maxMs: secondsToMs(supervisor.writeRetryMaxSeconds),
      },
      deadLetters,
    },
    restart: {
      initialMs: secondsToMs(supervisor.restartInitialDelaySeconds),
      maxMs: secondsToMs(supervisor.restartMaxDelaySeconds),
      healthyAfterMs: secondsToMs(supervisor.healthyAfterSeconds),
    },
    log: plog,
    stats,
  };
}

/** The longest the dead-letter producer of an ended pipeline may take to disconnect. */
const CLOSE_LIMIT_MS = 5_000;

/** A pipeline ended: the drops not logged one by one since the last summary, and its dead-letter producer disconnected. */
export async function closePipeline(input: PipelineInput): Promise<void> {
  input.converter.drops.close();
  const closing = input.writer.deadLetters?.close();
  if (closing === undefined) return;
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_LIMIT_MS)));
  await Promise.race([closing.catch((err: unknown) => input.log.warn({ err }, 'closing the dead-letter producer failed')), limit]);
  clearTimeout(timer);
}

/** Whether the pipelines run on worker threads (`[supervisor] pipeline_threads`; auto: when there are several). */
function usesThreads(config: PersisterConfig): boolean {
  const setting = config.supervisor.pipelineThreads;
  return setting === 'auto' ? pipelinePlaces(config).length > 1 : setting;
}

/**
 * Runs until SIGTERM/SIGINT (graceful: flush, commit, exit 0; a second signal exits at once) or
 * an escalation by the supervisor; resolves with the exit status.
 */
export function runDaemon(config: PersisterConfig, log: Logger, logOptions: LogOptions): Promise<ExitCode> {
  const stats = new Map(enabledTopics(config).map(([kind, topic]) => [kind, new TopicStats(topic.topic)]));
  const places = pipelinePlaces(config);
  const threads = usesThreads(config);
  const { enabled, inspector: inspecting } = config.monitoring;
  const inspector = enabled && inspecting ? new InspectorHub(new InspectionRecorder(0)) : undefined;
  let pipelines: PipelineRef[];
  if (threads) {
    pipelines = places.map((place) => ({ id: pipelineId(place), topic: topicOf(config, place.kind).topic, place, config, log: logOptions, stats: stats.get(place.kind)!, inspector }));
  } else {
    const http = influxHttp(config);
    pipelines = places.map((place) => pipelineInput(config, place, http, log, stats.get(place.kind)!));
  }
  if (config.influxdb.ssl && !config.influxdb.verifySsl) log.warn({ url: influxUrl(config.influxdb) }, 'InfluxDB certificate not verified (verify_ssl = false)');
  const monitor = new Monitor([...stats.values()], pipelines.map((p) => p.id));
  const actor = createActor(supervisorMachine, {
    id: 'supervisor',
    input: { pipelines, threads, settings: supervisionSettings(config.supervisor), log },
    inspect: inspector
      ? (event) => {
          monitor.inspect(event);
          inspector.local.handle(event);
        }
      : (event) => monitor.inspect(event),
  });
  const endpoint: Promise<MonitoringEndpoint | undefined> = enabled ? startMonitoring(config.monitoring, monitor, log, inspector) : Promise.resolve(undefined);
  const systemd = notifySystemd(monitor, log);
  const logProgress = (msg: string) => {
    for (const s of stats.values()) log.info(s.snapshot(), msg);
  };
  const progress = setInterval(() => logProgress('progress'), PROGRESS_EVERY_MS);
  progress.unref();

  return new Promise<ExitCode>((resolve) => {
    let stopRequested = false;
    let finished = false;
    const finish = (code: ExitCode) => {
      if (finished) return;
      finished = true;
      clearInterval(progress);
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      // (threads close theirs when they end; a second signal does not wait)
      const closing = threads || code === ExitCode.INTERRUPTED ? [] : (pipelines as PipelineInput[]).map(closePipeline);
      logProgress('final counts');
      systemd?.close();
      void Promise.all([...closing, endpoint.then((e) => e?.close())]).finally(() => resolve(code));
    };
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopRequested) {
        log.warn({ signal }, 'second signal: exiting now without flushing (nothing unstored was committed)');
        finish(ExitCode.INTERRUPTED);
        return;
      }
      stopRequested = true;
      log.info({ signal }, 'signal received');
      actor.send({ type: 'STOP' });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    let state = '';
    actor.subscribe({
      next: (snapshot) => {
        const value = JSON.stringify(snapshot.value);
        if (value !== state) {
          state = value;
          log.info({ actor: 'supervisor', state: snapshot.value }, 'supervisor state');
        }
      },
      complete: () => {
        const { exitCode, reason } = actor.getSnapshot().output!;
        if (exitCode === ExitCode.OK) log.info({ exitCode }, 'stopped');
        else log.error({ exitCode, reason }, 'exiting');
        finish(exitCode);
      },
      error: (err) => {
        log.error({ err }, 'supervisor failed');
        finish(ExitCode.SOFTWARE);
      },
    });
    actor.start();
    log.info({ pipelines: pipelines.map((p) => p.id), threads }, 'started');
  });
}
