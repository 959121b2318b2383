/** The converter actor: fetched batches in, converted batches out. Pure but for counting and logging its drops. */
import { enqueueActions, setup } from 'xstate';
import { type ConvertedBatch, convertBatch, type MessageKind, type Routing } from '../src/convert/index.js';
import type { DropLog } from '../src/observe/drop-log.js';
import type { Logger } from '../src/observe/log.js';
import type { TopicStats } from '../src/observe/stats.js';
import type { BatchConverted, ConverterEvent } from './events.js';

export interface ConverterSettings {
  kind: MessageKind;
  routing: Routing;
  /** Where drops are logged (a flood is summarized); they are counted in stats whether logged or not. */
  drops: DropLog;
  /** Remember the message of each line (ConvertedBatch.origins): refused points become dead letters. */
  keepOrigins?: boolean;
}

export interface ConverterInput extends ConverterSettings {
  log: Logger;
  stats: TopicStats;
}

export const converterMachine = setup({
  types: {
    context: {} as ConverterInput,
    input: {} as ConverterInput,
    events: {} as ConverterEvent,
  },
  actions: {
    countAndLogDrops: ({ context }, params: { topic: string; converted: ConvertedBatch }) => {
      const { converted, topic } = params;
      context.stats.add({ fetched: converted.messageCount });
      context.stats.addDrops(converted.drops.map((d) => d.kind));
      for (const d of converted.drops) context.drops.dropped(d.kind, { topic, partition: d.partition, offset: d.message.offset, reason: d.reason }, 'message dropped');
    },
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
            const converted = convertBatch(context.kind, event.batch, context.routing, context.keepOrigins);
            enqueue({ type: 'countAndLogDrops', params: { topic: event.batch.topic, converted } });
            enqueue.sendParent({ type: 'BATCH_CONVERTED', batch: converted } satisfies BatchConverted);
          }),
        },
      },
    },
  },
});
