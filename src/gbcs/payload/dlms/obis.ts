import { GbcsEncodeError } from '../../errors.ts';

/** An OBIS code as text, `A-B:C.D.E.F` with decimal groups, e.g. `0-0:19.40.0.255`. */
export type Obis = string;

const OBIS_TEXT = /^(\d{1,3})-(\d{1,3}):(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function formatObis(bytes: Uint8Array): Obis {
  if (bytes.length !== 6) throw new GbcsEncodeError(`an OBIS code is 6 bytes, got ${bytes.length}`);
  const [a, b, c, d, e, f] = bytes as unknown as [number, number, number, number, number, number];
  return `${a}-${b}:${c}.${d}.${e}.${f}`;
}

export function parseObis(text: Obis): Uint8Array {
  const m = OBIS_TEXT.exec(text);
  const groups = m?.slice(1).map(Number);
  if (!groups || groups.some((g) => g > 255)) throw new GbcsEncodeError(`not an OBIS code (A-B:C.D.E.F, each 0..255): ${JSON.stringify(text)}`);
  return Uint8Array.from(groups);
}

export function isObis(text: string): boolean {
  const m = OBIS_TEXT.exec(text);
  return !!m && m.slice(1).every((g) => Number(g) <= 255);
}
