/** The command line, run as a child process: exit statuses, messages, convert, logging to a file. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/paths.js';

const CLI = join(ROOT, 'dist', 'src', 'cli.js');

function run(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function conf(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'cli-')), 'monasca-persister.conf');
  writeFileSync(file, text);
  return file;
}

test('--version and --help', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  assert.deepEqual(run(['--version']), { status: 0, stdout: `monasca-persister ${pkg.version}\n`, stderr: '' });
  const help = run(['--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--config-file FILE/);
  assert.match(help.stdout, /convert metrics\|alarms/);
});

test('an unknown option: exit 64 with the usage', () => {
  const r = run(['--bogus']);
  assert.equal(r.status, 64);
  assert.match(r.stderr, /unknown option --bogus/);
});

test('a bad value: exit 78, one message naming file, section, option and value; the password never shown', () => {
  const file = conf('[influxdb]\nip_address = 127.0.0.1\nport = abc\npassword = s3cret\n');
  const r = run(['--config-file', file]);
  assert.equal(r.status, 78);
  assert.equal(r.stderr, `monasca-persister: ${file}: [influxdb] port = "abc": not a port number (1-65535)\n`);
  assert.equal(r.stdout, '');
});

test('a missing configuration file: exit 78', () => {
  const r = run(['--config-file', '/nonexistent/monasca-persister.conf']);
  assert.equal(r.status, 78);
  assert.match(r.stderr, /\/nonexistent\/monasca-persister\.conf/);
});

test('convert: lines on stdout, one JSON line per dropped message on stderr, exit 0', () => {
  const good = JSON.stringify({
    metric: { name: 'cpu.idle_perc', dimensions: { hostname: 'h 1' }, timestamp: 1500000000000.7, value: 97 },
    meta: { tenantId: 't1', region: 'r1' },
  });
  const r = run(['convert', 'metrics'], `${good}\nnot json\n${good}\n`);
  assert.equal(r.status, 0);
  const line = 'cpu.idle_perc,_region=r1,_tenant_id=t1,hostname=h\\ 1 value=97.0,value_meta="{}" 1500000000000';
  assert.equal(r.stdout, `${line}\n${line}\n`);
  const drops = r.stderr.trim().split('\n').map((l) => JSON.parse(l) as { line: number; reason: string });
  assert.equal(drops.length, 1);
  assert.equal(drops[0].line, 2);
  assert.match(drops[0].reason, /not JSON/);
  assert.equal(run(['convert', 'events'], '').status, 64);
});

test('Kafka out of reach: exit 69; with log_file and use_stderr the logs go to both', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-logs-'));
  const file = conf(`[DEFAULT]
log_dir = ${dir}
log_file = persister.log
use_stderr = true
[kafka_metrics]
uri = 127.0.0.1:1
[kafka_alarm_history]
enabled = false
[influxdb]
ip_address = 127.0.0.1
password = s3cret
[supervisor]
kafka_loss_grace_seconds = 2
`);
  const r = run(['--config-file', file]);
  assert.equal(r.status, 69, r.stderr.slice(-2000));
  const logged = readFileSync(join(dir, 'persister.log'), 'utf8');
  assert.match(logged, /"exitCode":69/);
  assert.match(r.stderr, /"exitCode":69/);
  assert.ok(!logged.includes('s3cret') && !r.stderr.includes('s3cret'), 'the password is never logged');
});
