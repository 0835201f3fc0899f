/**
 * Frames on a serial byte stream, HDLC-style (docs/rigs.md):
 *
 *   0x7E | stuffed( length: u32 BE | payload | CRC-32 BE over length and payload ) | 0x7E
 *
 * Inside a frame 0x7E and 0x7D are sent as 0x7D followed by the byte XOR 0x20. A 0x7E always ends
 * whatever came before it, so however a frame was damaged, the decoder is back in step at the next flag.
 */
import { TransportError } from '../transport/errors.ts';

export const FLAG = 0x7e;
export const ESCAPE = 0x7d;
const ESCAPE_XOR = 0x20;
const LENGTH_BYTES = 4;
const CRC_BYTES = 4;
const OVERHEAD = LENGTH_BYTES + CRC_BYTES;

/** Largest payload a frame may carry unless the caller says otherwise: room for a firmware image in one envelope. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 4 * 1024 * 1024;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 as in Ethernet and zlib (reflected 0x04C11DB7, init and final XOR 0xFFFFFFFF); "123456789" gives 0xCBF43926. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) crc = (CRC_TABLE[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** How a stretch of the line failed to be a frame. */
export type FrameErrorKind =
  /** Bytes before the first flag the decoder saw (it started listening mid-frame, or line noise). */
  | 'unsynchronised'
  /** An escape byte right before a flag: the sender abandoned the frame. */
  | 'aborted'
  /** Fewer bytes than a length and a CRC. */
  | 'too-short'
  /** The length field disagrees with the bytes between the flags (bytes lost or gained on the line). */
  | 'length-mismatch'
  | 'crc-mismatch'
  /** Longer than the decoder's limit; counted, never buffered. */
  | 'oversize'
  /** The line closed or was reset with a frame half received. */
  | 'truncated';

/** Bytes on the line that were not a valid frame. Received frames before and after are unaffected. */
export class FrameError extends TransportError {
  override readonly name = 'FrameError';
  constructor(
    readonly kind: FrameErrorKind,
    /** Bytes discarded, as they were on the line (escapes included, flags not). */
    readonly byteCount: number,
    detail?: string,
  ) {
    super(`${byteCount} bytes on the serial line discarded: ${kind}${detail === undefined ? '' : ` (${detail})`}`);
  }
}

export type DecodedItem = { readonly type: 'frame'; readonly payload: Uint8Array } | { readonly type: 'error'; readonly error: FrameError };

export interface FramingOptions {
  readonly maxPayloadBytes?: number;
}

/** One frame, flags at both ends. Throws RangeError when the payload exceeds `maxPayloadBytes`. */
export function encodeFrame(payload: Uint8Array, options: FramingOptions = {}): Uint8Array {
  const max = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  if (payload.length > max) throw new RangeError(`frame payload of ${payload.length} bytes exceeds the ${max}-byte limit`);
  const body = new Uint8Array(payload.length + OVERHEAD);
  const view = new DataView(body.buffer);
  view.setUint32(0, payload.length);
  body.set(payload, LENGTH_BYTES);
  view.setUint32(LENGTH_BYTES + payload.length, crc32(body, 0, LENGTH_BYTES + payload.length));
  let escapes = 0;
  for (const byte of body) if (byte === FLAG || byte === ESCAPE) escapes++;
  const out = new Uint8Array(body.length + escapes + 2);
  let at = 0;
  out[at++] = FLAG;
  for (const byte of body) {
    if (byte === FLAG || byte === ESCAPE) {
      out[at++] = ESCAPE;
      out[at++] = byte ^ ESCAPE_XOR;
    } else {
      out[at++] = byte;
    }
  }
  out[at] = FLAG;
  return out;
}

/**
 * Turns chunks of a byte stream, cut anywhere, into frames and FrameErrors in line order. Keeps at most
 * one frame's worth of bytes; a bad stretch is reported with its size and the decoder carries on at the
 * next flag.
 */
export class FrameDecoder {
  private readonly maxBodyBytes: number;
  private body: Uint8Array = new Uint8Array(256);
  private bodyLength = 0;
  /** Bytes on the line since the last flag. */
  private rawCount = 0;
  private synchronised = false;
  private escaping = false;
  private oversize = false;

  constructor(options: FramingOptions = {}) {
    this.maxBodyBytes = (options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES) + OVERHEAD;
  }

  push(chunk: Uint8Array): DecodedItem[] {
    const items: DecodedItem[] = [];
    for (const byte of chunk) {
      if (byte === FLAG) {
        const item = this.endOfStretch();
        if (item !== undefined) items.push(item);
        continue;
      }
      this.rawCount++;
      if (!this.synchronised || this.oversize) continue;
      if (this.escaping) {
        this.escaping = false;
        this.append(byte ^ ESCAPE_XOR);
      } else if (byte === ESCAPE) {
        this.escaping = true;
      } else {
        this.append(byte);
      }
    }
    return items;
  }

  /** Forgets a half-received frame (the port closed or reopened), reporting it if there was one. */
  reset(): FrameError | undefined {
    const pending = this.rawCount;
    this.startStretch();
    this.synchronised = false;
    return pending > 0 ? new FrameError('truncated', pending, 'the line was reset mid-frame') : undefined;
  }

  private append(byte: number): void {
    if (this.bodyLength === this.maxBodyBytes) {
      this.oversize = true;
      this.body = new Uint8Array(256);
      return;
    }
    if (this.bodyLength === this.body.length) {
      const grown = new Uint8Array(Math.min(this.body.length * 2, this.maxBodyBytes));
      grown.set(this.body);
      this.body = grown;
    }
    this.body[this.bodyLength++] = byte;
  }

  private endOfStretch(): DecodedItem | undefined {
    const item = this.judgeStretch();
    this.startStretch();
    this.synchronised = true;
    return item;
  }

  private judgeStretch(): DecodedItem | undefined {
    const raw = this.rawCount;
    // Back-to-back flags are idle fill between frames, not an error.
    if (raw === 0) return undefined;
    const fail = (kind: FrameErrorKind, detail?: string): DecodedItem => ({ type: 'error', error: new FrameError(kind, raw, detail) });
    if (!this.synchronised) return fail('unsynchronised');
    if (this.escaping) return fail('aborted');
    if (this.oversize) return fail('oversize', `limit ${this.maxBodyBytes - OVERHEAD} payload bytes`);
    const length = this.bodyLength;
    if (length < OVERHEAD) return fail('too-short', `${length} bytes after unstuffing`);
    const view = new DataView(this.body.buffer, 0, length);
    const declared = view.getUint32(0);
    const actual = length - OVERHEAD;
    if (declared !== actual) return fail('length-mismatch', `declares ${declared} payload bytes, carries ${actual}`);
    const expected = view.getUint32(length - CRC_BYTES);
    const computed = crc32(this.body, 0, length - CRC_BYTES);
    if (expected !== computed) return fail('crc-mismatch', `CRC ${hex(expected)}, computed ${hex(computed)}`);
    return { type: 'frame', payload: this.body.slice(LENGTH_BYTES, LENGTH_BYTES + actual) };
  }

  private startStretch(): void {
    this.bodyLength = 0;
    this.rawCount = 0;
    this.escaping = false;
    this.oversize = false;
    if (this.body.length > 64 * 1024) this.body = new Uint8Array(256);
  }
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}
