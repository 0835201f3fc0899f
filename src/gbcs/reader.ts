import { GbcsDecodeError } from './errors.ts';

const hex2 = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;

/**
 * A bounded cursor over a byte array. Every read checks its bounds and throws GbcsDecodeError with the absolute
 * offset (base + position) and what was expected, so nested decoders report offsets in the whole message.
 */
export class Reader {
  pos = 0;

  constructor(
    readonly bytes: Uint8Array,
    readonly base = 0,
  ) {}

  get offset(): number {
    return this.base + this.pos;
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  get done(): boolean {
    return this.pos >= this.bytes.length;
  }

  fail(expected: string, found?: string): never {
    throw new GbcsDecodeError(this.offset, expected, found);
  }

  need(n: number, what: string): void {
    if (n > this.remaining) this.fail(`${what} (${n} byte${n === 1 ? '' : 's'})`, `${this.remaining} left`);
  }

  peek(what = 'a byte'): number {
    this.need(1, what);
    return this.bytes[this.pos]!;
  }

  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.pos++]!;
  }

  u16(what: string): number {
    this.need(2, what);
    const v = (this.bytes[this.pos]! << 8) | this.bytes[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const b = this.bytes;
    const p = this.pos;
    this.pos += 4;
    return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  }

  u64(what: string): bigint {
    this.need(8, what);
    const v = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.pos, 8).getBigUint64(0);
    this.pos += 8;
    return v;
  }

  take(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A sub-reader over the next n bytes, positioned so its offsets stay absolute. */
  sub(n: number, what: string): Reader {
    const at = this.offset;
    return new Reader(this.take(n, what), at);
  }

  rest(): Uint8Array {
    return this.take(this.remaining, 'the rest');
  }

  expectByte(value: number, what: string): void {
    const at = this.offset;
    const b = this.u8(what);
    if (b !== value) throw new GbcsDecodeError(at, `${what} ${hex2(value)}`, hex2(b));
  }

  /** DER-style length: < 0x80 in one byte, else 0x81..0x84 followed by that many bytes. */
  length(what: string): number {
    const at = this.offset;
    const first = this.u8(`${what} length`);
    if (first < 0x80) return first;
    const n = first & 0x7f;
    if (n === 0 || n > 4) throw new GbcsDecodeError(at, `${what} length (short form, or 0x81..0x84)`, hex2(first));
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + this.u8(`${what} length`);
    return v;
  }

  /** Length-prefixed contents: the length, then a sub-reader over exactly that many bytes. */
  lengthPrefixed(what: string): Reader {
    const n = this.length(what);
    return this.sub(n, what);
  }

  end(what: string): void {
    if (this.remaining !== 0) this.fail(`end of ${what}`, `${this.remaining} more byte${this.remaining === 1 ? '' : 's'}`);
  }
}

/** DER-style length encoding, the shortest form. */
export function encodeLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  if (n < 0x100) return Uint8Array.of(0x81, n);
  if (n < 0x10000) return Uint8Array.of(0x82, n >> 8, n & 0xff);
  if (n < 0x1000000) return Uint8Array.of(0x83, n >> 16, (n >> 8) & 0xff, n & 0xff);
  return Uint8Array.of(0x84, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
}

/**
 * Growable byte writer for encoders. It starts at 64 bytes, the largest typed array V8 keeps on its own heap:
 * most writers (headers, other-information, DLMS pieces) never outgrow it, and one that does pays for the buffer
 * it needs rather than every writer paying for an off-heap one.
 */
export class Writer {
  private buf = new Uint8Array(64);
  private len = 0;

  private grow(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  u8(v: number): this {
    this.grow(1);
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    return this.u8(v >> 8).u8(v);
  }

  u32(v: number): this {
    return this.u8(v >>> 24).u8(v >>> 16).u8(v >>> 8).u8(v);
  }

  u64(v: bigint): this {
    this.grow(8);
    new DataView(this.buf.buffer, this.len, 8).setBigUint64(0, v);
    this.len += 8;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.grow(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  length(n: number): this {
    return this.bytes(encodeLength(n));
  }

  lengthPrefixed(b: Uint8Array): this {
    return this.length(b.length).bytes(b);
  }

  get size(): number {
    return this.len;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}
