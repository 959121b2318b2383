/**
 * The consumer actor: owns one Kafka consumer of a topic's group. It hands fetched batches on,
 * holds back fetching while `maxInFlight` messages are not yet stored (`backlogged`) or while its
 * writer is down (`paused`), and commits the offsets the writer reports as stored, in order.
 * STOP_FETCHING: it stops fetching (`draining`) and reports CONSUMER_DRAINED once every handed-off
 * message is stored and committed (`drained`); DISCONNECT: it leaves the group (`disconnecting`)
 * and ends in `stopped`. The two steps let every consumer of a group commit before any leaves (a
 * member leaving starts a rebalance, which makes the others' commits fail). A Kafka client that
 * gives up ends it in `failed`, with the (classified) error as its output.
 *
 * The kafkajs run loop lives in the `session` callback actor; every timer (heartbeats of a waiting
 * batch, the rate of KAFKA_CONTACT reports) is a delayed transition on the actor system's clock.
 */
import { assign, enqueueActions, fromCallback, not, sendParent, sendTo, setup } from 'xstate';
import type { Logger } from '../src/observe/log.js';
import type { TopicStats } from '../src/observe/stats.js';
import { messageOf } from '../src/ports/faults.js';
import type { FetchedBatch, KafkaConsumerPort, PartitionOffset } from '../src/ports/kafka.js';
import type { BatchFetched, ConsumerEvent } from './events.js';

export interface ConsumerSettings {
  connect: () => KafkaConsumerPort;
  /** Fetched but not yet stored messages above which fetching waits. */
  maxInFlight: number;
  /** Report KAFKA_CONTACT at most this often. */
  contactEveryMs: number;
}

export interface ConsumerInput extends ConsumerSettings {
  log: Logger;
  stats: TopicStats;
}

/** How often a batch held back keeps the group membership alive. */
export const HEARTBEAT_EVERY_MS = 1_000;

// ---- the session: kafkajs's run loop, commits and leaving, behind the port

/** consumer -> session */
type SessionCommand =
  | { type: 'OPEN' } // hand batches on
  | { type: 'HOLD' } // keep fetched batches waiting
  | { type: 'BEAT' } // waiting batches: keep the membership alive
  | { type: 'END' } // waiting and later batches: never hand on
  | { type: 'LISTEN' } // report the next broker answer (once)
  | { type: 'PAUSE_TOPIC' }
  | { type: 'RESUME_TOPIC' }
  | { type: 'COMMIT'; offsets: readonly PartitionOffset[]; messageCount: number }
  | { type: 'LEAVE' };

/** session -> consumer */
type SessionReport =
  | { type: 'JOINED' }
  | { type: 'CONTACT' }
  | { type: 'FETCHED'; batch: FetchedBatch }
  | { type: 'COMMITTED'; offsets: readonly PartitionOffset[]; messageCount: number }
  | { type: 'COMMIT_FAILED'; offsets: readonly PartitionOffset[]; error: unknown }
  | { type: 'LEFT' }
  | { type: 'KAFKA_FAILED'; error: unknown };

type Wake = 'go' | 'beat' | 'end';

const session = fromCallback<SessionCommand, { connect: () => KafkaConsumerPort }, SessionReport>(({ input, sendBack, receive }) => {
  const kafka = input.connect();
  let open = false;
  let listening = false;
  let ended = false;
  let left = false;
  let commits = Promise.resolve();
  let waiting: ((wake: Wake) => void)[] = [];
  const wakeAll = (wake: Wake) => {
    const w = waiting;
    waiting = [];
    for (const resolve of w) resolve(wake);
  };

  kafka.onCrash((error) => sendBack({ type: 'KAFKA_FAILED', error }));
  kafka.onStatus((status) => {
    if (status === 'joined') sendBack({ type: 'JOINED' });
    else if (listening) {
      listening = false; // every broker answer would be an event; the machine asks for one at a time
      sendBack({ type: 'CONTACT' });
    }
  });

  receive((command) => {
    switch (command.type) {
      case 'OPEN':
        open = true;
        wakeAll('go');
        break;
      case 'HOLD':
        open = false;
        break;
      case 'BEAT':
        wakeAll('beat');
        break;
      case 'END':
        ended = true;
        wakeAll('end');
        break;
      case 'LISTEN':
        listening = true;
        break;
      case 'PAUSE_TOPIC':
        kafka.pause();
        break;
      case 'RESUME_TOPIC':
        kafka.resume();
        break;
      case 'COMMIT': {
        const { offsets, messageCount } = command;
        commits = commits.then(
          () => kafka.commit(offsets).then(() => sendBack({ type: 'COMMITTED', offsets, messageCount })),
        ).catch((error: unknown) => sendBack({ type: 'COMMIT_FAILED', offsets, error }));
        break;
      }
      case 'LEAVE':
        left = true;
        commits
          .then(() => kafka.disconnect())
          .then(
            () => sendBack({ type: 'LEFT' }),
            (error: unknown) => sendBack({ type: 'KAFKA_FAILED', error }),
          );
        break;
    }
  });

  kafka
    .run(async (batch, heartbeat) => {
      // Wait before handing on, so that a batch kafkajs fetches again after a rebalance is not held twice.
      while (!open && !ended) {
        const wake = await new Promise<Wake>((resolve) => waiting.push(resolve));
        if (wake === 'beat') await heartbeat();
      }
      if (!ended) sendBack({ type: 'FETCHED', batch });
    })
    .catch((error: unknown) => sendBack({ type: 'KAFKA_FAILED', error }));

  return () => {
    ended = true;
    wakeAll('end'); // a batch handler waiting for capacity would hold up disconnect()
    if (!left) kafka.disconnect().catch(() => undefined);
  };
});

// ---- the consumer machine

interface ConsumerContext extends ConsumerInput {
  /** Messages handed on and not yet reported stored. */
  inFlight: number;
  /** Commits asked for and not yet answered. */
  committing: number;
  error?: unknown;
}

export const consumerMachine = setup({
  types: {
    context: {} as ConsumerContext,
    input: {} as ConsumerInput,
    events: {} as ConsumerEvent | SessionReport,
    output: {} as { error?: unknown },
  },
  actors: { session },
  delays: {
    heartbeat: HEARTBEAT_EVERY_MS,
    contactEvery: ({ context }) => context.contactEveryMs,
  },
  guards: {
    isFull: ({ context }) => context.inFlight >= context.maxInFlight,
    isSettled: ({ context }) => context.inFlight <= 0 && context.committing <= 0,
  },
  actions: {
    tell: sendTo('session', (_, command: SessionCommand) => command),
    handOn: enqueueActions(({ context, enqueue }, params: { batch: FetchedBatch }) => {
      enqueue.assign({ inFlight: context.inFlight + params.batch.messages.length });
      enqueue.sendParent({ type: 'BATCH_FETCHED', batch: params.batch } satisfies BatchFetched);
    }),
    commit: enqueueActions(({ context, enqueue }, params: { offsets: readonly PartitionOffset[]; messageCount: number }) => {
      enqueue.assign({ inFlight: context.inFlight - params.messageCount, committing: context.committing + 1 });
      enqueue.sendTo('session', { type: 'COMMIT', offsets: params.offsets, messageCount: params.messageCount } satisfies SessionCommand);
    }),
    noteFetched: ({ context }, params: { batch: FetchedBatch }) => {
      const { partition, messages, highWatermark } = params.batch;
      if (messages.length > 0) context.stats.fetchedBatch(partition, messages[0].offset, highWatermark);
    },
    countCommitted: ({ context }, params: { offsets: readonly PartitionOffset[]; messageCount: number }) => {
      context.stats.add({ committed: params.messageCount });
      context.stats.committedOffsets(params.offsets);
    },
    logCommitFailed: ({ context }, params: { offsets: readonly PartitionOffset[]; error: unknown }) => {
      context.log.warn({ err: messageOf(params.error), offsets: params.offsets }, 'offset commit failed; these messages will be read again');
    },
    commitAnswered: assign({ committing: ({ context }) => context.committing - 1 }),
    report: sendParent((_, event: { type: 'CONSUMER_READY' | 'CONSUMER_DRAINED' | 'KAFKA_CONTACT' }) => event),
  },
}).createMachine({
  id: 'consumer',
  context: ({ input }) => ({ ...input, inFlight: 0, committing: 0 }),
  invoke: { id: 'session', src: 'session', input: ({ context }) => ({ connect: context.connect }) },
  on: {
    KAFKA_FAILED: { target: '.failed', actions: assign({ error: ({ event }) => event.error }) },
  },
  initial: 'active',
  states: {
    active: {
      type: 'parallel',
      on: {
        FETCHED: {
          actions: [
            { type: 'noteFetched', params: ({ event }) => ({ batch: event.batch }) },
            { type: 'handOn', params: ({ event }) => ({ batch: event.batch }) },
          ],
        },
        BATCH_STORED: { actions: { type: 'commit', params: ({ event }) => event } },
        COMMITTED: { actions: [{ type: 'countCommitted', params: ({ event }) => event }, 'commitAnswered'] },
        COMMIT_FAILED: { actions: [{ type: 'logCommitFailed', params: ({ event }) => event }, 'commitAnswered'] },
        JOINED: { actions: { type: 'report', params: { type: 'CONSUMER_READY' } } },
      },
      states: {
        flow: {
          initial: 'consuming',
          states: {
            consuming: {
              initial: 'joining',
              on: {
                PAUSE: { target: '.paused', actions: [{ type: 'tell', params: { type: 'HOLD' } }, { type: 'tell', params: { type: 'PAUSE_TOPIC' } }] },
                STOP_FETCHING: 'draining',
              },
              states: {
                joining: {
                  on: { JOINED: { target: 'fetching', actions: { type: 'report', params: { type: 'CONSUMER_READY' } } } },
                },
                fetching: {
                  entry: { type: 'tell', params: { type: 'OPEN' } },
                  always: { guard: 'isFull', target: 'backlogged', actions: { type: 'tell', params: { type: 'HOLD' } } },
                },
                backlogged: {
                  always: { guard: not('isFull'), target: 'fetching' },
                  after: { heartbeat: { target: 'backlogged', reenter: true, actions: { type: 'tell', params: { type: 'BEAT' } } } },
                },
                paused: {
                  on: {
                    PAUSE: {},
                    RESUME: { target: 'fetching', actions: { type: 'tell', params: { type: 'RESUME_TOPIC' } } },
                    // A rejoin forgets what was paused.
                    JOINED: { actions: [{ type: 'report', params: { type: 'CONSUMER_READY' } }, { type: 'tell', params: { type: 'PAUSE_TOPIC' } }] },
                  },
                  after: { heartbeat: { target: 'paused', reenter: true, actions: { type: 'tell', params: { type: 'BEAT' } } } },
                },
              },
            },
            draining: {
              entry: [{ type: 'tell', params: { type: 'END' } }, { type: 'tell', params: { type: 'PAUSE_TOPIC' } }],
              always: { guard: 'isSettled', target: 'drained' },
              on: {
                // Its writer cannot store what is in flight: leave anyway, committing none of it.
                DISCONNECT: 'disconnecting',
                JOINED: { actions: { type: 'tell', params: { type: 'PAUSE_TOPIC' } } },
              },
            },
            drained: {
              entry: { type: 'report', params: { type: 'CONSUMER_DRAINED' } },
              on: {
                DISCONNECT: 'disconnecting',
                JOINED: { actions: { type: 'tell', params: { type: 'PAUSE_TOPIC' } } },
              },
            },
            disconnecting: {
              entry: { type: 'tell', params: { type: 'LEAVE' } },
              on: { LEFT: '#consumer.stopped' },
            },
          },
        },
        contact: {
          initial: 'quiet',
          states: {
            quiet: {
              entry: { type: 'tell', params: { type: 'LISTEN' } },
              on: { CONTACT: { target: 'reported', actions: { type: 'report', params: { type: 'KAFKA_CONTACT' } } } },
            },
            reported: { after: { contactEvery: 'quiet' } },
          },
        },
      },
    },
    stopped: { type: 'final' },
    failed: { type: 'final' },
  },
  output: ({ context }) => ({ error: context.error }),
});
