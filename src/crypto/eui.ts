/** EUI-64 / entity identifiers as 16 lower-case hex digits, the spelling used in key file names. */
export type Eui = string;

export function normaliseEui(text: string): Eui {
  const clean = text.replace(/[-:\s]/g, '').toLowerCase();
  if (!/^[0-9a-f]{16}$/.test(clean)) throw new Error(`not an EUI-64: ${JSON.stringify(text)}`);
  return clean;
}

export function euiToBytes(eui: Eui): Uint8Array {
  return new Uint8Array(Buffer.from(normaliseEui(eui), 'hex'));
}

export function euiFromBytes(bytes: Uint8Array): Eui {
  if (bytes.length !== 8) throw new Error(`an EUI-64 has 8 bytes, got ${bytes.length}`);
  return Buffer.from(bytes).toString('hex');
}
