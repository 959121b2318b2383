/**
 * Lines of line protocol as they wait to be written: a block of them joined by `\n` into one
 * string. No line holds a raw newline (the converter drops a message that would make one), so a
 * block splits back into exactly its lines.
 *
 * Why blocks and not one string per line: converted lines wait for their batch to fill and be
 * written, long enough to outlive the young generation of the heap. One string per line (many of
 * them pieces that share their message's text) fills the old generation with small objects that die
 * soon after, and the heap grows to several times what is alive. Joined at conversion, those pieces
 * die young and only one flat string per fetched batch and database lives on.
 */

export interface LineBlock {
  /** The lines, joined by `\n`; no trailing newline. */
  readonly text: string;
  /** How many lines: at least 1. */
  readonly count: number;
}

export function joinLines(lines: readonly string[]): LineBlock {
  return { text: lines.join('\n'), count: lines.length };
}

export function splitLines(block: LineBlock): string[] {
  return block.text.split('\n');
}

export function linesIn(blocks: Iterable<LineBlock>): number {
  let n = 0;
  for (const b of blocks) n += b.count;
  return n;
}

/** The index of the `n`th newline of `text` (n >= 1). */
function nthNewline(text: string, n: number): number {
  let at = -1;
  for (let i = 0; i < n; i++) at = text.indexOf('\n', at + 1);
  return at;
}

/**
 * The blocks' lines, in order, regrouped into blocks of exactly `size` lines (the last one may
 * have fewer): the bodies of the write requests. A block is only cut where it must be.
 */
export function* regroup(blocks: Iterable<LineBlock>, size: number): Generator<LineBlock> {
  let parts: string[] = [];
  let n = 0;
  for (const block of blocks) {
    let { text, count } = block;
    while (n + count > size) {
      const take = size - n;
      const cut = nthNewline(text, take);
      parts.push(text.slice(0, cut));
      yield { text: parts.join('\n'), count: size };
      parts = [];
      n = 0;
      text = text.slice(cut + 1);
      count -= take;
    }
    parts.push(text);
    n += count;
    if (n === size) {
      yield parts.length === 1 ? { text: parts[0], count: n } : { text: parts.join('\n'), count: n };
      parts = [];
      n = 0;
    }
  }
  if (n > 0) yield parts.length === 1 ? { text: parts[0], count: n } : { text: parts.join('\n'), count: n };
}
