/** The command line, run as a child process: exit statuses, messages, config, convert, logging to a file. */
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
  assert.match(help.stdout, /monasca-persister config \[--config-file FILE\]/);
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

test('config: the effective configuration as INI on stdout, warnings on stderr, the password hidden', () => {
  const file = conf(
    '[influxdb]\nip_address = 127.0.0.1\npassword = s3cret\n[kafka]\nnum_processors = 2\n[kafka_metrics]\nbatch_size = 7\nnosuch = 1\ntopic = m # x\n',
  );
  const r = run(['config', '--config-file', file]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, `monasca-persister: ${file}: unknown option "nosuch" in section [kafka_metrics] is ignored.\n`);
  assert.ok(r.stdout.includes(`#   ${file}\n`));
  const section = (name: string): string => r.stdout.split(`\n[${name}]\n`)[1].split('\n\n')[0];
  assert.match(section('kafka'), /^num_processors = 2$/m);
  assert.match(section('kafka_alarm_history'), /^num_processors = 2$/m);
  assert.match(section('kafka_metrics'), /^batch_size = 7$/m);
  // ini would write `m \# x`; oslo has no inline comments and no escapes: written by us, as it is.
  assert.match(section('kafka_metrics'), /^topic = m # x$/m);
  assert.match(section('influxdb'), /^password = \*\*\*$/m);
  assert.match(section('supervisor'), /^write_retry_initial_seconds = 0\.5$/m);
  assert.ok(!r.stdout.includes('s3cret'));
  // Read again, it prints the same, its comment (the file read) aside.
  const again = run(['config', '--config-file', conf(r.stdout)]);
  assert.equal(again.status, 0, again.stderr);
  assert.equal(again.stderr, '');
  const settings = (text: string): string => text.replace(/^#.*\n/gm, '');
  assert.equal(settings(again.stdout), settings(r.stdout));
});

test('config: a bad value exits 78, an extra argument 64', () => {
  const bad = run(['config', '--config-file', conf('[influxdb]\nip_address = 127.0.0.1\nport = abc\n')]);
  assert.equal(bad.status, 78);
  assert.match(bad.stderr, /\[influxdb\] port = "abc": not a port number/);
  assert.equal(bad.stdout, '');
  const extra = run(['config', 'more']);
  assert.equal(extra.status, 64);
  assert.match(extra.stderr, /unexpected argument more/);
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

test('migrate-db-per-tenant: bad options are usage errors (64) that say which; --help', () => {
  for (const [args, why] of [
    [['--unit', 'm'], /--unit m: h, d or w/],
    [['--start-offset', '5', '--end-offset', '2'], /whole numbers, the end not before the start/],
    [['--end-offset', 'x'], /whole numbers/],
    [['--skip-regex', '('], /--skip-regex: /],
    [['--bogus'], /Unknown option '--bogus'/],
  ] as const) {
    const r = run(['migrate-db-per-tenant', ...args]);
    assert.equal(r.status, 64, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, why);
    assert.match(r.stderr, /Usage: monasca-persister migrate-db-per-tenant/);
  }
  const help = run(['migrate-db-per-tenant', '--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--state-file FILE/);
});

test('replay: bad options are usage errors (64) that say which; --help', () => {
  for (const [args, why] of [
    [['--from=-1'], /--from -1: an offset, a whole number/],
    [['--from', 'x'], /--from x: an offset/],
    [['--reason', 'poison'], /--reason poison: one of empty, not_utf8, not_json, invalid, refused/],
    [['--bogus'], /Unknown option '--bogus'/],
  ] as const) {
    const r = run(['replay', ...args]);
    assert.equal(r.status, 64, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, why);
    assert.match(r.stderr, /Usage: monasca-persister replay/);
  }
  const help = run(['replay', '--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--dry-run/);
});
