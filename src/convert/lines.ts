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

/**
 * The blocks' lines, in order, as the bodies of write requests of at most `size` lines: whole
 * blocks together while they fit (no copy for a block alone), and a block of more than `size` lines
 * cut into pieces of `size` (the last may have fewer).
 */
export function* regroup(blocks: Iterable<LineBlock>, size: number): Generator<LineBlock> {
  let parts: LineBlock[] = [];
  let n = 0;
  const flush = (): LineBlock => {
    const body = parts.length === 1 ? parts[0] : { text: parts.map((p) => p.text).join('\n'), count: n };
    parts = [];
    n = 0;
    return body;
  };
  for (const block of blocks) {
    if (n + block.count > size && n > 0) yield flush();
    if (block.count <= size) {
      parts.push(block);
      n += block.count;
      continue;
    }
    const lines = splitLines(block);
    for (let i = 0; i < lines.length; i += size) {
      const piece = lines.slice(i, i + size);
      if (piece.length === size) yield joinLines(piece);
      else {
        parts.push(joinLines(piece));
        n += piece.length;
      }
    }
  }
  if (n > 0) yield flush();
}
