/** Wires the configuration to the supervisor: one pipeline per enabled topic and processor. */
import { createActor } from 'xstate';
import type { PipelineSpec } from '../actors/supervisor.js';
import { supervisorMachine } from '../actors/supervisor.js';
import type { PersisterConfig, TopicConfig } from './config/index.js';
import type { MessageKind } from './convert/index.js';
import { ExitCode } from './exit-codes.js';
import { InfluxHttp, influxUrl } from './influx/client.js';
import { PointStore } from './influx/store.js';
import { KafkaTopicConsumer } from './kafka/consumer.js';
import type { Logger } from './observe/log.js';
import { TopicStats } from './observe/stats.js';

/** How a write that keeps failing is retried before the writer gives up. */
export const WRITE_RETRY = Object.freeze({
  retries: Number.POSITIVE_INFINITY, // InfluxDB unavailable: keep trying; nothing is committed meanwhile
  minTimeoutMs: 500,
  maxTimeoutMs: 30_000,
});

const PROGRESS_EVERY_MS = 30_000;
/** The longest a graceful stop may take before the process exits anyway (below systemd's 90 s). */
export const STOP_TIMEOUT_MS = 60_000;

export function enabledTopics(config: PersisterConfig): [MessageKind, TopicConfig][] {
  const topics: [MessageKind, TopicConfig][] = [
    ['metrics', config.metrics],
    ['alarms', config.alarmHistory],
  ];
  return topics.filter(([, t]) => t.enabled);
}

export function pipelineSpecs(config: PersisterConfig, log: Logger): { specs: PipelineSpec[]; stats: TopicStats[] } {
  const { influxdb } = config;
  const http = new InfluxHttp({
    url: influxUrl(influxdb),
    user: influxdb.user,
    password: influxdb.password,
    verifySsl: influxdb.verifySsl,
  });
  const specs: PipelineSpec[] = [];
  const stats: TopicStats[] = [];
  for (const [kind, topic] of enabledTopics(config)) {
    const topicStats = new TopicStats(topic.topic);
    stats.push(topicStats);
    for (let i = 0; i < topic.numProcessors; i++) {
      const id = `${kind}-${i}`;
      const plog = log.child({ actor: id, topic: topic.topic });
      const store = new PointStore(http, {
        pointsPerRequest: influxdb.batchSize,
        retentionHours: influxdb.defaultRetentionHours,
        retry: WRITE_RETRY,
        log: plog,
      });
      specs.push({
        id,
        input: {
          kind,
          routing: { databaseName: influxdb.databaseName, dbPerTenant: influxdb.dbPerTenant },
          connect: () =>
            new KafkaTopicConsumer({
              brokers: topic.uri,
              clientId: topic.clientId,
              groupId: topic.groupId,
              topic: topic.topic,
              log: plog,
            }),
          store,
          batchSize: topic.batchSize,
          maxWaitMs: topic.maxWaitTimeSeconds * 1000,
          log: plog,
          stats: topicStats,
        },
      });
    }
  }
  return { specs, stats };
}

/** Runs until SIGTERM/SIGINT (graceful: flush, commit, exit 0) or a failure; resolves with the exit status. */
export function runDaemon(config: PersisterConfig, log: Logger): Promise<ExitCode> {
  const { specs, stats } = pipelineSpecs(config, log);
  const actor = createActor(supervisorMachine, { input: { pipelines: specs, log } });
  const logProgress = (msg: string) => {
    for (const s of stats) log.info(s.snapshot(), msg);
  };
  const progress = setInterval(() => logProgress('progress'), PROGRESS_EVERY_MS);
  progress.unref();

  return new Promise<ExitCode>((resolve) => {
    let stopRequested = false;
    let finished = false;
    let stopTimer: NodeJS.Timeout | undefined;
    const finish = (code: ExitCode) => {
      if (finished) return;
      finished = true;
      clearInterval(progress);
      clearTimeout(stopTimer);
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      logProgress('final counts');
      resolve(code);
    };
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopRequested) {
        log.warn({ signal }, 'second signal: exiting now without flushing (nothing unstored was committed)');
        finish(ExitCode.INTERRUPTED);
        return;
      }
      stopRequested = true;
      log.info({ signal }, 'stopping: no more fetching; flushing and committing what was fetched');
      actor.send({ type: 'STOP' });
      stopTimer = setTimeout(() => {
        log.error({ timeoutMs: STOP_TIMEOUT_MS }, 'graceful stop timed out; exiting (nothing unstored was committed)');
        finish(ExitCode.INFLUX_FAILED);
      }, STOP_TIMEOUT_MS).unref();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    actor.subscribe({
      complete: () => {
        const { exitCode, reason } = actor.getSnapshot().output!;
        log.info({ exitCode, reason }, exitCode === ExitCode.OK ? 'stopped' : 'exiting');
        finish(exitCode);
      },
      error: (err) => {
        log.error({ err }, 'supervisor failed');
        finish(ExitCode.SOFTWARE);
      },
    });
    actor.start();
    log.info({ pipelines: specs.map((s) => s.id) }, 'started');
  });
}
