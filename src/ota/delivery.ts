/**
 * How the DCC hands a Comms Hub a firmware image (CS05a for the hub itself, CS05b for its meters). GBCS leaves
 * that hand-over outside GBCS; hanlab models it as its own envelope protocol, `firmware`, from the head-end's
 * firmware channel (`<head-end address>.firmware`) to the hub:
 *
 *   offset 0   format version, 0x01
 *   offset 1   n, the number of target devices (1..255)
 *   offset 2   n × 8 bytes: the targets' EUI-64s (the hub's own for CS05a)
 *   then       u32 big-endian: the image length L
 *   then       L bytes: the GB firmware image, exactly as the supplier provided it (nothing follows)
 */
import { euiFromBytes, euiToBytes, type Eui } from '../crypto/eui.ts';

export const FIRMWARE_DELIVERY_PROTOCOL = 'firmware';
const DELIVERY_FORMAT = 0x01;

/** The bus address the head-end hands images to hubs from. */
export function firmwareChannelOf(headEndAddress: string): string {
  return `${headEndAddress}.firmware`;
}

export interface FirmwareDelivery {
  targets: Eui[];
  image: Uint8Array;
}

export class FirmwareDeliveryError extends Error {
  override readonly name = 'FirmwareDeliveryError';
}

export function encodeFirmwareDelivery(d: FirmwareDelivery): Uint8Array {
  if (d.targets.length < 1 || d.targets.length > 255) throw new FirmwareDeliveryError(`a delivery names 1 to 255 targets, got ${d.targets.length}`);
  const out = new Uint8Array(2 + 8 * d.targets.length + 4 + d.image.length);
  out[0] = DELIVERY_FORMAT;
  out[1] = d.targets.length;
  d.targets.forEach((t, i) => out.set(euiToBytes(t), 2 + 8 * i));
  const at = 2 + 8 * d.targets.length;
  new DataView(out.buffer).setUint32(at, d.image.length);
  out.set(d.image, at + 4);
  return out;
}

/** Reads a delivery exactly: a wrong format, a short or overlong envelope is refused with the reason. */
export function decodeFirmwareDelivery(bytes: Uint8Array): FirmwareDelivery {
  if (bytes.length < 2) throw new FirmwareDeliveryError(`${bytes.length} bytes: too short for a firmware delivery`);
  if (bytes[0] !== DELIVERY_FORMAT) throw new FirmwareDeliveryError(`format 0x${bytes[0]!.toString(16)}: this build reads format 0x01`);
  const n = bytes[1]!;
  const lengthAt = 2 + 8 * n;
  if (n === 0 || bytes.length < lengthAt + 4) throw new FirmwareDeliveryError(`a delivery of ${bytes.length} bytes cannot hold ${n} targets and the image length`);
  const targets = Array.from({ length: n }, (_, i) => euiFromBytes(bytes.subarray(2 + 8 * i, 10 + 8 * i)));
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(lengthAt);
  if (bytes.length !== lengthAt + 4 + length) throw new FirmwareDeliveryError(`the image is declared as ${length} bytes; ${bytes.length - lengthAt - 4} follow`);
  return { targets, image: bytes.slice(lengthAt + 4) };
}
