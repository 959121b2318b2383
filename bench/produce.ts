/** Producing a benchmark's messages: shared by the benchmarks that measure draining a backlog. */
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import type { Workload } from './workload.js';

export function benchKafka(brokers: string[]): Kafka {
  return new Kafka({ clientId: 'persister-bench', brokers, logLevel: logLevel.NOTHING });
}

/**
 * Produces messages 0 .. count-1 of the workload round-robin over the partitions, generated chunk
 * by chunk, with progress on standard error.
 */
export async function produceAll(brokers: string[], topic: string, workload: Workload, count: number, partitions: number): Promise<void> {
  const producer = benchKafka(brokers).producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    // about 1,500 messages (under 1 MB, the broker's limit) per partition and request, 4 requests in flight
    const chunk = 1500 * partitions;
    let sent = 0;
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < count) {
          const from = next;
          next = Math.min(from + chunk, count);
          const messages = [];
          for (let k = from; k < next; k++) messages.push({ value: workload.message(k), partition: k % partitions });
          await producer.send({ topic, messages });
          sent += messages.length;
          process.stderr.write(`\rproducing ${sent}/${count}`);
        }
      }),
    );
    process.stderr.write('\n');
  } finally {
    await producer.disconnect();
  }
}
