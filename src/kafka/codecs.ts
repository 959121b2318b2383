/**
 * Decompression of every Kafka codec: gzip is built into kafkajs; snappy, lz4 and zstd are
 * registered here, with pure JavaScript decoders (nothing to build or download at install time):
 * snappyjs, fzstd, and our own LZ4 frame decoder (lz4.ts; the JavaScript lz4 packages on npm
 * either read block checksums wrongly or need a bundler for their WebAssembly). This client only
 * consumes: compressing is refused.
 *
 * - snappy: Java producers (snappy-java) frame it (xerial: a 16-byte header, then chunks each
 *   preceded by its length); librdkafka may send raw snappy. Both are read.
 * - lz4: an LZ4 frame (with or without checksums).
 * - zstd: a Zstandard frame.
 * A batch that cannot be decoded throws UndecodableBatch, which stops the pipeline (exit 69).
 */
import kafkajs from 'kafkajs';
import { decompress as zstdDecompress } from 'fzstd';
import { uncompress as snappyUncompress } from 'snappyjs';
import { decodeLz4Frames } from './lz4.js';

const { CompressionCodecs, CompressionTypes } = kafkajs;

/** A compressed batch whose codec failed on it. */
export class UndecodableBatch extends Error {
  constructor(
    readonly codec: string,
    cause: unknown,
  ) {
    super(`cannot decompress a ${codec} batch: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'UndecodableBatch';
  }
}

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Snappy, xerial-framed or raw. */
export function unsnappy(data: Buffer): Buffer {
  if (data.length < XERIAL_HEADER_BYTES || !data.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) return asBuffer(snappyUncompress(data));
  const chunks: Buffer[] = [];
  for (let at = XERIAL_HEADER_BYTES; at < data.length; ) {
    if (at + 4 > data.length) throw new Error('truncated xerial snappy chunk header');
    const size = data.readUInt32BE(at);
    at += 4;
    if (at + size > data.length) throw new Error('truncated xerial snappy chunk');
    chunks.push(asBuffer(snappyUncompress(data.subarray(at, at + size))));
    at += size;
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

export const DECODERS: Readonly<Record<'snappy' | 'lz4' | 'zstd', (data: Buffer) => Buffer>> = {
  snappy: unsnappy,
  lz4: decodeLz4Frames,
  zstd: (data) => asBuffer(zstdDecompress(data)),
};

function codec(name: keyof typeof DECODERS) {
  const decode = DECODERS[name];
  return () => ({
    async compress(): Promise<Buffer> {
      throw new Error(`${name} compression is not supported: this client only consumes`);
    },
    async decompress(data: Buffer): Promise<Buffer> {
      try {
        return decode(data);
      } catch (error) {
        throw new UndecodableBatch(name, error);
      }
    },
  });
}

let installed = false;

/** Registers the decoders with kafkajs (once; kafkajs keeps codecs process-wide). */
export function installCodecs(): void {
  if (installed) return;
  installed = true;
  CompressionCodecs[CompressionTypes.Snappy] = codec('snappy');
  CompressionCodecs[CompressionTypes.LZ4] = codec('lz4');
  CompressionCodecs[CompressionTypes.ZSTD] = codec('zstd');
}
