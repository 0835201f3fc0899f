import { createECDH, type KeyObject } from 'node:crypto';
import type { PrivateKey, PublicKey } from './keys.ts';

/** Raw ECDH shared secret Z (the x coordinate, 32 bytes). */
export function ecdh(priv: PrivateKey, pub: PublicKey): Uint8Array {
  const e = createECDH('prime256v1');
  e.setPrivateKey(priv.scalar);
  return new Uint8Array(e.computeSecret(pub.raw));
}

/**
 * Z depends only on the key pair, so it is computed once per (private, public) pair. Keyed by the keys' node
 * KeyObjects: key stores (and lazily derived keys) hand out the same ones for the same key.
 */
export class SharedSecretCache {
  private readonly byPrivate = new WeakMap<KeyObject, WeakMap<KeyObject, Uint8Array>>();
  hits = 0;
  misses = 0;

  constructor(private readonly enabled = true) {}

  get(priv: PrivateKey, pub: PublicKey): Uint8Array {
    if (!this.enabled) return ecdh(priv, pub);
    let inner = this.byPrivate.get(priv.object);
    if (!inner) this.byPrivate.set(priv.object, (inner = new WeakMap()));
    let z = inner.get(pub.object);
    if (z) {
      this.hits++;
      return z;
    }
    this.misses++;
    z = ecdh(priv, pub);
    inner.set(pub.object, z);
    return z;
  }
}

/**
 * The process-wide cache GbcsSecurity uses unless given its own. Entries are keyed by the key objects
 * themselves (weakly), so keys that are no longer used take their secrets with them.
 */
export const sharedSecrets = new SharedSecretCache();
