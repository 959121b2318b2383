/** The systemd notify logic (src/observe/systemd.ts), with a recorded `send` and a scripted supervisor. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import type { SupervisorState } from '../../src/observe/monitor.js';
import { notifySystemd } from '../../src/observe/systemd.js';

const log = pino({ level: 'silent' });

function target() {
  const listeners: ((state: SupervisorState, reason?: string) => void)[] = [];
  let last = performance.now();
  return {
    onSupervisorState: (l: (state: SupervisorState, reason?: string) => void) => listeners.push(l),
    lastSupervisorEvent: () => last,
    become: (state: SupervisorState, reason?: string) => {
      for (const l of listeners) l(state, reason);
    },
    progress: () => {
      last = performance.now();
    },
    stall: () => {
      last = performance.now() - 60_000;
    },
  };
}

test('outside systemd (no NOTIFY_SOCKET) nothing is sent', () => {
  const sent: string[][] = [];
  assert.equal(notifySystemd(target(), log, {}, (a) => sent.push(a)), undefined);
  assert.deepEqual(sent, []);
});

test('READY once the supervisor first runs, STATUS on each change, STOPPING when it stops', () => {
  const sent: string[][] = [];
  const t = target();
  const n = notifySystemd(t, log, { NOTIFY_SOCKET: '/run/x' }, (a) => sent.push(a));
  t.become('running');
  t.become('degraded', 'metrics-0 is writer down');
  t.become('running');
  t.become('stopping', 'the supervisor is stopping');
  t.become('stopped');
  n?.close();
  assert.deepEqual(sent, [
    ['READY=1', 'STATUS=running'],
    ['STATUS=degraded: metrics-0 is writer down'],
    ['STATUS=running'],
    ['STOPPING=1', 'STATUS=stopping: the supervisor is stopping'],
    ['STATUS=stopped'],
  ]);
});

test('the watchdog is pinged every half period while the supervisor makes progress, and not when it stalls', async () => {
  const sent: string[][] = [];
  const t = target();
  const n = notifySystemd(t, log, { NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '200000', WATCHDOG_PID: String(process.pid) }, (a) => sent.push(a));
  const pings = () => sent.filter((a) => a[0] === 'WATCHDOG=1').length;
  for (let i = 0; i < 6; i++) {
    t.progress();
    await sleep(100);
  }
  const whileProgressing = pings();
  assert.ok(whileProgressing >= 4, `pings every 100 ms: ${whileProgressing} in 600 ms`);
  t.stall();
  await sleep(350);
  assert.equal(pings(), whileProgressing, 'no ping once the supervisor stalls');
  n?.close();
});

test('no watchdog without WATCHDOG_USEC, or when WATCHDOG_PID names another process', async () => {
  for (const env of [{ NOTIFY_SOCKET: '/run/x' }, { NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '100000', WATCHDOG_PID: String(process.pid + 1) }]) {
    const sent: string[][] = [];
    const n = notifySystemd(target(), log, env, (a) => sent.push(a));
    await sleep(150);
    assert.deepEqual(sent, [], JSON.stringify(env));
    n?.close();
  }
});
