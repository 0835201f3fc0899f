import { sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import type { PrivateKey, PublicKey } from './keys.ts';
import { signP256Sha256 } from './rfc6979.ts';

/**
 * ECDSA P-256 with SHA-256, signature as raw r||s (64 bytes). Deterministic (RFC 6979) so that a seeded
 * simulation produces the same bytes every run; node's randomised signer is not used for that reason.
 */
export function signDeterministic(key: PrivateKey, data: Uint8Array): Uint8Array {
  // RFC 6979 with k·G done by OpenSSL: the same bytes as @noble/curves' p256.sign(data, scalar, { prehash: true,
  // lowS: false }) (test/crypto-signing.test.ts), about eight times faster.
  return signP256Sha256(key.scalar, data);
}

/** Verification goes through node:crypto (OpenSSL), many times faster than the pure-JS curve. */
export function verifySignature(key: PublicKey, data: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  return nodeVerify('sha256', data, { key: key.object, dsaEncoding: 'ieee-p1363' }, signature);
}

/** Randomised signing through node:crypto, for callers that do not need reproducible bytes. */
export function signRandomised(key: PrivateKey, data: Uint8Array): Uint8Array {
  return new Uint8Array(nodeSign('sha256', data, { key: key.object, dsaEncoding: 'ieee-p1363' }));
}
