/**
 * The Kafka codecs: frames made by the reference tools (the zstd and lz4 command-line programs),
 * xerial-framed snappy as Java producers send it and raw snappy as librdkafka may; garbage refused
 * with the codec named. The end-to-end test with Kafka's own Java producer is in test/integration.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import kafkajs from 'kafkajs';
import { compress as snappyCompress } from 'snappyjs';
import { DECODERS, installCodecs, UndecodableBatch, unsnappy } from '../../src/kafka/codecs.js';
import { decodeLz4Frames } from '../../src/kafka/lz4.js';
import { fixture } from '../helpers/paths.js';
import { classifyKafkaError } from '../../src/kafka/errors.js';
import { Fault } from '../../src/ports/faults.js';

const TEXT = '{"metric":{"name":"cpu.idle_perc","value":97.5}} repeated repeated repeated repeated';
const hex = (h: string) => Buffer.from(h, 'hex');
// `printf %s "$TEXT" | zstd -c`
const ZSTD_FRAME = hex('28b52ffd04580d020094037b226d6574726963223a7b226e616d65223a226370752e69646c655f70657263222c2276616c7565223a39372e357d7d2072657065617465640100c9b04001b864e7c5');
// `printf %s "$TEXT" | lz4 -c` (content checksum) and `lz4 -c -BX` (block checksums too)
const LZ4_FRAME = hex('04224d186440a744000000ff2a7b226d6574726963223a7b226e616d65223a226370752e69646c655f70657263222c2276616c7565223a39372e357d7d207265706561746564090003506561746564000000008a8093c3');
const LZ4_FRAME_BLOCK_SUMS = hex('04224d187440bd44000000ff2a7b226d6574726963223a7b226e616d65223a226370752e69646c655f70657263222c2276616c7565223a39372e357d7d207265706561746564090003506561746564f706ee39000000008a8093c3');

/** Snappy framed as snappy-java's SnappyOutputStream writes it: magic, version 1, compatible 1, then length-prefixed chunks. */
function xerial(...chunks: string[]): Buffer {
  const header = Buffer.concat([Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]), hex('00000001'), hex('00000001')]);
  const parts = chunks.map((c) => {
    const body = Buffer.from(snappyCompress(Buffer.from(c)));
    const size = Buffer.alloc(4);
    size.writeUInt32BE(body.length);
    return Buffer.concat([size, body]);
  });
  return Buffer.concat([header, ...parts]);
}

describe('decoders', () => {
  test('zstd: a frame of the zstd program', () => {
    assert.equal(DECODERS.zstd(ZSTD_FRAME).toString(), TEXT);
  });

  test('lz4: frames of the lz4 program, with and without block checksums', () => {
    assert.equal(DECODERS.lz4(LZ4_FRAME).toString(), TEXT);
    assert.equal(DECODERS.lz4(LZ4_FRAME_BLOCK_SUMS).toString(), TEXT);
  });

  test('snappy: xerial framing (Java producers), one chunk or several; raw snappy (librdkafka)', () => {
    assert.equal(unsnappy(xerial(TEXT)).toString(), TEXT);
    assert.equal(unsnappy(xerial(TEXT.slice(0, 30), TEXT.slice(30))).toString(), TEXT);
    assert.equal(unsnappy(Buffer.from(snappyCompress(Buffer.from(TEXT)))).toString(), TEXT);
  });

  test('a truncated xerial chunk is refused, not read short', () => {
    const framed = xerial(TEXT);
    assert.throws(() => unsnappy(framed.subarray(0, framed.length - 3)), /truncated xerial snappy chunk/);
  });
});

describe('lz4 frames of the lz4 program', () => {
  const lines = Array.from({ length: 3000 }, (_, i) =>
    JSON.stringify({ metric: { name: 'cpu.idle_perc', dimensions: { hostname: `host-${i % 17}` }, timestamp: 1_700_000_000_000 + i, value: (i % 1000) + 0.5 } }),
  );
  const TEXT_CONTENT = Buffer.from(`${lines.join('\n')}\n`);
  const random = Buffer.alloc(66_000);
  for (let i = 0, x = 2463534242; i < random.length; i++) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    random[i] = x & 255;
  }
  const MIXED = Buffer.concat([TEXT_CONTENT, random]);
  const frame = (name: string) => readFileSync(fixture('lz4', name));

  for (const [name, content] of [
    ['independent-64k.lz4', MIXED],
    ['dependent-64k.lz4', TEXT_CONTENT],
    ['checksums-size-4m.lz4', TEXT_CONTENT],
    ['hc-256k.lz4', TEXT_CONTENT],
  ] as const) {
    test(`${name}: the exact bytes`, () => {
      assert.ok(decodeLz4Frames(frame(name)).equals(content));
    });
  }

  test('two frames one after the other: both', () => {
    const one = frame('hc-256k.lz4');
    assert.ok(decodeLz4Frames(Buffer.concat([one, one])).equals(Buffer.concat([TEXT_CONTENT, TEXT_CONTENT])));
  });

  test('a declared content size is trusted only as far as the input can hold it, and must match', () => {
    // A 19-byte frame declaring 4 GiB of content: refused without allocating it.
    const header = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x68, 0x40]);
    const size = Buffer.alloc(8);
    size.writeBigUInt64LE(0xffffffffn);
    const lying = Buffer.concat([header, size, Buffer.from([0x00]), Buffer.alloc(4)]);
    const before = process.memoryUsage().arrayBuffers;
    assert.throws(() => decodeLz4Frames(lying), /0 bytes decoded, 4294967295 declared/);
    assert.ok(process.memoryUsage().arrayBuffers - before < 64 << 20);
  });

  test('truncated anywhere: refused', () => {
    const whole = frame('independent-64k.lz4');
    for (const cut of [3, 6, 7, 11, 100, 40_000, whole.length - 5, whole.length - 1]) {
      assert.throws(() => decodeLz4Frames(whole.subarray(0, cut)), /corrupt lz4 data/, `cut at ${cut}`);
    }
  });

  test('corrupted bytes never read or write out of bounds: each either throws a clear error or decodes', () => {
    const whole = frame('dependent-64k.lz4');
    let x = 7;
    for (let n = 0; n < 300; n++) {
      x = (x * 48271) % 2147483647;
      const bad = Buffer.from(whole);
      bad[7 + (x % (bad.length - 7))] ^= 1 + (x % 255);
      try {
        const out = decodeLz4Frames(bad);
        assert.ok(out.length <= 4 << 20);
      } catch (e) {
        assert.match((e as Error).message, /^corrupt lz4 data: /);
      }
    }
  });
});

describe('registered with kafkajs', () => {
  const { CompressionCodecs, CompressionTypes } = kafkajs;
  installCodecs();

  test('each codec decompresses; compressing is refused (this client only consumes)', async () => {
    assert.equal((await CompressionCodecs[CompressionTypes.ZSTD]().decompress(ZSTD_FRAME)).toString(), TEXT);
    assert.equal((await CompressionCodecs[CompressionTypes.LZ4]().decompress(LZ4_FRAME)).toString(), TEXT);
    assert.equal((await CompressionCodecs[CompressionTypes.Snappy]().decompress(xerial(TEXT))).toString(), TEXT);
    await assert.rejects(CompressionCodecs[CompressionTypes.ZSTD]().compress({ buffer: Buffer.from(TEXT) } as never), /only consumes/);
  });

  test('garbage: UndecodableBatch naming the codec; classified Kafka lost with topic and partition', async () => {
    for (const [type, name] of [
      [CompressionTypes.ZSTD, 'zstd'],
      [CompressionTypes.LZ4, 'lz4'],
      [CompressionTypes.Snappy, 'snappy'],
    ] as const) {
      const error = await CompressionCodecs[type]()
        .decompress(Buffer.from('definitely not compressed at all'))
        .then(() => undefined, (e: unknown) => e);
      assert.ok(error instanceof UndecodableBatch, `${name}: ${String(error)}`);
      assert.match(error.message, new RegExp(`^cannot decompress a ${name} batch: `));
      const fault = classifyKafkaError(Object.assign(new Error('fetch failed'), { cause: error }), 'metrics', [2]);
      assert.equal(fault.fault, Fault.KAFKA_LOST);
      assert.match(fault.message, new RegExp(`^topic metrics, partition 2: cannot decompress a ${name} batch: .*; stopped rather than skip it$`));
    }
  });
});
