/**
 * What a GB device checks before it keeps a firmware image as activatable: a well-formed GB image whose
 * signature verifies with the key of the party it trusts (the supplier, in the RTDS test data; a manufacturer in
 * the field), made for its manufacturer, its image type and its hardware. Anything else is refused and never held.
 */
import { toHex } from '../../src/bytes.ts';
import type { PublicKey } from '../../src/crypto/keys.ts';
import { parseGbImage, verifyGbImage, type GbImage } from '../../src/ota/gb-image.ts';
import { hex } from '../../src/ota/policy/catalogue.ts';

/** The parts of a device's identity an image must match. */
export interface ImageIdentity {
  manufacturerCode: number;
  imageType: number;
  hardwareVersion: number;
}

export type ImageRefusal = 'malformed' | 'bad-signature' | 'no-trusted-key' | 'wrong-manufacturer' | 'wrong-image-type' | 'hardware-out-of-range';

/** An image the device keeps: the file as received, and what activation and the receipt alert need of it. */
export interface HeldImage {
  bytes: Uint8Array;
  fileVersion: number;
  /** SHA-256 of the manufacturer image, hex: what CS06 must carry. */
  hash: string;
}

export type ImageCheck = { ok: true; image: HeldImage } | { ok: false; refusal: ImageRefusal; message: string };

function identityProblem(image: GbImage, device: ImageIdentity): { refusal: ImageRefusal; message: string } | undefined {
  const h = image.header;
  if (h.manufacturerCode !== device.manufacturerCode) {
    return { refusal: 'wrong-manufacturer', message: `the image is for manufacturer ${hex(h.manufacturerCode, 4)}; this device is ${hex(device.manufacturerCode, 4)}` };
  }
  if (h.imageType !== device.imageType) return { refusal: 'wrong-image-type', message: `the image is type ${hex(h.imageType, 4)}; this device takes ${hex(device.imageType, 4)}` };
  const range = h.hardwareVersions;
  if (range && (device.hardwareVersion < range.min || device.hardwareVersion > range.max)) {
    return { refusal: 'hardware-out-of-range', message: `the image is for hardware ${hex(range.min, 4)}–${hex(range.max, 4)}; this device is ${hex(device.hardwareVersion, 4)}` };
  }
  return undefined;
}

/** Checks a complete image as the device received it. */
export function checkImage(bytes: Uint8Array, trustedKey: PublicKey | undefined, device: ImageIdentity): ImageCheck {
  if (!trustedKey) return { ok: false, refusal: 'no-trusted-key', message: 'the device holds no key to verify firmware signatures with' };
  const verdict = verifyGbImage(bytes, trustedKey);
  if (!verdict.ok) return { ok: false, refusal: verdict.reason === 'bad-signature' ? 'bad-signature' : 'malformed', message: verdict.message };
  const { image } = parseGbImage(bytes);
  const problem = identityProblem(image, device);
  if (problem) return { ok: false, ...problem };
  return { ok: true, image: { bytes: Uint8Array.from(bytes), fileVersion: image.header.fileVersion, hash: toHex(verdict.manufacturerImageHash).toLowerCase() } };
}
