/**
 * The consumer actor: owns one Kafka consumer of a topic's group. It hands fetched batches on,
 * holds back fetching while `maxInFlight` messages are not yet stored or while PAUSEd (its writer is
 * down), and commits the offsets the writer reports as stored, in order. It reports CONSUMER_READY
 * when it joins the group and KAFKA_CONTACT (at most every `contactEveryMs`) while brokers answer.
 * On STOP_FETCHING it stops fetching and reports CONSUMER_DRAINED once every handed-off message
 * is stored and committed; on DISCONNECT it leaves the group and
 * reports CONSUMER_STOPPED. The two steps let every consumer of a group commit before any leaves
 * (a member leaving starts a rebalance, which makes the others' commits fail).
 */
import { fromCallback } from 'xstate';
import type { KafkaConsumerPort } from '../src/kafka/consumer.js';
import type { Logger } from '../src/observe/log.js';
import type { TopicStats } from '../src/observe/stats.js';
import type { ConsumerEvent, PipelineEvent } from './events.js';

export interface ConsumerInput {
  connect: () => KafkaConsumerPort;
  /** Fetched but not yet stored messages above which fetching waits. */
  maxInFlight: number;
  /** Report KAFKA_CONTACT at most this often (0: every time). */
  contactEveryMs: number;
  log: Logger;
  stats: TopicStats;
}

const HEARTBEAT_EVERY_MS = 1000;

export const consumerLogic = fromCallback<ConsumerEvent, ConsumerInput, PipelineEvent>(({ input, sendBack, receive }) => {
  const { log, stats } = input;
  const kafka = input.connect();
  let inFlight = 0;
  let paused = false;
  let lastContact = 0;
  let stopping = false;
  let stopped = false;
  let commits = Promise.resolve();
  let wake: (() => void) | undefined;
  const released = () => {
    wake?.();
    wake = undefined;
  };
  const waitForRelease = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  let drained = false;
  /** Stopping and nothing unstored: report once every commit is done. */
  const reportIfDrained = () => {
    if (!stopping || drained || inFlight > 0) return;
    drained = true;
    void commits.then(() => sendBack({ type: 'CONSUMER_DRAINED' }));
  };

  /** kafkajs's pause() and resume() throw before run() is active: nothing is being fetched then. */
  const whenRunning = (call: () => void) => {
    try {
      call();
    } catch {
      // not running yet
    }
  };
  const pauseFetching = () => whenRunning(() => kafka.pause());

  kafka.onCrash((error) => sendBack({ type: 'KAFKA_FAILED', error }));
  kafka.onStatus((status) => {
    if (status === 'joined') {
      if (paused) pauseFetching(); // a rejoin forgets what was paused
      sendBack({ type: 'CONSUMER_READY' });
    }
    const now = Date.now();
    if (now - lastContact >= input.contactEveryMs) {
      lastContact = now;
      sendBack({ type: 'KAFKA_CONTACT' });
    }
  });

  receive((event) => {
    switch (event.type) {
      case 'BATCH_STORED': {
        inFlight -= event.messageCount;
        const { offsets, messageCount } = event;
        commits = commits
          .then(() => kafka.commit(offsets))
          .then(
            () => {
              stats.committed += messageCount;
            },
            (err: Error) => log.warn({ err: err.message, offsets }, 'offset commit failed; these messages will be read again'),
          );
        released();
        reportIfDrained();
        break;
      }
      case 'PAUSE':
        paused = true;
        pauseFetching();
        break;
      case 'RESUME':
        paused = false;
        if (!stopping) whenRunning(() => kafka.resume());
        released();
        break;
      case 'STOP_FETCHING':
        stopping = true;
        pauseFetching();
        released();
        reportIfDrained();
        break;
      case 'DISCONNECT':
        stopped = true;
        commits
          .then(() => kafka.disconnect())
          .then(
            () => sendBack({ type: 'CONSUMER_STOPPED' }),
            (error: Error) => sendBack({ type: 'KAFKA_FAILED', error }),
          );
        break;
    }
  });

  kafka
    .run(async (batch, heartbeat) => {
      // Wait before handing on, so that a batch kafkajs fetches again after a rebalance is not held twice.
      while ((inFlight >= input.maxInFlight || paused) && !stopping) {
        await waitForRelease(HEARTBEAT_EVERY_MS);
        await heartbeat();
      }
      if (stopping) return;
      inFlight += batch.messages.length;
      sendBack({ type: 'BATCH_FETCHED', batch });
    })
    .catch((error: Error) => sendBack({ type: 'KAFKA_FAILED', error }));

  return () => {
    stopping = true;
    released(); // ends a batch handler waiting for capacity, which disconnect() waits for
    if (!stopped) kafka.disconnect().catch(() => undefined);
  };
});
