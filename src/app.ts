/** Wires the configuration to the supervisor: one pipeline per enabled topic and processor. */
import { readFileSync } from 'node:fs';
import { createActor } from 'xstate';
import type { PipelineInput, RestartPolicy } from '../actors/pipeline.js';
import { type SupervisionSettings, supervisorMachine } from '../actors/supervisor.js';
import type { PersisterConfig, SupervisorConfig, TopicConfig } from './config/index.js';
import type { MessageKind } from './convert/index.js';
import { ExitCode } from './exit-codes.js';
import { InfluxHttp, influxUrl } from './influx/client.js';
import { PointStore } from './influx/store.js';
import { KafkaTopicConsumer } from './kafka/consumer.js';
import { clientSecurity } from './kafka/security.js';
import type { Logger } from './observe/log.js';
import { TopicStats } from './observe/stats.js';
import { secondsToMs } from './units.js';

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

export function pipelineInputs(config: PersisterConfig, log: Logger): { pipelines: PipelineInput[]; stats: TopicStats[] } {
  const { influxdb, supervisor } = config;
  const http = new InfluxHttp({
    url: influxUrl(influxdb),
    user: influxdb.user,
    password: influxdb.password,
    verifySsl: influxdb.verifySsl,
    ca: influxdb.sslCaFile ? readFileSync(influxdb.sslCaFile) : undefined,
    gzip: influxdb.gzip,
  });
  if (influxdb.ssl && !influxdb.verifySsl) log.warn({ url: http.connection.url }, 'InfluxDB certificate not verified (verify_ssl = false)');
  const restart: RestartPolicy = {
    initialMs: secondsToMs(supervisor.restartInitialDelaySeconds),
    maxMs: secondsToMs(supervisor.restartMaxDelaySeconds),
    healthyAfterMs: secondsToMs(supervisor.healthyAfterSeconds),
  };
  const pipelines: PipelineInput[] = [];
  const stats: TopicStats[] = [];
  for (const [kind, topic] of enabledTopics(config)) {
    const topicStats = new TopicStats(topic.topic);
    const security = clientSecurity(topic);
    stats.push(topicStats);
    for (let i = 0; i < topic.numProcessors; i++) {
      const id = `${kind}-${i}`;
      const plog = log.child({ actor: id, topic: topic.topic });
      pipelines.push({
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
        converter: { kind, routing: { databaseName: influxdb.databaseName, dbPerTenant: influxdb.dbPerTenant } },
        writer: {
          store: new PointStore(http, {
            pointsPerRequest: influxdb.batchSize,
            retentionHours: influxdb.defaultRetentionHours,
            log: plog,
          }),
          batchSize: topic.batchSize,
          maxWaitMs: secondsToMs(topic.maxWaitTimeSeconds),
          retry: {
            attempts: supervisor.writeAttempts,
            initialMs: secondsToMs(supervisor.writeRetryInitialSeconds),
            maxMs: secondsToMs(supervisor.writeRetryMaxSeconds),
          },
        },
        restart,
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
    log.info({ pipelines: pipelines.map((p) => p.id) }, 'started');
  });
}
