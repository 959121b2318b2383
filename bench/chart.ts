/**
 * Chart of end-to-end benchmark results (bench/results/<date>-<kind>.json, written by e2e.ts) as a
 * self-contained SVG: one row per result, one panel per figure (msgs/s, CPU s per 1M messages, peak
 * RSS), medians of this persister and of the reference, the ratio this / reference beside each pair,
 * and on msgs/s the ceiling (points/s InfluxDB takes alone, 1 and 2 writers) as dashed lines.
 * Plain SVG: text in sans-serif on white, no script, no external reference.
 *
 *   npm run bench:chart                       # newest metrics and alarms results -> latest.svg
 *   node dist/bench/chart.js FILE.json...     # those results -> FILE.svg each, and latest.svg
 *
 * e2e.ts draws the same after each run.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from '../test/helpers/paths.js';

interface PersisterFigures {
  /** 'inspector' and 'dead-letter' runs (this persister with the live inspector open, with dead letters on) are not drawn. */
  contender: 'this' | 'inspector' | 'dead-letter' | 'reference';
  msgsPerSecond: number;
  cpuSecondsPerMillion: number;
  peakRssMiB: number;
}
interface CeilingFigures {
  contender: 'ceiling';
  writers: number;
  pointsPerSecond: number;
}
export type ChartRun = PersisterFigures | CeilingFigures;

/** The part of a saved result (see e2e.ts `main`) that the chart reads. */
export interface BenchResult {
  date: string;
  kind: string;
  messages: number;
  partitions?: number;
  processors?: number;
  series?: number;
  batchSize?: number;
  machine?: { cpus: number; cpuModel?: string; memoryGiB: number; node: string };
  runs: ChartRun[];
}

interface Figure {
  title: string;
  better: 'higher' | 'lower';
  digits: number;
  of: (r: PersisterFigures) => number;
  ceiling?: boolean;
}

const FIGURES: Figure[] = [
  { title: 'msgs/s', better: 'higher', digits: 0, of: (r) => r.msgsPerSecond, ceiling: true },
  { title: 'CPU s per 1M messages', better: 'lower', digits: 1, of: (r) => r.cpuSecondsPerMillion },
  { title: 'peak RSS (MiB)', better: 'lower', digits: 0, of: (r) => r.peakRssMiB },
];

const COLOR = { this: '#3366cc', reference: '#e08a2c', better: '#2f855a', worse: '#c53030', axis: '#444', grid: '#e2e2e2', muted: '#666' };
const REFERENCE_NAME = 'monasca-persister 9.0.0';
// geometry, in px
const MARGIN = 20;
const PANEL_W = 290;
const PANEL_GAP = 20;
const PLOT_LEFT = 46; // room for the y-axis labels, inside a panel
const PLOT_TOP = 38; // panel title and hint above the plot
const PLOT_H = 170;
const BAR_W = 46;
const BAR_GAP = 8;
const ROW_H = 24 + PLOT_TOP + PLOT_H + 22; // row heading, panel title, plot, bar names
const HEADER_H = 58;

export const RESULTS_DIR = join(ROOT, 'bench', 'results');

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
export const escapeXml = (s: string): string => s.replace(/[&<>"']/g, (c) => ENTITIES[c]);

type Attrs = Record<string, string | number | undefined>;
const r1 = (n: number) => Math.round(n * 10) / 10;
function el(name: string, attrs: Attrs, content?: string): string {
  const a = Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXml(typeof v === 'number' ? String(r1(v)) : String(v))}"`)
    .join('');
  return content === undefined ? `<${name}${a}/>` : `<${name}${a}>${content}</${name}>`;
}
const text = (x: number, y: number, s: string, attrs: Attrs = {}) => el('text', { x, y, ...attrs }, escapeXml(s));
const line = (x1: number, y1: number, x2: number, y2: number, attrs: Attrs) => el('line', { x1, y1, x2, y2, ...attrs });

const fmt = (n: number, digits: number, fixed = true) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: fixed ? digits : 0 });
const tickLabel = (v: number) => (v >= 1000 ? `${fmt(v / 1000, 1, false)}k` : fmt(v, 2, false));

function median(values: number[]): number | undefined {
  if (!values.length) return undefined;
  const v = [...values].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** An axis from zero: at most 5 steps of 1, 2, 2.5 or 5 x 10^k, 10 % headroom above `max`. */
export function scale(max: number): { top: number; step: number } {
  const target = max > 0 ? max * 1.1 : 1;
  const p = 10 ** Math.floor(Math.log10(target / 5));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * p).find((s) => target / s <= 5) ?? 10 * p;
  return { top: Math.ceil(target / step) * step, step };
}

/** Moves labels (centre y, height) apart so they do not overlap, keeping them within [lo, hi]. */
function spread<T extends { y: number; h: number }>(items: T[], lo: number, hi: number): T[] {
  const s = [...items].sort((a, b) => a.y - b.y);
  for (let i = 0; i < s.length; i++) s[i].y = Math.max(s[i].y, lo + s[i].h / 2, i ? s[i - 1].y + (s[i - 1].h + s[i].h) / 2 + 2 : -Infinity);
  for (let i = s.length - 1; i >= 0; i--) s[i].y = Math.min(s[i].y, hi - s[i].h / 2, i < s.length - 1 ? s[i + 1].y - (s[i + 1].h + s[i].h) / 2 - 2 : Infinity);
  return s;
}

function panel(x0: number, y0: number, fig: Figure, result: BenchResult): string {
  const persisters = result.runs.filter((r): r is PersisterFigures => r.contender !== 'ceiling');
  const bars = (['this', 'reference'] as const)
    .map((c) => ({ c, v: median(persisters.filter((r) => r.contender === c).map(fig.of)) }))
    .filter((b): b is { c: 'this' | 'reference'; v: number } => b.v !== undefined);
  const ceilings = fig.ceiling
    ? [1, 2]
        .map((w) => ({ w, v: median(result.runs.filter((r): r is CeilingFigures => r.contender === 'ceiling' && r.writers === w).map((r) => r.pointsPerSecond)) }))
        .filter((c): c is { w: number; v: number } => c.v !== undefined)
    : [];
  const { top, step } = scale(Math.max(0, ...bars.map((b) => b.v), ...ceilings.map((c) => c.v)));
  const left = x0 + PLOT_LEFT;
  const right = x0 + PANEL_W - 4;
  const base = y0 + PLOT_TOP + PLOT_H;
  const y = (v: number) => base - (v / top) * PLOT_H;
  const mid = (left + right) / 2;
  const out: string[] = [
    text(mid, y0 + 14, fig.title, { 'font-size': 13, 'font-weight': 'bold', 'text-anchor': 'middle' }),
    text(mid, y0 + 28, `median; ${fig.better} is better${ceilings.length ? '; dashed: ceiling' : ''}`, { 'font-size': 10, fill: COLOR.muted, 'text-anchor': 'middle' }),
  ];
  for (let i = 0; i * step <= top + step / 1e6; i++) {
    const v = i * step;
    out.push(line(left, y(v), right, y(v), { stroke: i ? COLOR.grid : COLOR.axis, 'stroke-width': 1 }));
    out.push(text(left - 5, y(v) + 3.5, tickLabel(v), { 'font-size': 10, fill: COLOR.muted, 'text-anchor': 'end' }));
  }
  out.push(line(left, y(top), left, base, { stroke: COLOR.axis, 'stroke-width': 1 }));
  const halo = { stroke: '#fff', 'stroke-width': 3, 'paint-order': 'stroke' };
  const rx = left + 12 + 2 * BAR_W + BAR_GAP + 10; // the right-hand column, beside the bars
  // its labels, moved apart: each ceiling's above its line, the ratio level with the bars
  const labels: { y: number; h: number; draw: (cy: number) => string }[] = [];
  for (const c of ceilings) {
    out.push(line(left, y(c.v), right, y(c.v), { stroke: COLOR.axis, 'stroke-width': 1.2, 'stroke-dasharray': '5 3' }));
    labels.push({
      y: y(c.v) - 7,
      h: 11,
      draw: (cy) => text(rx, cy + 3.5, `${c.w} writer${c.w > 1 ? 's' : ''}: ${fmt(c.v, 0)}/s`, { 'font-size': 10, fill: COLOR.axis, ...halo }),
    });
  }
  bars.forEach((b, i) => {
    const x = left + 12 + i * (BAR_W + BAR_GAP);
    const digits = b.v > 0 && b.v < 1 ? Math.max(fig.digits, 1 - Math.floor(Math.log10(b.v))) : fig.digits; // 2 significant digits below 1
    out.push(el('rect', { x, y: y(b.v), width: BAR_W, height: base - y(b.v), fill: COLOR[b.c] }));
    out.push(text(x + BAR_W / 2, y(b.v) - 4, fmt(b.v, digits), { 'font-size': 11, 'text-anchor': 'middle', ...halo }));
    out.push(text(x + BAR_W / 2, base + 14, b.c, { 'font-size': 10, fill: COLOR.muted, 'text-anchor': 'middle' }));
  });
  const [ours, ref] = [bars.find((b) => b.c === 'this'), bars.find((b) => b.c === 'reference')];
  if (ours && ref && ref.v > 0) {
    const ratio = ours.v / ref.v;
    const better = fig.better === 'higher' ? ratio >= 1 : ratio <= 1;
    labels.push({
      y: (y(Math.max(ours.v, ref.v)) + base) / 2,
      h: 28,
      draw: (cy) =>
        text(rx, cy - 1, `${ratio.toFixed(2)}x`, { 'font-size': 15, 'font-weight': 'bold', fill: better ? COLOR.better : COLOR.worse }) +
        text(rx, cy + 12, 'this / reference', { 'font-size': 9.5, fill: COLOR.muted }),
    });
  }
  for (const l of spread(labels, y(top) - 6, base)) out.push(l.draw(l.y));
  return out.join('\n');
}

function heading(r: BenchResult): string {
  const runs = Math.max(...(['this', 'reference'] as const).map((c) => r.runs.filter((x) => x.contender === c).length));
  const parts = [`${fmt(r.messages, 0)} messages`];
  if (r.series !== undefined) parts.push(`${fmt(r.series, 0)} series`);
  if (r.partitions !== undefined) parts.push(`${r.partitions} partitions`);
  if (r.processors !== undefined && r.processors !== 1) parts.push(`num_processors ${r.processors}`);
  if (r.batchSize !== undefined) parts.push(`batch_size ${r.batchSize}`);
  return `${r.kind}: ${parts.join(', ')}; ${r.date.slice(0, 10)}; medians of ${runs} run${runs === 1 ? '' : 's'}`;
}

function machine(r: BenchResult): string {
  const m = r.machine;
  return m ? `${m.cpus} CPUs${m.cpuModel ? ` (${m.cpuModel})` : ''}, ${m.memoryGiB} GiB, Node.js ${m.node}` : 'not recorded';
}

/** The SVG document of one or more results, one row each. */
export function chartSvg(results: BenchResult[]): string {
  const width = 2 * MARGIN + FIGURES.length * PANEL_W + (FIGURES.length - 1) * PANEL_GAP;
  const machines = [...new Set(results.map(machine))];
  const caption = [
    ...(machines.length === 1 ? [`Machine: ${machines[0]}`] : results.map((r) => `Machine of ${r.kind}: ${machine(r)}`)),
    'Kafka and InfluxDB run on the same machine. Ratios this / reference in green where this persister does better, in red where it does worse.',
  ];
  const height = HEADER_H + results.length * ROW_H + 12 + 13 * caption.length;
  const title = `End to end: this persister against ${REFERENCE_NAME}`;
  const out: string[] = [el('rect', { x: 0, y: 0, width, height, fill: '#fff' }), text(MARGIN, 26, title, { 'font-size': 17, 'font-weight': 'bold' })];
  // legend
  let lx = MARGIN;
  const legend = (mark: string, label: string) => {
    out.push(mark, text(lx + 20, 48, label, { 'font-size': 11 }));
    lx += 20 + label.length * 6.2 + 18;
  };
  legend(el('rect', { x: lx, y: 39, width: 13, height: 11, fill: COLOR.this }), 'this persister');
  legend(el('rect', { x: lx, y: 39, width: 13, height: 11, fill: COLOR.reference }), `${REFERENCE_NAME} (reference)`);
  legend(line(lx, 44.5, lx + 15, 44.5, { stroke: COLOR.axis, 'stroke-width': 1.2, 'stroke-dasharray': '5 3' }), 'ceiling: points/s InfluxDB takes alone, 1 and 2 writers');
  results.forEach((r, i) => {
    const y0 = HEADER_H + i * ROW_H;
    out.push(line(MARGIN, y0 + 2, width - MARGIN, y0 + 2, { stroke: COLOR.grid, 'stroke-width': 1 }));
    out.push(text(MARGIN, y0 + 19, heading(r), { 'font-size': 13, 'font-weight': 'bold' }));
    FIGURES.forEach((f, j) => out.push(panel(MARGIN + j * (PANEL_W + PANEL_GAP), y0 + 24, f, r)));
  });
  caption.forEach((c, i) => out.push(text(MARGIN, height - 10 - 13 * (caption.length - 1 - i), c, { 'font-size': 10, fill: COLOR.muted })));
  const body = `\n${el('title', {}, escapeXml(title))}\n${out.join('\n')}\n`;
  return el('svg', { xmlns: 'http://www.w3.org/2000/svg', width, height, viewBox: `0 0 ${width} ${height}`, 'font-family': 'sans-serif' }, body);
}

function isResult(v: unknown): v is BenchResult {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.kind === 'string' && typeof o.date === 'string' && typeof o.messages === 'number' && Array.isArray(o.runs);
}

export function loadResult(file: string): BenchResult {
  const r: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!isResult(r)) throw new Error(`${file}: not a benchmark result`);
  return r;
}

/**
 * The newest (by `date`) metrics and alarms results in dir with num_processors 1; names containing
 * "-converter" (results of earlier converters, kept for comparison), "-inspector" (the cost of
 * the live inspector) or "-dead-letter" (the cost of dead letters) are skipped.
 */
export function newestResults(dir = RESULTS_DIR): { file: string; result: BenchResult }[] {
  const newest = new Map<string, { file: string; result: BenchResult }>();
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.json') || name.includes('-converter') || name.includes('-inspector') || name.includes('-dead-letter')) continue;
    const file = join(dir, name);
    let result: BenchResult;
    try {
      result = loadResult(file);
    } catch {
      continue;
    }
    if ((result.processors ?? 1) !== 1) continue;
    const seen = newest.get(result.kind);
    if (!seen || result.date >= seen.result.date) newest.set(result.kind, { file, result });
  }
  return ['metrics', 'alarms'].flatMap((k) => newest.get(k) ?? []);
}

/** Writes an SVG file; its path. */
export function writeSvg(file: string, results: BenchResult[]): string {
  writeFileSync(file, `${chartSvg(results)}\n`);
  return file;
}

/** latest.svg in dir, from the newest metrics and alarms results there; its path, or undefined if there are none. */
export function writeLatest(dir = RESULTS_DIR): string | undefined {
  const newest = newestResults(dir);
  return newest.length ? writeSvg(join(dir, 'latest.svg'), newest.map((n) => n.result)) : undefined;
}

function main(args: string[]): void {
  const inputs = args.length ? args.map((a) => ({ file: resolve(a), result: loadResult(resolve(a)) })) : newestResults();
  if (!inputs.length) throw new Error(`no metrics or alarms results in ${RESULTS_DIR}`);
  for (const { file, result } of inputs) process.stderr.write(`chart saved in ${writeSvg(file.replace(/\.json$/, '') + '.svg', [result])}\n`);
  process.stderr.write(`chart saved in ${writeSvg(join(RESULTS_DIR, 'latest.svg'), inputs.map((i) => i.result))}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (err: unknown) {
    console.error(`chart failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}
