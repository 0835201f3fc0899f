/** Byte helpers shared by every codec. Hex is lower case on output, any case on input. */

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export class HexError extends Error {
  override readonly name = 'HexError';
}

export function fromHex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, '');
  if (clean.length % 2 !== 0) throw new HexError(`hex text has an odd number of digits (${clean.length})`);
  const bad = /[^0-9a-fA-F]/.exec(clean);
  if (bad) throw new HexError(`not a hex digit at position ${bad.index}: ${JSON.stringify(bad[0])}`);
  return new Uint8Array(Buffer.from(clean, 'hex'));
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  // Past a few dozen bytes a native comparison beats the loop (signed GBCS blocks run to hundreds of bytes).
  if (a.length > 32) return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function u64ToBytes(value: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, value);
  return out;
}

export function bytesToU64(bytes: Uint8Array, at = 0): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(at);
}
