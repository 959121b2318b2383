/**
 * Measures a whole process tree from /proc: a root pid and every descendant, sampled every
 * `intervalMs` (100 ms by default). The Python reference does its work in a multiprocessing child
 * of the process we start, so measuring only the root would miss nearly all of it.
 *
 * Descendants are found by scanning /proc/<pid>/stat for parent pids (this kernel has no
 * /proc/<pid>/task/<tid>/children).
 *
 * Memory: at each sample, the sum of VmRSS over the tree; `peakRssMiB` is the largest such sum.
 * A forked child shares pages with its parent copy-on-write; summed RSS counts those twice, so the
 * sum of PSS (proportional set size, from /proc/<pid>/smaps_rollup) is also kept as `peakPssMiB`.
 *
 * CPU: the tree's CPU time at one instant is, exactly,
 *     sum over the processes in the tree (zombies included) of utime + stime + cutime + cstime.
 * utime/stime of a process cover all its threads, the exited ones too. When a child exits, its
 * utime/stime stay readable while it is a zombie; once its parent reaps it (wait), the kernel adds
 * its utime+stime+cutime+cstime to the parent's cutime/cstime. So every CPU second of the tree
 * is counted once, whether its process is running, a zombie, or reaped by a process of the tree.
 * Accumulating "the last value seen of each pid" instead would miss what a child used between our
 * last sample and its exit, and adding the root's cutime on top of that would count reaped
 * children twice. The sum only grows, so a sample that raced with an exit (the parent read before
 * the reap, the child looked for after it) can only read low; we keep the largest total seen.
 * What this misses: CPU of a descendant that was re-parented out of the tree (its parent exited
 * first) or auto-reaped by a parent that ignores SIGCHLD; neither happens with the persisters
 * measured here while they run.
 *
 * Clock ticks are 100 a second (USER_HZ on Linux).
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

interface Stat {
  pid: number;
  ppid: number;
  /** utime + stime + cutime + cstime, in ticks. */
  ticks: number;
}

function readStat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // gone
  }
  // The command name is in parentheses and may hold spaces or parentheses: cut at the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); ppid is field 4, utime..cstime are fields 14..17.
  return {
    pid,
    ppid: Number(fields[1]),
    ticks: Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]),
  };
}

/** The root and its descendants, by one scan of /proc. */
export function processTree(root: number): Stat[] {
  const all = new Map<number, Stat>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) all.set(s.pid, s);
  }
  const rootStat = all.get(root);
  if (!rootStat) return [];
  const children = new Map<number, Stat[]>();
  for (const s of all.values()) {
    const list = children.get(s.ppid);
    if (list) list.push(s);
    else children.set(s.ppid, [s]);
  }
  const tree: Stat[] = [];
  const queue = [rootStat];
  while (queue.length > 0) {
    const s = queue.pop()!;
    tree.push(s);
    queue.push(...(children.get(s.pid) ?? []));
  }
  return tree;
}

/** kB of VmRSS and Pss of a process; zero if it is gone (or a zombie, which has no memory). */
function memoryKb(pid: number): { rss: number; pss: number } {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    return {
      rss: Number(/^Rss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0),
      pss: Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0),
    };
  } catch {
    return { rss: 0, pss: 0 };
  }
}

export interface TreeSample {
  /** Seconds since the meter started. */
  at: number;
  processes: number;
  rssMiB: number;
  pssMiB: number;
  cpuSeconds: number;
}

export interface TreeFigures {
  samples: number;
  /** Most processes seen in the tree at once. */
  maxProcesses: number;
  peakRssMiB: number;
  peakPssMiB: number;
  /** CPU seconds (user + system) of the whole tree, up to the last sample. */
  cpuSeconds: number;
}

export class TreeMeter {
  private timer: NodeJS.Timeout | undefined;
  private readonly started = process.hrtime.bigint();
  private figures: TreeFigures = { samples: 0, maxProcesses: 0, peakRssMiB: 0, peakPssMiB: 0, cpuSeconds: 0 };
  last: TreeSample | undefined;

  constructor(
    readonly root: number,
    intervalMs = 100,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  /** Takes one sample now; returns undefined once the root is gone. */
  sample(): TreeSample | undefined {
    const tree = processTree(this.root);
    if (tree.length === 0) return undefined;
    let rss = 0;
    let pss = 0;
    let ticks = 0;
    for (const s of tree) {
      const m = memoryKb(s.pid);
      rss += m.rss;
      pss += m.pss;
      ticks += s.ticks;
    }
    const sample: TreeSample = {
      at: Number(process.hrtime.bigint() - this.started) / 1e9,
      processes: tree.length,
      rssMiB: rss / 1024,
      pssMiB: pss / 1024,
      cpuSeconds: ticks / TICKS_PER_SECOND,
    };
    const f = this.figures;
    this.figures = {
      samples: f.samples + 1,
      maxProcesses: Math.max(f.maxProcesses, sample.processes),
      peakRssMiB: Math.max(f.peakRssMiB, sample.rssMiB),
      peakPssMiB: Math.max(f.peakPssMiB, sample.pssMiB),
      cpuSeconds: Math.max(f.cpuSeconds, sample.cpuSeconds),
    };
    this.last = sample;
    return sample;
  }

  /** Takes a last sample and stops; the figures cover the tree up to now. */
  stop(): TreeFigures {
    this.sample();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    return { ...this.figures };
  }
}
