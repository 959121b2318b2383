/**
 * What the monitoring endpoint tells (src/observe/server.ts): Prometheus metrics, liveness and
 * readiness. It reads the topics' stats (src/observe/stats.ts) when scraped, and follows the
 * supervisor through XState's inspection API: its state, and the reports its pipelines send it
 * (which cross threads when the pipelines run on worker threads, so both ways of running look alike).
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { InspectionEvent } from 'xstate';
import { DROPPED_FIELD, type TopicStats } from './stats.js';

const PREFIX = 'monasca_persister_';

/** The supervisor's states, as its snapshot names them (`stopping` has substates: the parent is named). */
export const SUPERVISOR_STATES = ['starting', 'running', 'degraded', 'stopping', 'stopped', 'failed'] as const;
export type SupervisorState = (typeof SUPERVISOR_STATES)[number];

/**
 * A pipeline as its reports to the supervisor tell it: `starting` until its consumer joined its
 * group, `running`, `writer_down` while its writer waits for a restart, `writer_halted` when it
 * will not be restarted, `drained` once stopping left nothing unstored, `ended` once it stopped.
 */
export const PIPELINE_STATES = ['starting', 'running', 'writer_down', 'writer_halted', 'drained', 'ended'] as const;
export type PipelineState = (typeof PIPELINE_STATES)[number];

/** What the reports of a pipeline said (its state is derived from them: stateOf). */
interface PipelineFacts {
  joined: boolean;
  writerDown: boolean;
  halted: boolean;
  drained: boolean;
  ended: boolean;
}

function stateOf(f: PipelineFacts): PipelineState {
  if (f.ended) return 'ended';
  if (f.drained) return 'drained';
  if (f.halted) return 'writer_halted';
  if (f.writerDown) return 'writer_down';
  return f.joined ? 'running' : 'starting';
}

/** Write durations, in seconds: from a few milliseconds (a small batch) to InfluxDB's 30 s timeout. */
const WRITE_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Messages per write: from a lone message (max_wait_time_seconds) to batch_size (20,000 by default) and beyond. */
const BATCH_MESSAGES_BUCKETS = [1, 10, 100, 500, 1000, 2000, 5000, 10000, 20000, 50000];

export interface Health {
  ok: boolean;
  body: Record<string, unknown>;
}

export class Monitor {
  readonly registry = new Registry();
  private supervisor: SupervisorState = 'starting';
  private readonly pipelines = new Map<string, PipelineFacts>();
  private readonly restarts: Counter<'pipeline'>;
  private readonly started = Date.now();
  private lastEvent = performance.now();
  private readonly stateListeners: ((state: SupervisorState, reason?: string) => void)[] = [];

  constructor(
    private readonly stats: readonly TopicStats[],
    pipelineIds: readonly string[],
  ) {
    for (const id of pipelineIds) this.pipelines.set(id, { joined: false, writerDown: false, halted: false, drained: false, ended: false });
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const all = () => this.stats;

    // Counters read from the stats when scraped: set to their totals (which only grow).
    const fromStats = (name: string, help: string, value: (s: TopicStats) => number) =>
      new Counter({
        name: PREFIX + name,
        help,
        labelNames: ['topic'],
        registers,
        collect() {
          this.reset();
          for (const s of all()) this.inc({ topic: s.topic }, value(s));
        },
      });
    fromStats('messages_consumed_total', 'Messages fetched from Kafka and converted.', (s) => s.fetched);
    fromStats('points_written_total', 'Points InfluxDB acknowledged.', (s) => s.stored);
    fromStats('dead_letters_total', 'Dropped or refused messages the dead-letter topic acknowledged ([dead_letter]).', (s) => s.deadLettered);
    fromStats('offsets_committed_total', 'Messages whose offsets were committed to Kafka (every one stored or dropped first).', (s) => s.committed);
    new Counter({
      name: `${PREFIX}messages_dropped_total`,
      help: 'Messages dropped, by reason: empty, not_utf8, not_json, invalid (JSON that cannot be stored), refused (by InfluxDB while it stored the rest of the batch).',
      labelNames: ['topic', 'reason'],
      registers,
      collect() {
        this.reset();
        for (const s of all()) {
          for (const [reason, field] of Object.entries(DROPPED_FIELD)) this.inc({ topic: s.topic, reason }, s[field]);
          this.inc({ topic: s.topic, reason: 'refused' }, s.refused);
        }
      },
    });
    new Gauge({
      name: `${PREFIX}consumer_lag`,
      help: 'Messages of a partition not yet committed: its high watermark at the last fetch minus the committed offset.',
      labelNames: ['topic', 'partition'],
      registers,
      collect() {
        this.reset();
        for (const s of all()) for (const { partition, messages } of s.lag()) this.set({ topic: s.topic, partition: String(partition) }, messages);
      },
    });
    const duration = new Histogram({
      name: `${PREFIX}write_duration_seconds`,
      help: 'Time to store one batch in InfluxDB: its successful attempt (all its requests), not the failed attempts before it.',
      labelNames: ['topic'],
      buckets: WRITE_SECONDS_BUCKETS,
      registers,
    });
    const batch = new Histogram({
      name: `${PREFIX}batch_messages`,
      help: 'Messages per batch stored in InfluxDB.',
      labelNames: ['topic'],
      buckets: BATCH_MESSAGES_BUCKETS,
      registers,
    });
    for (const s of stats) {
      s.onWrite((topic, write) => {
        duration.observe({ topic }, write.seconds);
        batch.observe({ topic }, write.messages);
      });
    }
    this.restarts = new Counter({ name: `${PREFIX}writer_restarts_total`, help: 'Writer restarts after a failure, per pipeline.', labelNames: ['pipeline'], registers });
    for (const id of pipelineIds) this.restarts.inc({ pipeline: id }, 0);
    const monitor = this;
    new Gauge({
      name: `${PREFIX}supervisor_state`,
      help: 'The supervisor state machine: 1 for its current state, 0 for the others.',
      labelNames: ['state'],
      registers,
      collect() {
        for (const state of SUPERVISOR_STATES) this.set({ state }, state === monitor.supervisor ? 1 : 0);
      },
    });
    new Gauge({
      name: `${PREFIX}pipeline_state`,
      help: 'Each pipeline, as its reports to the supervisor tell it: 1 for its current state, 0 for the others.',
      labelNames: ['pipeline', 'state'],
      registers,
      collect() {
        for (const [pipeline, current] of monitor.pipelineStates()) for (const state of PIPELINE_STATES) this.set({ pipeline, state }, state === current ? 1 : 0);
      },
    });
  }

  /**
   * An inspection event of the supervisor's actor system (createActor's `inspect`). Only the
   * supervisor's own snapshots and the events it receives are read: it is the system's root.
   */
  inspect(event: InspectionEvent): void {
    if (event.actorRef.sessionId !== event.rootId) return;
    if (event.type === '@xstate.snapshot') {
      const value = (event.snapshot as { value?: unknown }).value;
      const state = typeof value === 'string' ? value : value !== null && typeof value === 'object' ? Object.keys(value)[0] : undefined;
      if (SUPERVISOR_STATES.includes(state as SupervisorState) && state !== this.supervisor) {
        this.supervisor = state as SupervisorState;
        const reason = this.readiness().body.reason as string | undefined;
        for (const l of this.stateListeners) l(this.supervisor, state === 'running' ? undefined : reason);
      }
    } else if (event.type === '@xstate.event') {
      this.lastEvent = performance.now();
      this.report(event.event as { type: string; pipeline?: string });
    }
  }

  /** Called with each new state of the supervisor, and why it is not running when it is not. */
  onSupervisorState(listener: (state: SupervisorState, reason?: string) => void): void {
    this.stateListeners.push(listener);
  }

  /** When the supervisor last received an event (performance.now()). */
  lastSupervisorEvent(): number {
    return this.lastEvent;
  }

  /** A report a pipeline sent the supervisor, or the supervisor's notice of a pipeline's end. */
  report(event: { type: string; pipeline?: string }): void {
    const ended = /^xstate\.(done|error)\.actor\.(.+)$/.exec(event.type);
    const facts = this.pipelines.get(ended ? ended[2] : (event.pipeline ?? ''));
    if (facts === undefined) return;
    if (ended) facts.ended = true;
    else if (event.type === 'PIPELINE_READY') facts.joined = true;
    else if (event.type === 'WRITER_DOWN') facts.writerDown = true;
    else if (event.type === 'WRITER_RESTARTED') {
      facts.writerDown = false;
      this.restarts.inc({ pipeline: event.pipeline! });
    } else if (event.type === 'WRITER_HALTED') facts.halted = true;
    else if (event.type === 'PIPELINE_DRAINED') facts.drained = true;
  }

  pipelineStates(): [string, PipelineState][] {
    return [...this.pipelines].map(([id, facts]) => [id, stateOf(facts)]);
  }

  /** The event loop answers: this is called. */
  liveness(): Health {
    return { ok: true, body: { status: 'ok', supervisor: this.supervisor, uptimeSeconds: Math.round((Date.now() - this.started) / 1000) } };
  }

  /** Ready: every consumer joined its group and every writer is up (the supervisor is `running`). */
  readiness(): Health {
    const states = this.pipelineStates();
    const pipelines = Object.fromEntries(states);
    const ok = this.supervisor === 'running';
    const notReady = states.filter(([, s]) => s !== 'running').map(([id, s]) => `${id} is ${s.replace('_', ' ')}`);
    const reason = ok ? undefined : notReady.length > 0 ? notReady.join('; ') : `the supervisor is ${this.supervisor}`;
    return { ok, body: { status: ok ? 'ready' : 'not ready', ...(reason ? { reason } : {}), supervisor: this.supervisor, pipelines } };
  }

  async metrics(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}
