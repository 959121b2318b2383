/** The benchmark's chart (bench/chart.ts): a well-formed, self-contained SVG with the figures in it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type BenchResult, chartSvg, scale } from '../../bench/chart.js';

const persister = (contender: 'this' | 'reference', msgsPerSecond: number, cpuSecondsPerMillion: number, peakRssMiB: number) => ({
  contender,
  msgsPerSecond,
  cpuSecondsPerMillion,
  peakRssMiB,
});

const RESULT: BenchResult = {
  date: '2026-12-01T10:00:00.000Z',
  kind: 'metrics',
  messages: 200_000,
  series: 12_000,
  machine: { cpus: 4, cpuModel: 'Fast & <cheap> CPU', memoryGiB: 16, node: 'v20.20.2' },
  runs: [
    // medians 40,000, 11, 310; means 33,333, 14, 303.3 (a chart of means would show those)
    persister('this', 10_000, 10, 280),
    persister('this', 50_000, 21, 320),
    persister('this', 40_000, 11, 310),
    persister('reference', 20_000, 20, 200),
    { contender: 'ceiling', writers: 1, pointsPerSecond: 120_000 },
    { contender: 'ceiling', writers: 2, pointsPerSecond: 180_000 },
  ],
};

/** Tags nest and close; text between them has no raw '<' and no '&' outside an entity. */
function assertWellFormed(svg: string): void {
  const stack: string[] = [];
  let last = 0;
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)((?:\s+[\w:-]+="(?:[^"<&]|&(?:amp|lt|gt|quot|apos);)*")*)\s*(\/?)>/g)) {
    const between = svg.slice(last, m.index);
    assert.doesNotMatch(between, /<|&(?!(amp|lt|gt|quot|apos);)/, `bad text: ${between}`);
    last = m.index + m[0].length;
    const [, close, name, , selfClosing] = m;
    if (close) assert.equal(stack.pop(), name, `</${name}> closes something else`);
    else if (!selfClosing) stack.push(name);
  }
  assert.equal(svg.slice(last), '');
  assert.deepEqual(stack, []);
}

test('chartSvg: one self-contained SVG with the medians, ratios and ceilings', () => {
  const svg = chartSvg([RESULT]);
  assert.ok(svg.startsWith('<svg'));
  assert.ok(svg.endsWith('</svg>'));
  assertWellFormed(svg);
  assert.match(svg, /font-family="sans-serif"/);
  assert.doesNotMatch(svg, /<script|href=|url\(/);
  // medians as bar labels: msgs/s, CPU s per 1M, peak RSS
  for (const value of ['>40,000<', '>20,000<', '>11.0<', '>20.0<', '>310<', '>200<']) assert.ok(svg.includes(value), value);
  // ratios this / reference: 40,000 / 20,000, 11 / 20, 310 / 200
  for (const ratio of ['>2.00x<', '>0.55x<', '>1.55x<']) assert.ok(svg.includes(ratio), ratio);
  assert.ok(svg.includes('this / reference'));
  assert.ok(svg.includes('1 writer: 120,000/s') && svg.includes('2 writers: 180,000/s'));
  assert.ok(svg.includes('metrics: 200,000 messages, 12,000 series; 2026-12-01; medians of 3 runs'));
});

test('chartSvg: text is escaped', () => {
  const svg = chartSvg([{ ...RESULT, kind: 'metrics <b>&' }]);
  assertWellFormed(svg);
  assert.ok(svg.includes('Fast &amp; &lt;cheap&gt; CPU'));
  assert.ok(svg.includes('metrics &lt;b&gt;&amp;:'));
  assert.ok(!svg.includes('<cheap>') && !svg.includes('<b>'));
});

test('chartSvg: a result without reference or ceiling has bars and no ratio', () => {
  const svg = chartSvg([{ ...RESULT, runs: RESULT.runs.filter((r) => r.contender === 'this') }]);
  assertWellFormed(svg);
  assert.ok(svg.includes('>40,000<'));
  assert.doesNotMatch(svg, /\d\.\d\dx</);
  assert.doesNotMatch(svg, /writers?:/);
});

test('scale: from zero, a round top above the largest value, at most 5 steps', () => {
  for (const max of [0.04, 9.3, 46.6, 322, 84_921, 186_253, 1_000_000]) {
    const { top, step } = scale(max);
    assert.ok(top > max && top <= max * 2.2, `${max}: top ${top}`);
    assert.ok(top / step <= 5 + 1e-9 && top / step >= 2, `${max}: ${top}/${step}`);
  }
});
