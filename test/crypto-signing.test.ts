import { createHash } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { createHmacDrbg } from '@noble/curves/utils.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signDeterministic, verifySignature } from '../src/crypto/ecdsa.ts';
import { privateKeyFromScalar } from '../src/crypto/keys.ts';
import { P256_N, signP256Digest, signP256Sha256, withRfc6979Nonce } from '../src/crypto/rfc6979.ts';

/**
 * The fast deterministic signer (RFC 6979 nonce, k·G by OpenSSL, s in BigInt) against @noble/curves, the
 * implementation it replaced and keeps as the reference: the bytes must be the same for every key and message.
 */

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const to32 = (n: bigint) => bytes(n.toString(16).padStart(64, '0'));
const noble = (scalar: Uint8Array, message: Uint8Array) => hex(p256.sign(message, scalar, { prehash: true, lowS: false }));
const nobleDigest = (scalar: Uint8Array, digest: Uint8Array) => hex(p256.sign(digest, scalar, { prehash: false, lowS: false }));

/** Private scalars over the whole range 1 … n−1, with the ends weighted in. */
const scalars = fc.oneof(
  { arbitrary: fc.bigInt({ min: 1n, max: P256_N - 1n }), weight: 8 },
  { arbitrary: fc.constantFrom(1n, 2n, P256_N - 1n, P256_N - 2n, (P256_N - 1n) / 2n), weight: 1 },
).map(to32);

/** RFC 6979 appendix A.2.5: ECDSA, 256 bits (prime field), with SHA-256. */
const A25 = {
  x: 'c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721',
  ux: '60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6',
  uy: '7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299',
  vectors: [
    {
      message: 'sample',
      k: 'a6e3c57dd01abe90086538398355dd4c3b17aa873382b0f24d6129493d8aad60',
      r: 'efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716',
      s: 'f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8',
    },
    {
      message: 'test',
      k: 'd16b6ae827f17175e040871a1c7ec3500192c4c92677336ec2537acaee0008e0',
      r: 'f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367',
      s: '019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083',
    },
  ],
};

describe('RFC 6979 deterministic ECDSA P-256/SHA-256', () => {
  it('gives the test vectors of RFC 6979 A.2.5 (key, nonce k, r and s), as noble does', () => {
    const x = bytes(A25.x);
    const key = privateKeyFromScalar(x);
    expect(hex(key.publicKey.raw)).toBe(`04${A25.ux}${A25.uy}`);
    for (const v of A25.vectors) {
      const message = new TextEncoder().encode(v.message);
      const h1 = createHash('sha256').update(message).digest();
      expect(withRfc6979Nonce(x, h1, (_k, kBytes) => hex(kBytes))).toBe(v.k);
      expect(hex(signP256Sha256(x, message))).toBe(v.r + v.s);
      expect(hex(signDeterministic(key, message))).toBe(v.r + v.s);
      expect(noble(x, message)).toBe(v.r + v.s);
      expect(verifySignature(key.publicKey, message, signDeterministic(key, message))).toBe(true);
    }
  });

  it('signs byte for byte as @noble/curves p256.sign(prehash, no low-S) for random keys and messages', () => {
    fc.assert(
      fc.property(scalars, fc.uint8Array({ maxLength: 600 }), (scalar, message) => {
        expect(hex(signP256Sha256(scalar, message))).toBe(noble(scalar, message));
      }),
      { numRuns: 400 },
    );
  });

  it('agrees with noble on digests at and above n (bits2octets reduces h1 mod n before seeding the DRBG)', () => {
    const nearTop = fc.bigInt({ min: P256_N - 1000n, max: (1n << 256n) - 1n }).map(to32);
    const anyDigest = fc.uint8Array({ minLength: 32, maxLength: 32 });
    fc.assert(
      fc.property(scalars, fc.oneof(nearTop, anyDigest, fc.constantFrom(to32(0n), to32(P256_N), to32(P256_N + 1n))), (scalar, digest) => {
        expect(hex(signP256Digest(scalar, digest))).toBe(nobleDigest(scalar, digest));
      }),
      { numRuns: 300 },
    );
  });

  it('draws the same nonces as noble\'s HMAC-DRBG when candidates are rejected (the reseed of step h.3)', () => {
    fc.assert(
      fc.property(scalars, fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 0, max: 4 }), (scalar, h1, rejected) => {
        const ours: string[] = [];
        withRfc6979Nonce(scalar, h1, (_k, kBytes) => (ours.push(hex(kBytes)) > rejected ? true : undefined));
        const theirs: string[] = [];
        const drbg = createHmacDrbg(32, 32, (key: Uint8Array, ...msgs: Uint8Array[]) => hmac(sha256, key, concat(msgs)));
        const h1modN = to32(BigInt(`0x${hex(h1)}`) % P256_N);
        drbg(concat([scalar, h1modN]), (kBytes: Uint8Array) => (theirs.push(hex(kBytes)) > rejected ? true : undefined));
        expect(ours).toEqual(theirs);
      }),
      { numRuns: 100 },
    );
  });

  it('signs through PrivateKey as before, and node:crypto verifies it', () => {
    fc.assert(
      fc.property(scalars, fc.uint8Array({ maxLength: 200 }), (scalar, message) => {
        const key = privateKeyFromScalar(scalar);
        const signature = signDeterministic(key, message);
        expect(hex(signature)).toBe(noble(scalar, message));
        expect(verifySignature(key.publicKey, message, signature)).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it('refuses scalars outside 1 … n−1 and digests of the wrong length', () => {
    expect(() => signP256Sha256(to32(0n), Uint8Array.of(1))).toThrow(RangeError);
    expect(() => signP256Sha256(to32(P256_N), Uint8Array.of(1))).toThrow(RangeError);
    expect(() => signP256Sha256(new Uint8Array(31).fill(1), Uint8Array.of(1))).toThrow(RangeError);
    expect(() => signP256Digest(to32(1n), new Uint8Array(20))).toThrow(RangeError);
  });
});

function concat(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}
