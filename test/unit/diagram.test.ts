/** `monasca-persister diagram`: the machines' graphs generated from their definitions, and the README's copies. */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { diagram, MACHINES } from '../../src/diagram.js';
import { ROOT } from '../helpers/paths.js';

const CLI = join(ROOT, 'dist', 'src', 'cli.js');

/** Every state of a machine (its key) and the number of transitions that have a target. */
function shape(name: string): { states: string[]; targeted: number } {
  type N = { key: string; states: Record<string, N>; transitions: Map<string, { target?: unknown[] }[]>; always?: { target?: unknown[] }[] };
  const states: string[] = [];
  let targeted = 0;
  const visit = (n: N, root: boolean) => {
    if (!root) states.push(n.key);
    for (const ts of n.transitions.values()) for (const t of ts) targeted += t.target?.length ?? 0;
    for (const t of n.always ?? []) targeted += t.target?.length ?? 0;
    for (const c of Object.values(n.states)) visit(c, false);
  };
  visit(MACHINES[name].root as unknown as N, true);
  return { states, targeted };
}

test('mermaid: every state and every transition with a target, for each machine', () => {
  for (const name of Object.keys(MACHINES)) {
    const text = diagram(MACHINES[name], 'mermaid');
    const lines = text.trimEnd().split('\n');
    assert.equal(lines[0], 'stateDiagram-v2');
    const { states, targeted } = shape(name);
    const edges = lines.filter((l) => / --> /.test(l) && !l.includes('[*]'));
    assert.equal(edges.length, targeted, `${name}: one edge per targeted transition`);
    for (const s of states) assert.ok(lines.some((l) => new RegExp(`(^|[ "_])${s}($|[ "{]|_)`).test(l.trim())), `${name}: state ${s} drawn`);
    const opened = lines.filter((l) => l.trimEnd().endsWith('{')).length;
    assert.equal(lines.filter((l) => l.trim() === '}').length, opened, `${name}: composite states closed`);
  }
});

test('the supervisor: its states, guards and delayed transitions as they are defined', () => {
  const text = diagram(MACHINES.supervisor, 'mermaid');
  for (const line of [
    '  [*] --> starting',
    '  starting --> running : [allReady]',
    '  running --> degraded : [someDown]',
    '  degraded --> running : [noneDown]',
    '  any_state --> stopping : STOP',
    '  any_state --> stopping : WRITER_DOWN [restartsExhausted]',
    '  stopping --> failed : after stopTimeout [noneDraining and exitDecided]',
    '  draining --> disconnecting : [noneDraining]',
    '  stopped --> [*]',
  ]) {
    assert.ok(text.split('\n').includes(line), `"${line}" in\n${text}`);
  }
  const writer = diagram(MACHINES.writer, 'mermaid');
  assert.ok(writer.includes('  attempting --> idle : done: storeBatch'), 'an invoked actor named by its source');
  assert.ok(writer.includes('[mayRetryUnreachable and (not isFlushing)]'), 'and/not guards');
});

test('dot: a digraph with a cluster per compound state and an edge per targeted transition', () => {
  for (const name of Object.keys(MACHINES)) {
    const text = diagram(MACHINES[name], 'dot');
    assert.match(text, /^digraph "[a-z]+" \{\n/);
    assert.equal((text.match(/\{/g) ?? []).length, (text.match(/\}/g) ?? []).length, `${name}: braces balanced`);
    const edges = text.split('\n').filter((l) => / -> /.test(l) && !l.includes('__initial'));
    assert.equal(edges.length, shape(name).targeted, `${name}: one edge per targeted transition`);
  }
  assert.match(diagram(MACHINES.supervisor, 'dot'), /subgraph cluster_stopping \{/);
});

test('the README’s diagrams are what the command prints', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/<!-- monasca-persister diagram (\w+) -->\n```mermaid\n([\s\S]*?)```/g)];
  assert.deepEqual(blocks.map((b) => b[1]), ['supervisor', 'pipeline', 'writer']);
  for (const [, name, copy] of blocks) {
    assert.equal(copy, diagram(MACHINES[name], 'mermaid'), `README.md's ${name} diagram is stale: replace it with the output of \`node dist/src/cli.js diagram ${name}\``);
  }
});

test('the command: one machine or all, mermaid or dot; a bad name or format is a usage error', () => {
  assert.equal(execFileSync(process.execPath, [CLI, 'diagram', 'writer'], { encoding: 'utf8' }), diagram(MACHINES.writer, 'mermaid'));
  assert.equal(execFileSync(process.execPath, [CLI, 'diagram', '--format', 'dot', 'supervisor'], { encoding: 'utf8' }), diagram(MACHINES.supervisor, 'dot'));
  const all = execFileSync(process.execPath, [CLI, 'diagram'], { encoding: 'utf8' });
  for (const name of Object.keys(MACHINES)) assert.ok(all.includes(`%% ${name}\n${diagram(MACHINES[name], 'mermaid')}`), name);
  for (const args of [['nothing'], ['--format', 'svg'], ['supervisor', 'writer'], ['--bogus']]) {
    const r = spawnSync(process.execPath, [CLI, 'diagram', ...args], { encoding: 'utf8' });
    assert.equal(r.status, 64, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /Usage: monasca-persister diagram/);
  }
});
