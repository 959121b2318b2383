/** The converter actor: fetched batches in, converted batches out. Pure but for logging its drops. */
import { enqueueActions, setup } from 'xstate';
import { convertBatch, type MessageKind, type Routing } from '../src/convert/index.js';
import type { Logger } from '../src/observe/log.js';
import type { TopicStats } from '../src/observe/stats.js';
import type { ConverterEvent } from './events.js';

export interface ConverterInput {
  kind: MessageKind;
  routing: Routing;
  log: Logger;
  stats: TopicStats;
}

export const converterMachine = setup({
  types: {
    context: {} as ConverterInput,
    input: {} as ConverterInput,
    events: {} as ConverterEvent,
  },
}).createMachine({
  id: 'converter',
  context: ({ input }) => input,
  initial: 'converting',
  states: {
    converting: {
      on: {
        BATCH_FETCHED: {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const converted = convertBatch(context.kind, event.batch, context.routing);
            context.stats.fetched += converted.messageCount;
            context.stats.dropped += converted.drops.length;
            for (const d of converted.drops) {
              context.log.warn({ topic: event.batch.topic, partition: d.partition, offset: d.offset, reason: d.reason }, 'message dropped');
            }
            enqueue.sendParent({ type: 'BATCH_CONVERTED', batch: converted });
          }),
        },
      },
    },
  },
});
