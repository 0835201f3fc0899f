import { OtaBuildError, OtaImageError } from './errors.ts';

/** Little-endian cursor over a whole file; running out of bytes is a `truncated` refusal at the current offset. */
export class LeReader {
  pos = 0;

  constructor(readonly bytes: Uint8Array) {}

  private need(n: number, what: string): void {
    if (this.pos + n > this.bytes.length) {
      throw new OtaImageError('truncated', this.pos, `the file ends at byte ${this.bytes.length}, inside the ${what} (${n} byte${n === 1 ? '' : 's'})`);
    }
  }

  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.pos++]!;
  }

  u16(what: string): number {
    this.need(2, what);
    const v = this.bytes[this.pos]! | (this.bytes[this.pos + 1]! << 8);
    this.pos += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const b = this.bytes;
    const p = this.pos;
    this.pos += 4;
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
  }

  take(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.bytes.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

export function readU16(bytes: Uint8Array, at: number): number {
  return bytes[at]! | (bytes[at + 1]! << 8);
}

export function readU32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}

/** Little-endian writer into a buffer of known size; values are range-checked so nothing is silently truncated. */
export class LeWriter {
  private pos = 0;
  readonly bytes: Uint8Array;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }

  private uint(value: number, size: 1 | 2 | 4, what: string): this {
    const max = 2 ** (8 * size) - 1;
    if (!Number.isInteger(value) || value < 0 || value > max) {
      throw new OtaBuildError(`${what} must be an integer from 0 to 0x${max.toString(16)}, got ${value}`);
    }
    for (let i = 0; i < size; i++) this.bytes[this.pos++] = Math.floor(value / 2 ** (8 * i)) & 0xff;
    return this;
  }

  u8(value: number, what: string): this {
    return this.uint(value, 1, what);
  }

  u16(value: number, what: string): this {
    return this.uint(value, 2, what);
  }

  u32(value: number, what: string): this {
    return this.uint(value, 4, what);
  }

  raw(data: Uint8Array): this {
    this.bytes.set(data, this.pos);
    this.pos += data.length;
    return this;
  }

  finish(): Uint8Array {
    if (this.pos !== this.bytes.length) throw new Error(`LeWriter: wrote ${this.pos} of ${this.bytes.length} bytes`);
    return this.bytes;
  }
}
