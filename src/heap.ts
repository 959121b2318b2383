/**
 * How far the heap may grow past what is alive before V8 collects it.
 *
 * Batches in flight (up to two of `batch_size` messages per pipeline) live for a second or so:
 * long enough to be promoted to the old generation, where they then die in bulk. V8's default
 * growth factor, chosen for short-lived request work, lets the old generation grow to several
 * times what is alive before a full collection, which multiplied the resident memory while draining
 * a backlog (bench/README.md "Levers"). A smaller factor keeps it near what is alive at a cost in
 * CPU that the benchmark measures. `--heap-growing-percent` given on Node.js's command line is left
 * as it is (Node.js does not take it in NODE_OPTIONS).
 */
import v8 from 'node:v8';

const HEAP_GROWING_PERCENT = 60;

export function tuneHeap(): void {
  const given = process.execArgv.some((a) => /heap[-_]growing[-_]percent/.test(a));
  if (!given) v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
