/** EUI-64 / entity identifiers as 16 lower-case hex digits, the spelling used in key file names. */
export type Eui = string;

const NORMAL = /^[0-9a-f]{16}$/;

export function normaliseEui(text: string): Eui {
  // Most EUIs handed around are already normal (every one this code makes is): no need to rewrite them.
  if (NORMAL.test(text)) return text;
  const clean = text.replace(/[-:\s]/g, '').toLowerCase();
  if (!NORMAL.test(clean)) throw new Error(`not an EUI-64: ${JSON.stringify(text)}`);
  return clean;
}

/** The value of a lower-case hex digit (normalised EUIs have no others). */
const nibble = (c: number) => (c <= 0x39 ? c - 0x30 : c - 0x57);

export function euiToBytes(eui: Eui): Uint8Array {
  const hex = normaliseEui(eui);
  // Eight bytes parsed by hand: a small array is allocated on the V8 heap, where Buffer.from goes through its pool.
  const out = new Uint8Array(8);
  for (let i = 0; i < 8; i++) out[i] = (nibble(hex.charCodeAt(2 * i)) << 4) | nibble(hex.charCodeAt(2 * i + 1));
  return out;
}


export function euiFromBytes(bytes: Uint8Array): Eui {
  if (bytes.length !== 8) throw new Error(`an EUI-64 has 8 bytes, got ${bytes.length}`);
  return Buffer.from(bytes.buffer, bytes.byteOffset, 8).toString('hex');
}
