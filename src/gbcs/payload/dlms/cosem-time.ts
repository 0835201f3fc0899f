import { GbcsEncodeError } from '../../errors.ts';
import type { Json } from '../types.ts';

/**
 * COSEM date, time and date-time octets (Blue Book 4.1.6.1): date = year(2) month day day-of-week, time = hour
 * minute second hundredths, date-time = date time deviation(2, signed minutes) clock-status. 0xff (0xffff for the
 * year, 0x8000 for the deviation) means "not specified".
 */

const NOT_SPECIFIED_DEVIATION = 0x8000;
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** GBCS activation date-times: all-zero date and time means "now", all 0xff means "never". */
export const COSEM_DATE_TIME_NOW = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x00, 0xff);
export const COSEM_DATE_TIME_NEVER = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x80, 0x00, 0xff);

/** A fully specified UTC date-time as the RTDS writes them: day of week unspecified, deviation unspecified, status 0xff. */
export function cosemDateTime(date: Date): Uint8Array {
  if (Number.isNaN(date.getTime())) throw new GbcsEncodeError('invalid Date');
  const year = date.getUTCFullYear();
  if (year < 0 || year > 0xfffe) throw new GbcsEncodeError(`year ${year} does not fit a COSEM date`);
  return Uint8Array.of(
    year >> 8,
    year & 0xff,
    date.getUTCMonth() + 1,
    date.getUTCDate(),
    0xff,
    date.getUTCHours(),
    date.getUTCMinutes(),
    date.getUTCSeconds(),
    Math.floor(date.getUTCMilliseconds() / 10),
    0x80,
    0x00,
    0xff,
  );
}

function monthText(m: number): string {
  if (m === 0xff) return '*';
  if (m === 0xfd) return 'dst-end';
  if (m === 0xfe) return 'dst-begin';
  return pad(m);
}

function dayText(d: number): string {
  if (d === 0xff) return '*';
  if (d === 0xfd) return '2nd-last';
  if (d === 0xfe) return 'last';
  return pad(d);
}

const field = (v: number, width = 2) => (v === 0xff ? '*' : pad(v, width));

function dateText(b: Uint8Array, at: number): string {
  const year = (b[at]! << 8) | b[at + 1]!;
  return `${year === 0xffff ? '*' : pad(year, 4)}-${monthText(b[at + 2]!)}-${dayText(b[at + 3]!)}`;
}

function timeText(b: Uint8Array, at: number): string {
  return `${field(b[at]!)}:${field(b[at + 1]!)}:${field(b[at + 2]!)}.${field(b[at + 3]!)}`;
}

function plausibleDate(b: Uint8Array, at: number): boolean {
  const month = b[at + 2]!;
  const day = b[at + 3]!;
  const dow = b[at + 4]!;
  return ((month >= 1 && month <= 12) || month >= 0xfd) && ((day >= 1 && day <= 31) || day >= 0xfd) && ((dow >= 1 && dow <= 7) || dow === 0xff);
}

function plausibleTime(b: Uint8Array, at: number): boolean {
  const ok = (v: number, max: number) => v <= max || v === 0xff;
  return ok(b[at]!, 23) && ok(b[at + 1]!, 59) && ok(b[at + 2]!, 59) && ok(b[at + 3]!, 99);
}

function deviation(b: Uint8Array): number {
  return ((b[9]! << 8) | b[10]!) << 16 >> 16;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** True when 12 bytes read sensibly as a COSEM date-time (used to annotate octet-strings that carry one). */
export function looksLikeDateTime(b: Uint8Array): boolean {
  if (b.length !== 12) return false;
  if (sameBytes(b, COSEM_DATE_TIME_NOW) || sameBytes(b, COSEM_DATE_TIME_NEVER)) return true;
  const dev = (b[9]! << 8) | b[10]!;
  const devOk = dev === NOT_SPECIFIED_DEVIATION || Math.abs(deviation(b)) <= 720;
  return plausibleDate(b, 0) && plausibleTime(b, 5) && devOk;
}

/** The ISO form when every field is specified; the deviation is minutes of local time to UTC (UTC = local + deviation). */
function isoDateTime(b: Uint8Array): string | undefined {
  const year = (b[0]! << 8) | b[1]!;
  const [month, day, hour, minute, second] = [b[2]!, b[3]!, b[5]!, b[6]!, b[7]!];
  const hundredths = b[8] === 0xff ? 0 : b[8]!;
  if (year === 0xffff || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59 || hundredths > 99) return undefined;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, hundredths * 10);
  if (new Date(ms).getUTCDate() !== day || year < 1000) return undefined;
  const dev = (b[9]! << 8) | b[10]!;
  const utc = dev === NOT_SPECIFIED_DEVIATION ? ms : ms + deviation(b) * 60_000;
  return new Date(utc).toISOString();
}

export function describeDateTime(b: Uint8Array): { [key: string]: Json } {
  if (sameBytes(b, COSEM_DATE_TIME_NOW)) return { meaning: 'now' };
  if (sameBytes(b, COSEM_DATE_TIME_NEVER)) return { meaning: 'never' };
  const out: { [key: string]: Json } = {};
  const iso = isoDateTime(b);
  if (iso) out.iso = iso;
  else out.text = `${dateText(b, 0)} ${timeText(b, 5)}`;
  const dev = (b[9]! << 8) | b[10]!;
  if (dev !== NOT_SPECIFIED_DEVIATION) out.deviationMinutes = deviation(b);
  if (b[11] !== 0xff) out.clockStatus = b[11]!;
  return out;
}

export function describeDate(b: Uint8Array): { [key: string]: Json } {
  return { text: dateText(b, 0) };
}

export function describeTime(b: Uint8Array): { [key: string]: Json } {
  return { text: timeText(b, 0) };
}
