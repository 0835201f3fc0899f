import { createHash } from 'node:crypto';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

function deriveKey(parent: Uint8Array | undefined, label: string): Uint8Array {
  const hash = createHash('sha256').update('hanlab/random\0');
  if (parent !== undefined) hash.update(parent);
  return new Uint8Array(hash.update(label, 'utf8').digest());
}

function generatorFromKey(key: Uint8Array): RandomGenerator {
  const view = new DataView(key.buffer, key.byteOffset, 16);
  const state = [0, 4, 8, 12].map((at) => view.getInt32(at));
  // xoroshiro's all-zero state only ever yields zeros; 2^-128 odds, but cheap to rule out.
  const allZero = state.every((word) => word === 0);
  return xoroshiro128plusFromState(allZero ? [0, 0, 0, 1] : state);
}

/**
 * A seeded random source (xoroshiro128+). Same seed, same calls → same values, on any machine.
 *
 * `fork(label)` gives an independent stream that depends only on the seed and the chain of labels, never
 * on how much any stream has been used: giving each device its own fork means adding a device, or a
 * device drawing more numbers, leaves every other device's stream unchanged. Forking the same label twice
 * gives the same stream, so labels must be unique among siblings (device addresses are a good choice).
 */
export class Random {
  private readonly generator: RandomGenerator;

  private constructor(
    private readonly key: Uint8Array,
    /** The seed and fork labels that made this stream, e.g. `42/esme-1/jitter`: for the evidence log. */
    readonly path: string,
  ) {
    this.generator = generatorFromKey(key);
  }

  static fromSeed(seed: number | string): Random {
    if (typeof seed === 'number' && !Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
    const text = String(seed);
    return new Random(deriveKey(undefined, `${typeof seed}:${text}`), text);
  }

  fork(label: string): Random {
    if (label.length === 0) throw new RangeError('fork label must not be empty');
    return new Random(deriveKey(this.key, label), `${this.path}/${label}`);
  }

  /** An integer in [0, 2^32). */
  u32(): number {
    return this.generator.next() >>> 0;
  }

  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min > max) {
      throw new RangeError(`int needs safe integers min <= max, got ${min}..${max}`);
    }
    return uniformInt(this.generator, min, max);
  }

  /** A number in [0, 1). */
  float(): number {
    return uniformFloat64(this.generator);
  }

  bytes(length: number): Uint8Array {
    if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`bytes needs a non-negative integer length, got ${length}`);
    const out = new Uint8Array(length);
    for (let at = 0; at < length; at += 4) {
      let word = this.u32();
      for (let i = at; i < Math.min(at + 4, length); i++) {
        out[i] = word & 0xff;
        word >>>= 8;
      }
    }
    return out;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('cannot pick from an empty list');
    return items[this.int(0, items.length - 1)] as T;
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`chance needs a probability in [0, 1], got ${p}`);
    return this.float() < p;
  }
}
