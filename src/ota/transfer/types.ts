/** What the server and the client of an OTA transfer share: image identities and the port frames travel through. */

/** Which firmware: the three fields every OTA cluster command carries. */
export interface ImageId {
  manufacturerCode: number;
  imageType: number;
  fileVersion: number;
}

/** An image the server offered: its identity and size in bytes (header included, as the file declares). */
export interface OfferedImage extends ImageId {
  imageSize: number;
}

export type Unsubscribe = () => void;

/**
 * One end of a link carrying ZCL frames (bytes) to a single peer. `send` never blocks and never throws for link
 * reasons: a frame the link loses is simply not delivered, as on a radio.
 */
export interface FramePort {
  send(frame: Uint8Array): void;
  onReceive(handler: (frame: Uint8Array) => void): Unsubscribe;
}

export function sameImage(a: ImageId, b: ImageId): boolean {
  return a.manufacturerCode === b.manufacturerCode && a.imageType === b.imageType && a.fileVersion === b.fileVersion;
}

export function imageIdOf(image: ImageId): ImageId {
  return { manufacturerCode: image.manufacturerCode, imageType: image.imageType, fileVersion: image.fileVersion };
}

const hex = (n: number, digits: number): string => `0x${n.toString(16).padStart(digits, '0')}`;

/** `0x1234/0x0001 v0x00000002`, for messages and events. */
export function describeImage(image: ImageId): string {
  return `${hex(image.manufacturerCode, 4)}/${hex(image.imageType, 4)} v${hex(image.fileVersion, 8)}`;
}

/** ZCL OTA fields carry whole numbers of fixed width; anything else is a caller's mistake, caught before encoding. */
export function checkUint(value: number, bits: 8 | 16 | 32, what: string): number {
  const max = 2 ** bits - 1;
  if (!Number.isInteger(value) || value < 0 || value > max) throw new RangeError(`${what} must be a whole number 0..${max}, got ${value}`);
  return value;
}
