/**
 * systemd's notify protocol, end to end: the real daemon, on the real stack, run with NOTIFY_SOCKET
 * naming a Unix datagram socket this test opens (with Python, as Node.js cannot open one; it closes
 * the file descriptors of systemd-notify's barrier as systemd does). The unit file: test/unit/systemd-unit.test.ts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Daemon, writeConfig } from '../helpers/daemon.js';
import { createTopic, produce } from '../helpers/kafka.js';
import { sampleMetric } from '../helpers/messages.js';
import { onTheStack, waitForCommitted } from '../helpers/scenario.js';
import { uniqueName } from '../helpers/stack.js';
import { until } from '../helpers/wait.js';

const stackRun = onTheStack();

const RECEIVER = `
import array, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print('listening', flush=True)
while True:
    msg, anc, _, _ = s.recvmsg(65536, socket.CMSG_SPACE(64))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds = array.array('i')
            fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
            for fd in fds:
                os.close(fd)
    print(msg.decode().replace('\\n', ' '), flush=True)
`;

/** A notify socket: the datagrams it received, one string each (assignments joined by spaces). */
async function notifySocket() {
  const path = join(mkdtempSync(join(tmpdir(), 'notify-')), 'notify.sock');
  const receiver = spawn('python3', ['-c', RECEIVER, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  const messages: string[] = [];
  const lines = createInterface({ input: receiver.stdout! });
  await new Promise<void>((resolve, reject) => {
    receiver.once('error', reject);
    lines.on('line', (line) => {
      if (line === 'listening') resolve();
      else messages.push(line);
    });
  });
  return { path, messages, close: () => receiver.kill() };
}

describe('systemd', { timeout: 180_000 }, () => {
  test('READY=1 once the consumer joined, WATCHDOG=1 while running, STOPPING=1 on SIGTERM', async () => {
    const id = uniqueName('sd');
    const metricsTopic = `metrics-${id}`;
    await createTopic(stackRun.brokers, metricsTopic, 2);
    const socket = await notifySocket();
    const config = writeConfig({ brokers: stackRun.brokers, influxUrl: stackRun.influxUrl, metricsTopic, alarmsTopic: `alarms-${id}`, group: id, database: `mon_${id}`, alarmsEnabled: false, maxWaitSeconds: 1 });
    const daemon = new Daemon(['--config-file', config], { NOTIFY_SOCKET: socket.path, WATCHDOG_USEC: '2000000' });
    try {
      await until('READY=1', () => socket.messages.some((m) => m.startsWith('READY=1')), 60_000, () => socket.messages);
      assert.ok(socket.messages.find((m) => m.startsWith('READY=1'))?.includes('STATUS=running'), 'with its status');
      assert.ok(daemon.logs.some((l) => l.msg === 'joined consumer group'), 'after the consumer joined');
      await produce(stackRun.brokers, metricsTopic, Array.from({ length: 50 }, (_, i) => sampleMetric(i).value));
      await waitForCommitted(stackRun.brokers, `${id}_metrics`, metricsTopic, 50, 30_000, daemon);
      const pingsBefore = socket.messages.filter((m) => m.startsWith('WATCHDOG=1')).length;
      await sleep(3000);
      const pings = socket.messages.filter((m) => m.startsWith('WATCHDOG=1')).length - pingsBefore;
      assert.ok(pings >= 3, `a ping every second (WATCHDOG_USEC 2 s): ${pings} in 3 s`);
      daemon.child.kill('SIGTERM');
      assert.equal((await daemon.exited).code, 0, daemon.tail());
      await until('STOPPING=1', () => socket.messages.some((m) => m.startsWith('STOPPING=1')), 5_000, () => socket.messages);
    } finally {
      if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
      socket.close();
    }
  });

});
