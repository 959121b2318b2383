/** etc/monasca-persister.service: what systemd needs to run the daemon safely, and that systemd accepts it. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SCHEMA } from '../../src/config/index.js';
import { ExitCode } from '../../src/exit-codes.js';
import { ROOT } from '../helpers/paths.js';

const UNIT = join(ROOT, 'etc', 'monasca-persister.service');
const text = readFileSync(UNIT, 'utf8');
const setting = (key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(text)?.[1];

test('restarts on failure, but not on a bad configuration (exit 78)', () => {
  assert.equal(setting('Restart'), 'on-failure');
  assert.ok(setting('RestartSec'));
  assert.equal(setting('RestartPreventExitStatus'), String(ExitCode.CONFIG));
});

test('runs as a dedicated user, hardened', () => {
  assert.equal(setting('User'), 'monasca');
  assert.equal(setting('NoNewPrivileges'), 'yes');
  assert.equal(setting('ProtectSystem'), 'strict');
  assert.equal(setting('PrivateTmp'), 'yes');
  assert.ok(setting('LogsDirectory'), 'a writable log folder under ProtectSystem=strict');
  assert.ok(setting('StateDirectory'), 'a writable state folder under ProtectSystem=strict');
});

test('systemd waits longer for a stop than the persister’s own stop timeout', () => {
  const stopTimeout = Number(SCHEMA.find((s) => s.name === 'supervisor')!.options.find((o) => o.name === 'stop_timeout_seconds')!.default);
  const systemdTimeout = Number(/^(\d+)s$/.exec(setting('TimeoutStopSec') ?? '')?.[1]);
  assert.ok(systemdTimeout > stopTimeout + 5, `TimeoutStopSec ${systemdTimeout}s vs stop_timeout_seconds ${stopTimeout}`);
  assert.equal(setting('KillSignal'), 'SIGTERM');
});

const supervisorDefault = (name: string) => Number(SCHEMA.find((s) => s.name === 'supervisor')!.options.find((o) => o.name === name)!.default);
const seconds = (key: string) => Number(/^(\d+)s$/.exec(setting(key) ?? '')?.[1]);

test('Type=notify: systemd-notify (a child process) may notify; the watchdog outlasts the Kafka grace period', () => {
  assert.equal(setting('Type'), 'notify');
  assert.equal(setting('NotifyAccess'), 'all', 'the messages come from systemd-notify, a child process');
  const grace = supervisorDefault('kafka_loss_grace_seconds');
  assert.ok(seconds('WatchdogSec') > grace, `WatchdogSec ${setting('WatchdogSec')} vs kafka_loss_grace_seconds ${grace}`);
  assert.ok(seconds('TimeoutStartSec') > 30, 'READY waits for the group join, which can wait out a dead member’s 30 s session');
});

const hasAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

test('systemd-analyze verify accepts the unit', { skip: hasAnalyze ? false : 'systemd-analyze is not installed here' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'unit-'));
  const copy = join(dir, 'monasca-persister.service');
  copyFileSync(UNIT, copy);
  const r = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const aboutUnit = r.stderr.split('\n').filter((l) => l.includes('monasca-persister.service'));
  assert.deepEqual(aboutUnit, [], 'no warning about the unit');
});
