import { createECDH, createHash, createHmac, type ECDH } from 'node:crypto';

/**
 * Deterministic ECDSA over P-256 with SHA-256 (RFC 6979), with the expensive part done by OpenSSL: the nonce k
 * comes from RFC 6979's HMAC-DRBG (node:crypto HMAC-SHA-256), R = k·G from OpenSSL's fixed-base multiplication
 * (an ECDH object given k as its private key reports k·G as its public key), and s = k⁻¹(z + r·d) mod n in
 * BigInt. The bytes are those of `p256.sign(data, d, { prehash: true, lowS: false })` from @noble/curves (the
 * property test in test/crypto-signing.test.ts holds them together), many times faster.
 *
 * Not constant-time: the inversion and the BigInt arithmetic take time that depends on k and d. That is fine
 * for the simulator's and the test PKI's keys, which are not secrets; do not sign with production keys here.
 */

/** The order n of the P-256 base point. */
export const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

const BYTES = 32;
const V0 = new Uint8Array(BYTES).fill(0x01);
const K0 = new Uint8Array(BYTES);
const SEP0 = Uint8Array.of(0x00);
const SEP1 = Uint8Array.of(0x01);
/** Most DRBG outputs tried before giving up (each fails with probability about 2⁻³²; noble gives up at 1000). */
const MAX_TRIES = 1000;

/** One ECDH object, reused: setting its private key is the whole cost of R = k·G (node is single-threaded here). */
let baseMultiplier: ECDH | undefined;

function bytesToBigInt(bytes: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`);
}

function bigIntTo32(value: bigint): Buffer {
  return Buffer.from(value.toString(16).padStart(BYTES * 2, '0'), 'hex');
}

const mod = (a: bigint): bigint => {
  const r = a % P256_N;
  return r < 0n ? r + P256_N : r;
};

/** a⁻¹ mod n by the extended Euclidean algorithm (n is prime, 0 < a < n). */
function invert(a: bigint): bigint {
  // Plain variables rather than destructured pairs: a pair is an array made on every one of ~150 rounds.
  let r0 = P256_N;
  let r1 = a;
  let t0 = 0n;
  let t1 = 1n;
  while (r1 !== 0n) {
    const q = r0 / r1;
    const r = r0 - q * r1;
    r0 = r1;
    r1 = r;
    const t = t0 - q * t1;
    t0 = t1;
    t1 = t;
  }
  if (r0 !== 1n) throw new RangeError('not invertible mod n');
  return t0 < 0n ? t0 + P256_N : t0;
}

const hmac = (key: Uint8Array, ...parts: Uint8Array[]): Buffer => {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return h.digest();
};

/**
 * The nonces RFC 6979 section 3.2 draws for private scalar `x` and message digest `h1` (SHA-256 of the
 * message), in order: the first is the one used unless it gives r = 0 or s = 0. `accept` returns a value to
 * stop with, or undefined to draw the next candidate (steps h.1–h.3, with the reseed on rejection).
 */
export function withRfc6979Nonce<T>(x: Uint8Array, h1: Uint8Array, accept: (k: bigint, kBytes: Uint8Array) => T | undefined): T {
  // bits2octets(h1) = int2octets(bits2int(h1) mod n); qlen = hlen = 256, so bits2int is a plain read.
  const seed = [x, bigIntTo32(mod(bytesToBigInt(h1)))];
  let k: Uint8Array = hmac(K0, V0, SEP0, ...seed);
  let v: Uint8Array = hmac(k, V0);
  k = hmac(k, v, SEP1, ...seed);
  v = hmac(k, v);
  for (let i = 0; i < MAX_TRIES; i++) {
    v = hmac(k, v);
    const candidate = bytesToBigInt(v);
    if (candidate >= 1n && candidate < P256_N) {
      const out = accept(candidate, v);
      if (out !== undefined) return out;
    }
    k = hmac(k, v, SEP0);
    v = hmac(k, v);
  }
  throw new Error('RFC 6979: no usable nonce');
}

/** The x coordinate of k·G, computed by OpenSSL. */
function baseMultiplyX(kBytes: Uint8Array): bigint {
  baseMultiplier ??= createECDH('prime256v1');
  baseMultiplier.setPrivateKey(kBytes);
  // Compressed form: 02/03 || x, no need to have y encoded.
  return bytesToBigInt(baseMultiplier.getPublicKey(null, 'compressed').subarray(1));
}

/**
 * RFC 6979 deterministic ECDSA P-256/SHA-256 over `data` (hashed here) with the 32-byte private scalar
 * `scalar` (1 ≤ d < n). Returns r ‖ s, 64 bytes, s not normalised to the lower half.
 */
export function signP256Sha256(scalar: Uint8Array, data: Uint8Array): Uint8Array {
  return signP256Digest(scalar, createHash('sha256').update(data).digest());
}

/** As `signP256Sha256`, given h1 = SHA-256(message) (noble's `prehash: false`). */
export function signP256Digest(scalar: Uint8Array, h1: Uint8Array): Uint8Array {
  if (scalar.length !== BYTES) throw new RangeError(`a P-256 private scalar is ${BYTES} bytes, got ${scalar.length}`);
  if (h1.length !== BYTES) throw new RangeError(`a SHA-256 digest is ${BYTES} bytes, got ${h1.length}`);
  const d = bytesToBigInt(scalar);
  if (d < 1n || d >= P256_N) throw new RangeError('not a valid P-256 private scalar');
  const z = mod(bytesToBigInt(h1));
  return withRfc6979Nonce(scalar, h1, (k, kBytes) => {
    const r = mod(baseMultiplyX(kBytes));
    if (r === 0n) return undefined;
    const s = mod(invert(k) * mod(z + r * d));
    if (s === 0n) return undefined;
    const out = new Uint8Array(64);
    out.set(bigIntTo32(r), 0);
    out.set(bigIntTo32(s), 32);
    return out;
  });
}
