/**
 * LZ4 frames (the LZ4 Frame Format 1.6.x), as Kafka producers send lz4 batches: decoding only.
 * Every length and offset is checked: malformed data throws rather than read or write out of
 * bounds, and a declared content size must match. Checksums (header, blocks, content) are skipped,
 * not verified (Kafka's oldest lz4 format wrote a wrong header checksum); kafkajs does not check the
 * batch's CRC either, so a corrupt literal byte goes unnoticed, as with gzip batches.
 */

const MAGIC = 0x184d2204;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
const BLOCK_SIZES: Record<number, number> = { 4: 64 << 10, 5: 256 << 10, 6: 1 << 20, 7: 4 << 20 };
const MIN_MATCH = 4;
const MAX_INITIAL_BYTES = 64 << 20;

class Output {
  bytes: Buffer;
  length = 0;
  constructor(capacity: number) {
    this.bytes = Buffer.allocUnsafe(Math.max(capacity, 64));
  }
  reserve(more: number): void {
    if (this.length + more <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.length + more, this.bytes.length * 2));
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
  }
}

function corrupt(what: string): Error {
  return new Error(`corrupt lz4 data: ${what}`);
}

/** One LZ4 block, appended to `out` (earlier output may be referred to). */
function decodeBlock(src: Buffer, start: number, end: number, out: Output, maxSize: number): void {
  out.reserve(maxSize);
  const dst = out.bytes;
  const limit = out.length + maxSize;
  let s = start;
  let d = out.length;
  for (;;) {
    if (s >= end) throw corrupt('block ends inside a sequence');
    const token = src[s++];
    let literals = token >>> 4;
    if (literals === 15) {
      let b: number;
      do {
        if (s >= end) throw corrupt('literal length runs past the block');
        b = src[s++];
        literals += b;
      } while (b === 255);
    }
    if (s + literals > end || d + literals > limit) throw corrupt('literals run past the block');
    src.copy(dst, d, s, s + literals);
    s += literals;
    d += literals;
    if (s === end) break; // the last sequence has literals only
    if (s + 2 > end) throw corrupt('match offset runs past the block');
    const offset = src[s] | (src[s + 1] << 8);
    s += 2;
    if (offset === 0 || offset > d) throw corrupt(`match offset ${offset} out of range`);
    let match = (token & 15) + MIN_MATCH;
    if ((token & 15) === 15) {
      let b: number;
      do {
        if (s >= end) throw corrupt('match length runs past the block');
        b = src[s++];
        match += b;
      } while (b === 255);
    }
    if (d + match > limit) throw corrupt('match runs past the block size');
    let from = d - offset;
    if (offset >= match) {
      dst.copy(dst, d, from, from + match);
      d += match;
    } else {
      for (const stop = d + match; d < stop; ) dst[d++] = dst[from++]; // overlapping: repeats the last bytes
    }
  }
  out.length = d;
}

/** The bytes of the LZ4 frame(s) in `src` (skippable frames are passed over). */
export function decodeLz4Frames(src: Buffer): Buffer {
  let out: Output | undefined;
  let at = 0;
  const need = (n: number, what: string) => {
    if (at + n > src.length) throw corrupt(`truncated ${what}`);
  };
  do {
    need(4, 'frame magic');
    const magic = src.readUInt32LE(at);
    at += 4;
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      need(4, 'skippable frame');
      const size = src.readUInt32LE(at);
      at += 4;
      need(size, 'skippable frame');
      at += size;
      continue;
    }
    if (magic !== MAGIC) throw corrupt(`not an LZ4 frame (magic 0x${magic.toString(16)})`);
    need(2, 'frame descriptor');
    const flags = src[at];
    const blockMax = BLOCK_SIZES[(src[at + 1] >>> 4) & 7];
    at += 2;
    if (flags >>> 6 !== 1) throw corrupt(`frame version ${flags >>> 6}`);
    if (blockMax === undefined) throw corrupt('block maximum size');
    const blockChecksums = (flags & 0x10) !== 0;
    const contentSize = (flags & 0x08) !== 0;
    const contentChecksum = (flags & 0x04) !== 0;
    if (flags & 0x01) throw corrupt('a dictionary is needed');
    let expected = -1;
    if (contentSize) {
      need(8, 'content size');
      expected = Number(src.readBigUInt64LE(at));
      at += 8;
    }
    at += 1; // header checksum
    // A declared size is trusted only as far as the input can hold it (LZ4 expands at most 255 times).
    out ??= new Output(Math.min(expected >= 0 ? expected : blockMax, src.length * 255, MAX_INITIAL_BYTES));
    const frameStart = out.length;
    for (;;) {
      need(4, 'block size');
      const word = src.readUInt32LE(at);
      at += 4;
      if (word === 0) break; // end mark
      const size = word & 0x7fffffff;
      if (size > blockMax) throw corrupt(`block of ${size} bytes, above its frame's ${blockMax}`);
      need(size + (blockChecksums ? 4 : 0), 'block');
      if (word & 0x80000000) {
        out.reserve(size);
        src.copy(out.bytes, out.length, at, at + size);
        out.length += size;
      } else {
        decodeBlock(src, at, at + size, out, blockMax);
      }
      at += size + (blockChecksums ? 4 : 0);
    }
    if (expected >= 0 && out.length - frameStart !== expected) throw corrupt(`${out.length - frameStart} bytes decoded, ${expected} declared`);
    if (contentChecksum) {
      need(4, 'content checksum');
      at += 4;
    }
  } while (at < src.length);
  if (!out) throw corrupt('no frame');
  return out.bytes.subarray(0, out.length);
}
