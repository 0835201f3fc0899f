/**
 * What carrying a ZCL frame costs on IEEE 802.15.4 at 2.4 GHz. A radio frame (PSDU) holds at most 127 bytes, of
 * which a ZigBee stack with network security keeps 45 for itself:
 *   MAC header 9 (short addresses) + FCS 2, NWK header 8, NWK auxiliary security header 14 (frame counter, source
 *   EUI-64, key sequence), NWK MIC 4, APS header 8
 * leaving 82 bytes for the ZCL frame. On the air each frame also carries a 6-byte PHY header (preamble 4, SFD 1,
 * length 1). A longer ZCL frame is split by APS fragmentation, each fragment paying the same overhead.
 */
export const MAX_PSDU_BYTES = 127;
export const PHY_HEADER_BYTES = 6;
export const STACK_OVERHEAD_BYTES = 45;
export const MAX_ZCL_BYTES_PER_FRAME = MAX_PSDU_BYTES - STACK_OVERHEAD_BYTES;

/** One radio frame's share of a ZCL frame: `zclBytes` of payload, `airBytes` on the air. */
export interface RadioFrame {
  zclBytes: number;
  airBytes: number;
}

/** The radio frames a ZCL frame of `length` bytes travels in (at least one, even for an empty frame). */
export function radioFramesFor(length: number, maxZclBytesPerFrame = MAX_ZCL_BYTES_PER_FRAME): RadioFrame[] {
  if (!Number.isInteger(maxZclBytesPerFrame) || maxZclBytesPerFrame < 1) {
    throw new RangeError(`a radio frame must carry at least one ZCL byte, got ${maxZclBytesPerFrame}`);
  }
  const frames: RadioFrame[] = [];
  let left = length;
  do {
    const zclBytes = Math.min(left, maxZclBytesPerFrame);
    frames.push({ zclBytes, airBytes: PHY_HEADER_BYTES + STACK_OVERHEAD_BYTES + zclBytes });
    left -= zclBytes;
  } while (left > 0);
  return frames;
}

/** Time to send `bytes` at `bitsPerSecond`, in ms. */
export function airtimeMs(bytes: number, bitsPerSecond: number): number {
  return (bytes * 8 * 1000) / bitsPerSecond;
}
