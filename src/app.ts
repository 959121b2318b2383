/** Wires the configuration to the supervisor: one pipeline per enabled topic and processor. */
import { createActor } from 'xstate';
import type { PipelineInput } from '../actors/pipeline.js';
import { type SupervisionSettings, supervisorMachine } from '../actors/supervisor.js';
import type { PersisterConfig, SupervisorConfig, TopicConfig } from './config/index.js';
import type { MessageKind } from './convert/index.js';
import { ExitCode } from './exit-codes.js';
import { InfluxHttp, influxUrl } from './influx/client.js';
import { PointStore } from './influx/store.js';
import { KafkaTopicConsumer } from './kafka/consumer.js';
import type { Logger } from './observe/log.js';
import { TopicStats } from './observe/stats.js';

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
  const ms = (seconds: number) => Math.round(seconds * 1000);
  return {
    restartInitialMs: ms(s.restartInitialDelaySeconds),
    restartMaxMs: ms(s.restartMaxDelaySeconds),
    healthyAfterMs: ms(s.healthyAfterSeconds),
    maxRestarts: s.maxRestarts,
    restartPeriodMs: ms(s.restartPeriodSeconds),
    kafkaLossGraceMs: ms(s.kafkaLossGraceSeconds),
    stopTimeoutMs: ms(s.stopTimeoutSeconds),
  };
}

export function pipelineInputs(config: PersisterConfig, log: Logger): { pipelines: PipelineInput[]; stats: TopicStats[] } {
  const { influxdb, supervisor } = config;
  const http = new InfluxHttp({
    url: influxUrl(influxdb),
    user: influxdb.user,
    password: influxdb.password,
    verifySsl: influxdb.verifySsl,
  });
  const pipelines: PipelineInput[] = [];
  const stats: TopicStats[] = [];
  for (const [kind, topic] of enabledTopics(config)) {
    const topicStats = new TopicStats(topic.topic);
    stats.push(topicStats);
    for (let i = 0; i < topic.numProcessors; i++) {
      const id = `${kind}-${i}`;
      const plog = log.child({ actor: id, topic: topic.topic });
      pipelines.push({
        id,
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
        store: new PointStore(http, {
          pointsPerRequest: influxdb.batchSize,
          retentionHours: influxdb.defaultRetentionHours,
          log: plog,
        }),
        batchSize: topic.batchSize,
        maxWaitMs: topic.maxWaitTimeSeconds * 1000,
        writeRetry: {
          attempts: supervisor.writeAttempts,
          initialMs: Math.round(supervisor.writeRetryInitialSeconds * 1000),
          maxMs: Math.round(supervisor.writeRetryMaxSeconds * 1000),
        },
        contactEveryMs: CONTACT_EVERY_MS,
        log: plog,
        stats: topicStats,
      });
    }
  }
  return { pipelines, stats };
}

/**
 * Runs until SIGTERM/SIGINT (graceful: flush, commit, exit 0; a second signal exits at once) or
 * an escalation by the supervisor; resolves with the exit status.
 */
export function runDaemon(config: PersisterConfig, log: Logger): Promise<ExitCode> {
  const { pipelines, stats } = pipelineInputs(config, log);
  const actor = createActor(supervisorMachine, {
    input: { pipelines, settings: supervisionSettings(config.supervisor), log },
  });
  const logProgress = (msg: string) => {
    for (const s of stats) log.info(s.snapshot(), msg);
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
        log.info({ exitCode, reason }, exitCode === ExitCode.OK ? 'stopped' : 'exiting');
        finish(exitCode);
      },
      error: (err) => {
        log.error({ err }, 'supervisor failed');
        finish(ExitCode.SOFTWARE);
      },
    });
    actor.start();
    log.info({ pipelines: pipelines.map((p) => p.id) }, 'started');
  });
}
