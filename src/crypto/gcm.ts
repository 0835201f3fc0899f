import { createCipheriv, createDecipheriv } from 'node:crypto';

export const GCM_TAG_LENGTH = 12;

function iv(systemTitle: Uint8Array, invocationCounter: number): Uint8Array {
  const out = new Uint8Array(12);
  out.set(systemTitle, 0);
  new DataView(out.buffer).setUint32(8, invocationCounter >>> 0);
  return out;
}

/** AES-128-GCM authentication only (GMAC): tag over the AAD, no plaintext. */
export function gmac(key: Uint8Array, systemTitle: Uint8Array, aad: Uint8Array, invocationCounter = 0): Uint8Array {
  const c = createCipheriv('aes-128-gcm', key, iv(systemTitle, invocationCounter), { authTagLength: GCM_TAG_LENGTH });
  c.setAAD(aad);
  c.final();
  return new Uint8Array(c.getAuthTag());
}

/** AES-128-GCM with a full 16-byte tag, as used for UTRN GMACs (of which the last 4 bytes are kept). */
export function gmac16(key: Uint8Array, systemTitle: Uint8Array, aad: Uint8Array, invocationCounter = 0): Uint8Array {
  const c = createCipheriv('aes-128-gcm', key, iv(systemTitle, invocationCounter));
  c.setAAD(aad);
  c.final();
  return new Uint8Array(c.getAuthTag());
}

export function gcmEncrypt(key: Uint8Array, systemTitle: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, invocationCounter = 0): Uint8Array {
  const c = createCipheriv('aes-128-gcm', key, iv(systemTitle, invocationCounter), { authTagLength: GCM_TAG_LENGTH });
  c.setAAD(aad);
  const body = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
  return new Uint8Array(body);
}

/** Returns the plaintext, or undefined when the tag does not authenticate. */
export function gcmDecrypt(key: Uint8Array, systemTitle: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array, invocationCounter = 0): Uint8Array | undefined {
  if (ciphertextAndTag.length < GCM_TAG_LENGTH) return undefined;
  const d = createDecipheriv('aes-128-gcm', key, iv(systemTitle, invocationCounter), { authTagLength: GCM_TAG_LENGTH });
  d.setAAD(aad);
  d.setAuthTag(ciphertextAndTag.subarray(ciphertextAndTag.length - GCM_TAG_LENGTH));
  const body = d.update(ciphertextAndTag.subarray(0, ciphertextAndTag.length - GCM_TAG_LENGTH));
  try {
    return new Uint8Array(Buffer.concat([body, d.final()]));
  } catch {
    return undefined;
  }
}
