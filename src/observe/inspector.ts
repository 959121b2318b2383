/**
 * The live view of the actors (`[monitoring] inspector = true`, served at /inspector): what XState's
 * inspection API tells of every actor, reduced to plain data and streamed to the page.
 *
 * InspectionRecorder runs in each thread that runs actors: it keeps the latest snapshot of each
 * actor and a sample of the events between them; take() turns what changed into plain data (state
 * value, status, a short summary of the context). The main thread's InspectorHub gathers its own
 * recorder's batches and those the pipelines' worker threads send, keeps the current view, and
 * sends the changes to each connected page every UPDATE_MS over server-sent events.
 *
 * The cost under load is bounded: per inspection event a few property reads (and, for at most
 * EVENTS_PER_UPDATE events per update, a small object); summaries are made once per update and
 * actor, and nothing is recorded beyond the latest snapshots while no page is connected.
 */
import type { ServerResponse } from 'node:http';
import type { AnyActorRef, InspectionEvent } from 'xstate';
import { MACHINES, type StateTree, stateTree } from '../diagram.js';

/** How often changes are sent to the pages. */
export const UPDATE_MS = 250;
/** Events kept per update and thread; the rest are counted. */
export const EVENTS_PER_UPDATE = 40;
/** Events a page gets when it connects (the most recent). */
const EVENT_HISTORY = 300;

export interface ActorView {
  /** Unique in the process: `<thread>:<session id>`. */
  key: string;
  parent?: string;
  /** The actor's id (supervisor, metrics-0, consumer, writer, storeBatch...). */
  name: string;
  /** The machine's id, for a state machine actor. */
  machine?: string;
  /** The machine's state value. */
  value?: unknown;
  /** active, done, error or stopped. */
  status: string;
  /** Numbers, flags and short texts of its context; lists by their length. */
  summary: Record<string, string | number | boolean>;
  thread: number;
}

export interface EventView {
  at: number;
  /** The actor that received it (its key) and its name. */
  actor: string;
  name: string;
  /** The sending actor's name, when an actor sent it. */
  source?: string;
  type: string;
}

export interface InspectorBatch {
  actors: ActorView[];
  events: EventView[];
  /** Events not kept since the last batch. */
  dropped: number;
}

const SECRET = /pass|secret|token|credential|sasl/i;
const MAX_TEXT = 80;

/** A short, redacted summary of an actor's context: no objects, no secrets, no long texts. */
export function summarize(context: unknown): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  if (context === null || typeof context !== 'object') return out;
  for (const [k, v] of Object.entries(context as Record<string, unknown>)) {
    if (SECRET.test(k)) continue;
    if (typeof v === 'number' || typeof v === 'boolean') out[k] = v;
    else if (typeof v === 'string') out[k] = v.length > MAX_TEXT ? `${v.slice(0, MAX_TEXT)}...` : v;
    else if (Array.isArray(v)) out[k] = `${v.length} item${v.length === 1 ? '' : 's'}`;
    else if (v instanceof Error) out[k] = `${v.name}: ${v.message}`.slice(0, MAX_TEXT);
    else if (v !== null && typeof v === 'object' && typeof (v as { messageCount?: unknown }).messageCount === 'number') out[k] = `${(v as { messageCount: number }).messageCount} messages`;
  }
  return out;
}

function machineOf(ref: AnyActorRef): string | undefined {
  const logic = (ref as { logic?: { root?: unknown; id?: unknown } }).logic;
  return logic?.root !== undefined && typeof logic.id === 'string' ? logic.id : undefined;
}

export class InspectionRecorder {
  private readonly refs = new Map<string, AnyActorRef>();
  private readonly snapshots = new Map<string, unknown>();
  private readonly changed = new Set<string>();
  private events: EventView[] = [];
  private dropped = 0;
  /** Record events (a page is connected). */
  watching = false;

  constructor(readonly thread: number) {}

  private key(ref: AnyActorRef): string {
    return `${this.thread}:${ref.sessionId}`;
  }

  handle(event: InspectionEvent): void {
    const ref = event.actorRef as AnyActorRef;
    switch (event.type) {
      case '@xstate.actor':
        this.refs.set(this.key(ref), ref);
        this.changed.add(this.key(ref));
        return;
      case '@xstate.snapshot':
        this.snapshots.set(this.key(ref), event.snapshot);
        this.changed.add(this.key(ref));
        return;
      case '@xstate.event': {
        if (!this.watching) return;
        if (this.events.length >= EVENTS_PER_UPDATE) {
          this.dropped++;
          return;
        }
        const type = (event.event as { type?: unknown }).type;
        this.events.push({ at: Date.now(), actor: this.key(ref), name: ref.id, source: (event.sourceRef as AnyActorRef | undefined)?.id, type: String(type) });
        return;
      }
      default:
    }
  }

  /** What changed since the last call; actors that ended are sent once more, then forgotten. */
  take(): InspectorBatch {
    const actors: ActorView[] = [];
    for (const key of this.changed) {
      const ref = this.refs.get(key);
      if (ref === undefined) continue;
      const snapshot = (this.snapshots.get(key) ?? ref.getSnapshot()) as { value?: unknown; status?: string; context?: unknown };
      const parent = (ref as { _parent?: AnyActorRef })._parent;
      actors.push({
        key,
        parent: parent ? this.key(parent) : undefined,
        name: ref.id,
        machine: machineOf(ref),
        value: snapshot?.value,
        status: snapshot?.status ?? 'active',
        summary: summarize(snapshot?.context),
        thread: this.thread,
      });
      if (snapshot?.status !== undefined && snapshot.status !== 'active') {
        this.refs.delete(key);
        this.snapshots.delete(key);
      }
    }
    this.changed.clear();
    const batch = { actors, events: this.events, dropped: this.dropped };
    this.events = [];
    this.dropped = 0;
    return batch;
  }
}

/** The main thread's view: its recorder's and the threads' batches, streamed to pages. */
export class InspectorHub {
  private readonly actors = new Map<string, ActorView>();
  private readonly history: EventView[] = [];
  private pending: InspectorBatch = { actors: [], events: [], dropped: 0 };
  private readonly pages = new Set<ServerResponse>();
  private readonly timer: NodeJS.Timeout;
  private readonly watchers: ((watching: boolean) => void)[] = [];
  private readonly machines: Record<string, StateTree> = Object.fromEntries(Object.entries(MACHINES).map(([id, m]) => [id, stateTree(m)]));

  constructor(readonly local: InspectionRecorder) {
    this.timer = setInterval(() => this.update(), UPDATE_MS);
    this.timer.unref();
  }

  /** A batch from a pipeline's worker thread. */
  add(batch: InspectorBatch): void {
    this.pending.actors.push(...batch.actors);
    this.pending.events.push(...batch.events);
    this.pending.dropped += batch.dropped;
  }

  /** Told when the first page connects and when the last one leaves (threads record events only then). */
  onWatching(listener: (watching: boolean) => void): void {
    this.watchers.push(listener);
  }

  /** A page's event stream (GET /inspector/events). */
  attach(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    this.update();
    res.write(`event: hello\ndata: ${JSON.stringify({ machines: this.machines, actors: [...this.actors.values()], events: this.history, updateMs: UPDATE_MS })}\n\n`);
    this.pages.add(res);
    if (this.pages.size === 1) this.setWatching(true);
    res.on('close', () => {
      this.pages.delete(res);
      if (this.pages.size === 0) this.setWatching(false);
    });
  }

  close(): void {
    clearInterval(this.timer);
    for (const p of this.pages) p.end();
  }

  private setWatching(watching: boolean): void {
    this.local.watching = watching;
    for (const w of this.watchers) w(watching);
  }

  private update(): void {
    const local = this.local.take();
    const actors = [...this.pending.actors, ...local.actors];
    const events = [...this.pending.events, ...local.events].sort((a, b) => a.at - b.at);
    const dropped = this.pending.dropped + local.dropped;
    this.pending = { actors: [], events: [], dropped: 0 };
    for (const a of actors) {
      if (a.status === 'active') this.actors.set(a.key, a);
      else this.actors.delete(a.key);
    }
    this.history.push(...events);
    if (this.history.length > EVENT_HISTORY) this.history.splice(0, this.history.length - EVENT_HISTORY);
    if (this.pages.size === 0 || (actors.length === 0 && events.length === 0 && dropped === 0)) return;
    const message = `event: update\ndata: ${JSON.stringify({ actors, events, dropped })}\n\n`;
    for (const p of this.pages) p.write(message);
  }
}
