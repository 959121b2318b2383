/** Fake Kafka and InfluxDB adapters for machine tests on a simulated clock (no I/O). */
import { type LineBlock, linesIn } from '../../src/convert/lines.js';
import { InfluxError, InfluxErrorCode } from '../../src/influx/errors.js';
import type { BatchHandler, FetchedMessage, KafkaConsumerPort, KafkaStatus, PartitionOffset } from '../../src/ports/kafka.js';
import type { BatchStore, StoreReport } from '../../src/ports/store.js';

/** Everything the fakes were asked to do, in order: the test reads the story from it. */
export type Journal = string[];

export class FakeKafka implements KafkaConsumerPort {
  handler?: BatchHandler;
  paused = false;
  /** Heartbeats of batches waiting to be handed on. */
  heartbeats = 0;
  readonly commits: PartitionOffset[][] = [];
  private crash: ((e: Error) => void)[] = [];
  private status: ((s: KafkaStatus) => void)[] = [];

  constructor(private readonly journal: Journal) {}

  async run(handler: BatchHandler): Promise<void> {
    this.handler = handler;
  }
  async commit(offsets: readonly PartitionOffset[]): Promise<void> {
    this.commits.push([...offsets]);
    this.journal.push(`commit ${offsets.map((o) => `${o.partition}:${o.offset}`).join(',')}`);
  }
  pause(): void {
    this.paused = true;
    this.journal.push('pause');
  }
  resume(): void {
    this.paused = false;
    this.journal.push('resume');
  }
  async disconnect(): Promise<void> {
    this.journal.push('disconnect');
  }
  onCrash(listener: (error: Error) => void): void {
    this.crash.push(listener);
  }
  onStatus(listener: (status: KafkaStatus) => void): void {
    this.status.push(listener);
  }
  /** The Kafka client gives up for good. */
  fail(error: Error): void {
    for (const l of this.crash) l(error);
  }
  emit(status: KafkaStatus): void {
    for (const l of this.status) l(status);
  }
  /** Hands a batch of `count` messages of partition `partition`, from `first` on, to the consumer. */
  deliver(partition: number, first: number, count: number): void {
    const messages: FetchedMessage[] = Array.from({ length: count }, (_, i) => ({
      offset: String(first + i),
      value: Buffer.from(
        JSON.stringify({
          metric: { name: 'm', dimensions: { p: String(partition) }, timestamp: 1000 + first + i, value: 1 },
          meta: { tenantId: 't', region: 'r' },
        }),
      ),
    }));
    void this.handler!({ topic: 'metrics', partition, messages }, async () => {
      this.heartbeats++;
    });
  }
}

/** A store that succeeds or fails (InfluxDB unreachable, or the error the test sets) as the test says. */
export class FakeStore implements BatchStore {
  failing = false;
  /** With `failing`: the error thrown (default: InfluxDB refusing connections). */
  error?: Error;
  /** Answers only once `answer()` is called (or the call is aborted): InfluxDB hanging. */
  hanging = false;
  private answers: (() => void)[] = [];
  calls = 0;
  stored = 0;
  constructor(private readonly journal: Journal) {}

  async store(lines: ReadonlyMap<string, readonly LineBlock[]>, signal?: AbortSignal): Promise<StoreReport> {
    this.calls++;
    const n = linesIn([...lines.values()].flat());
    if (this.hanging) {
      this.journal.push(`store hanging ${n}`);
      await new Promise<void>((resolve, reject) => {
        this.answers.push(resolve);
        signal?.addEventListener('abort', () => reject(signal.reason));
      });
    }
    if (this.failing) {
      this.journal.push(`store failed ${n}`);
      throw this.error ?? new InfluxError(InfluxErrorCode.UNREACHABLE, 'InfluxDB unreachable: ECONNREFUSED');
    }
    this.stored += n;
    this.journal.push(`store ${n}`);
    return { stored: n, refused: 0, refusals: [] };
  }

  /** The calls waiting while `hanging` go on (and succeed or fail as `failing` says then). */
  answer(): void {
    this.hanging = false;
    for (const a of this.answers.splice(0)) a();
  }
}
