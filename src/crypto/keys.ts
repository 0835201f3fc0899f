import { createECDH, createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';

/** A P-256 public key: the uncompressed SEC1 point and node's key object for fast verification. */
export interface PublicKey {
  readonly raw: Uint8Array; // 65 bytes, 04 || x || y
  readonly object: KeyObject;
}

/** A P-256 private key: the 32-byte scalar (for deterministic signing) and node's key object. */
export interface PrivateKey {
  readonly scalar: Uint8Array;
  readonly object: KeyObject;
  readonly publicKey: PublicKey;
}

export class KeyFormatError extends Error {
  override readonly name = 'KeyFormatError';
}

const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');
const fromB64url = (s: string | undefined): Uint8Array => new Uint8Array(Buffer.from(s ?? '', 'base64url'));

function rawFromObject(object: KeyObject): Uint8Array {
  const jwk = object.export({ format: 'jwk' });
  if (jwk.crv !== 'P-256') throw new KeyFormatError(`expected a P-256 key, got ${jwk.crv ?? object.asymmetricKeyType}`);
  const out = new Uint8Array(65);
  out[0] = 4;
  out.set(fromB64url(jwk.x), 1);
  out.set(fromB64url(jwk.y), 33);
  return out;
}

export function publicKeyFromRaw(raw: Uint8Array): PublicKey {
  if (raw.length !== 65 || raw[0] !== 4) throw new KeyFormatError('not an uncompressed P-256 point (65 bytes starting 04)');
  let object: KeyObject;
  try {
    // OpenSSL refuses a point that is not on the curve.
    object = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64url(raw.subarray(1, 33)), y: b64url(raw.subarray(33, 65)) }, format: 'jwk' });
  } catch (e) {
    throw new KeyFormatError(`not a valid P-256 point: ${(e as Error).message}`);
  }
  return { raw: new Uint8Array(raw), object };
}

/** Reads a public key from PEM: an X.509 certificate (as in the RTDS keystore) or a SubjectPublicKeyInfo. */
export function publicKeyFromPem(pem: string): PublicKey {
  try {
    const object = pem.includes('BEGIN CERTIFICATE') ? new X509Certificate(pem).publicKey : createPublicKey(pem);
    return { raw: rawFromObject(object), object };
  } catch (e) {
    if (e instanceof KeyFormatError) throw e;
    throw new KeyFormatError(`unreadable public key PEM: ${(e as Error).message}`);
  }
}

export function privateKeyFromScalar(scalar: Uint8Array): PrivateKey {
  if (!p256.utils.isValidSecretKey(scalar)) throw new KeyFormatError('not a valid P-256 private scalar');
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(scalar);
  const raw = new Uint8Array(ecdh.getPublicKey());
  const jwk = { kty: 'EC', crv: 'P-256', x: b64url(raw.subarray(1, 33)), y: b64url(raw.subarray(33, 65)), d: b64url(scalar) };
  const object = createPrivateKey({ key: jwk, format: 'jwk' });
  return { scalar: new Uint8Array(scalar), object, publicKey: publicKeyFromRaw(raw) };
}

export function privateKeyFromPem(pem: string): PrivateKey {
  let object: KeyObject;
  try {
    object = createPrivateKey(pem);
  } catch (e) {
    throw new KeyFormatError(`unreadable private key PEM: ${(e as Error).message}`);
  }
  const jwk = object.export({ format: 'jwk' });
  if (jwk.crv !== 'P-256') throw new KeyFormatError(`expected a P-256 key, got ${jwk.crv ?? object.asymmetricKeyType}`);
  return privateKeyFromScalar(fromB64url(jwk.d));
}

export function privateKeyToPem(key: PrivateKey): string {
  return key.object.export({ format: 'pem', type: 'pkcs8' }).toString();
}

export function publicKeyToPem(key: PublicKey): string {
  return key.object.export({ format: 'pem', type: 'spki' }).toString();
}
