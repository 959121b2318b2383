/** The metrics and health logic (src/observe/monitor.ts) and the stats it reads (src/observe/stats.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Monitor } from '../../src/observe/monitor.js';
import { TopicStats } from '../../src/observe/stats.js';
import { sample } from '../helpers/prometheus.js';

function setup() {
  const metrics = new TopicStats('metrics');
  const alarms = new TopicStats('alarm-state-transitions');
  const monitor = new Monitor([metrics, alarms], ['metrics-0', 'metrics-1', 'alarms-0']);
  return { metrics, alarms, monitor };
}

test('counters follow the stats, per topic; drops per reason', async () => {
  const { metrics, alarms, monitor } = setup();
  metrics.add({ fetched: 100, stored: 90, committed: 80, refused: 2 });
  metrics.addDrops(['not_json', 'not_json', 'empty', 'invalid']);
  alarms.add({ fetched: 7 });
  let { text } = await monitor.metrics();
  assert.equal(sample(text, 'monasca_persister_messages_consumed_total', { topic: 'metrics' }), 100);
  assert.equal(sample(text, 'monasca_persister_messages_consumed_total', { topic: 'alarm-state-transitions' }), 7);
  assert.equal(sample(text, 'monasca_persister_points_written_total', { topic: 'metrics' }), 90);
  assert.equal(sample(text, 'monasca_persister_offsets_committed_total', { topic: 'metrics' }), 80);
  assert.equal(sample(text, 'monasca_persister_messages_dropped_total', { topic: 'metrics', reason: 'not_json' }), 2);
  assert.equal(sample(text, 'monasca_persister_messages_dropped_total', { topic: 'metrics', reason: 'empty' }), 1);
  assert.equal(sample(text, 'monasca_persister_messages_dropped_total', { topic: 'metrics', reason: 'invalid' }), 1);
  assert.equal(sample(text, 'monasca_persister_messages_dropped_total', { topic: 'metrics', reason: 'not_utf8' }), 0);
  assert.equal(sample(text, 'monasca_persister_messages_dropped_total', { topic: 'metrics', reason: 'refused' }), 2);
  assert.equal(metrics.dropped, 4);

  metrics.add({ fetched: 5 });
  ({ text } = await monitor.metrics());
  assert.equal(sample(text, 'monasca_persister_messages_consumed_total', { topic: 'metrics' }), 105, 'a second scrape sees the new total');
  assert.ok(sample(text, 'process_cpu_seconds_total') !== undefined, 'the default process metrics');
});

test('write histograms count each write; lag is high watermark minus committed offset', async () => {
  const { metrics, monitor } = setup();
  metrics.wrote({ seconds: 0.02, messages: 1000 });
  metrics.wrote({ seconds: 3, messages: 20000 });
  metrics.fetchedBatch(0, '100', '250'); // nothing committed yet: counted from the first offset fetched
  metrics.fetchedBatch(1, '0', '40');
  metrics.committedOffsets([{ partition: 1, offset: '40' }]);
  const { text } = await monitor.metrics();
  assert.equal(sample(text, 'monasca_persister_write_duration_seconds_count', { topic: 'metrics' }), 2);
  assert.equal(sample(text, 'monasca_persister_write_duration_seconds_bucket', { topic: 'metrics', le: '0.025' }), 1);
  assert.equal(sample(text, 'monasca_persister_write_duration_seconds_sum', { topic: 'metrics' }), 3.02);
  assert.equal(sample(text, 'monasca_persister_batch_messages_bucket', { topic: 'metrics', le: '1000' }), 1);
  assert.equal(sample(text, 'monasca_persister_batch_messages_sum', { topic: 'metrics' }), 21000);
  assert.equal(sample(text, 'monasca_persister_consumer_lag', { topic: 'metrics', partition: '0' }), 150);
  assert.equal(sample(text, 'monasca_persister_consumer_lag', { topic: 'metrics', partition: '1' }), 0);
});

test('the supervisor state and the pipelines follow the supervisor and the reports it gets; readiness says why not', async () => {
  const { monitor } = setup();
  const supervisor = { sessionId: 'x:0' };
  const snapshot = (value: unknown) => monitor.inspect({ type: '@xstate.snapshot', rootId: 'x:0', actorRef: supervisor, snapshot: { value } } as never);
  const report = (type: string, pipeline: string) => monitor.inspect({ type: '@xstate.event', rootId: 'x:0', actorRef: supervisor, event: { type, pipeline } } as never);

  let r = monitor.readiness();
  assert.equal(r.ok, false);
  assert.match(String(r.body.reason), /metrics-0 is starting; metrics-1 is starting; alarms-0 is starting/);
  assert.equal(monitor.liveness().ok, true);

  for (const p of ['metrics-0', 'metrics-1', 'alarms-0']) report('PIPELINE_READY', p);
  snapshot('running');
  r = monitor.readiness();
  assert.equal(r.ok, true);
  assert.deepEqual(r.body.pipelines, { 'metrics-0': 'running', 'metrics-1': 'running', 'alarms-0': 'running' });

  report('WRITER_DOWN', 'metrics-1');
  snapshot('degraded');
  r = monitor.readiness();
  assert.equal(r.ok, false);
  assert.equal(r.body.reason, 'metrics-1 is writer down');
  let { text } = await monitor.metrics();
  assert.equal(sample(text, 'monasca_persister_supervisor_state', { state: 'degraded' }), 1);
  assert.equal(sample(text, 'monasca_persister_supervisor_state', { state: 'running' }), 0);
  assert.equal(sample(text, 'monasca_persister_pipeline_state', { pipeline: 'metrics-1', state: 'writer_down' }), 1);
  assert.equal(sample(text, 'monasca_persister_pipeline_state', { pipeline: 'metrics-1', state: 'running' }), 0);

  report('WRITER_RESTARTED', 'metrics-1');
  snapshot('running');
  assert.equal(monitor.readiness().ok, true);
  ({ text } = await monitor.metrics());
  assert.equal(sample(text, 'monasca_persister_writer_restarts_total', { pipeline: 'metrics-1' }), 1);
  assert.equal(sample(text, 'monasca_persister_writer_restarts_total', { pipeline: 'metrics-0' }), 0);

  // another actor's events are not the supervisor's
  monitor.inspect({ type: '@xstate.event', rootId: 'x:0', actorRef: { sessionId: 'x:5' }, event: { type: 'WRITER_DOWN', pipeline: 'metrics-0' } } as never);
  assert.equal(monitor.readiness().ok, true);

  snapshot({ stopping: 'draining' });
  report('PIPELINE_DRAINED', 'metrics-0');
  report('xstate.done.actor.metrics-1', 'ignored');
  r = monitor.readiness();
  assert.equal(r.ok, false);
  assert.equal(r.body.supervisor, 'stopping');
  assert.deepEqual(r.body.pipelines, { 'metrics-0': 'drained', 'metrics-1': 'ended', 'alarms-0': 'running' });
});
