/**
 * The GB firmware image (GBCS 11.2: Upgrade Image, OTA Upgrade Image, Manufacturer Image Hash).
 *
 *   offset 0    ZigBee OTA header, 60 bytes: field control 0x0004 (hardware version range), stack version 0x0002
 *   offset 60   manufacturer image (the firmware, opaque to everyone but its manufacturer)
 *   then        force-replace byte
 *   then        signature length byte, 0x40
 *   then        64-byte ECDSA P-256 / SHA-256 signature, raw r‖s, over the manufacturer image only
 *   = total image size; the header's total image size covers all of it.
 *
 * Where this differs from a plain ZigBee OTA file: there are NO sub-elements. The manufacturer image is not
 * wrapped in an upgrade-image element (tag 0x0000 + length); it starts right after the header, and the
 * force-replace byte, length byte and signature follow it inside the total image size. Nothing declares the
 * manufacturer image's length: it is the total image size less the header and the 66-byte tail, so the tail is
 * found from the end. A GB image read as an element list is therefore nonsense (the first manufacturer-image
 * bytes would be taken for a tag and length), and a plain OTA file is not a GB image.
 * The signature does not cover the header: header fields can change without invalidating it.
 *
 * Checked against the signed image in the public DUIS template for service request 11.1 (it verifies with the
 * RTDS supplier DS key over exactly the bytes between the header and the tail) and against a public Comms Hub
 * implementation's image builder.
 */
import { createHash } from 'node:crypto';
import type { PrivateKey, PublicKey } from '../crypto/keys.ts';
import { signDeterministic, verifySignature } from '../crypto/ecdsa.ts';
import { OtaImageError, type OtaErrorCode } from './errors.ts';
import { headerStringFromText, OTA_HEADER_VERSION, readOtaHeader, writeOtaHeader, type OtaHeader } from './header.ts';

export const GB_HEADER_LENGTH = 60;
export const GB_FIELD_CONTROL = 0x0004;
export const GB_ZIGBEE_STACK_VERSION = 0x0002;
export const GB_SIGNATURE_LENGTH = 64;
/** Force-replace byte, signature length byte, signature. */
const TAIL_LENGTH = 2 + GB_SIGNATURE_LENGTH;

export interface GbImageBuildOptions {
  manufacturerCode: number;
  imageType: number;
  fileVersion: number;
  minHardwareVersion: number;
  maxHardwareVersion: number;
  /** Printable ASCII, at most 32 characters; NUL-padded. Empty if not given. */
  headerString?: string;
  manufacturerImage: Uint8Array;
  forceReplace?: boolean;
  /** The authorising party's DS private key (the supplier's, in RTDS test data). */
  signingKey: PrivateKey;
}

export interface GbImage {
  header: OtaHeader;
  manufacturerImage: Uint8Array;
  forceReplace: boolean;
  /** Raw r‖s. */
  signature: Uint8Array;
  /** SHA-256 of the manufacturer image: what CS06 Activate Firmware carries. */
  manufacturerImageHash: Uint8Array;
}

export interface GbImageLayout {
  headerLength: number;
  totalImageSize: number;
  fileSize: number;
  manufacturerImageOffset: number;
  manufacturerImageLength: number;
  forceReplaceOffset: number;
  signatureLengthOffset: number;
  signatureOffset: number;
}

export interface ParsedGbImage {
  image: GbImage;
  layout: GbImageLayout;
  /** Bytes after the declared total image size (an OTA server never sends them). */
  trailing: Uint8Array;
}

export function manufacturerImageHash(manufacturerImage: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(manufacturerImage).digest());
}

export function buildGbImage(options: GbImageBuildOptions): Uint8Array {
  const { manufacturerImage } = options;
  const header: OtaHeader = {
    headerVersion: OTA_HEADER_VERSION,
    manufacturerCode: options.manufacturerCode,
    imageType: options.imageType,
    fileVersion: options.fileVersion,
    zigbeeStackVersion: GB_ZIGBEE_STACK_VERSION,
    headerString: headerStringFromText(options.headerString ?? ''),
    hardwareVersions: { min: options.minHardwareVersion, max: options.maxHardwareVersion },
    extraHeaderBytes: new Uint8Array(0),
  };
  const totalImageSize = GB_HEADER_LENGTH + manufacturerImage.length + TAIL_LENGTH;
  const headerBytes = writeOtaHeader(header, totalImageSize); // 56 + hardware versions = GB_HEADER_LENGTH
  const signature = signDeterministic(options.signingKey, manufacturerImage);
  const out = new Uint8Array(totalImageSize);
  out.set(headerBytes, 0);
  out.set(manufacturerImage, GB_HEADER_LENGTH);
  let at = GB_HEADER_LENGTH + manufacturerImage.length;
  out[at++] = options.forceReplace ? 0x01 : 0x00;
  out[at++] = GB_SIGNATURE_LENGTH;
  out.set(signature, at);
  return out;
}

const hex = (n: number, digits: number) => `0x${n.toString(16).padStart(digits, '0')}`;

/** Parses a GB firmware image strictly; refusals are OtaImageError with the offset and the reason. */
export function parseGbImage(bytes: Uint8Array): ParsedGbImage {
  const { header, fieldControl, headerLength, totalImageSize } = readOtaHeader(bytes);
  if (fieldControl !== GB_FIELD_CONTROL || !header.hardwareVersions) {
    throw new OtaImageError('not-gb-header', 8, `field control ${hex(fieldControl, 4)}: a GB image has ${hex(GB_FIELD_CONTROL, 4)} (hardware version range only)`);
  }
  if (header.zigbeeStackVersion !== GB_ZIGBEE_STACK_VERSION) {
    throw new OtaImageError('not-gb-header', 18, `ZigBee stack version ${hex(header.zigbeeStackVersion, 4)}: a GB image has ${hex(GB_ZIGBEE_STACK_VERSION, 4)}`);
  }
  if (headerLength !== GB_HEADER_LENGTH) {
    throw new OtaImageError('gb-header-length', 6, `header length ${headerLength}: a GB image header is ${GB_HEADER_LENGTH} bytes`);
  }
  const bodyLength = totalImageSize - GB_HEADER_LENGTH;
  if (bodyLength < TAIL_LENGTH) {
    throw new OtaImageError('gb-body-too-short', GB_HEADER_LENGTH, `the ${bodyLength} bytes after the header cannot hold the force-replace byte, signature length and ${GB_SIGNATURE_LENGTH}-byte signature (${TAIL_LENGTH} bytes)`);
  }
  const forceReplaceOffset = totalImageSize - TAIL_LENGTH;
  const signatureLengthOffset = forceReplaceOffset + 1;
  const signatureOffset = signatureLengthOffset + 1;
  const signatureLength = bytes[signatureLengthOffset]!;
  if (signatureLength !== GB_SIGNATURE_LENGTH) {
    throw new OtaImageError('gb-signature-length', signatureLengthOffset, `signature length byte is ${hex(signatureLength, 2)}, a GB signature is ${GB_SIGNATURE_LENGTH} bytes (0x40)`);
  }
  const forceReplaceByte = bytes[forceReplaceOffset]!;
  if (forceReplaceByte > 1) {
    throw new OtaImageError('gb-force-replace', forceReplaceOffset, `force-replace byte is ${hex(forceReplaceByte, 2)}, expected 0x00 or 0x01`);
  }
  const manufacturerImage = bytes.slice(GB_HEADER_LENGTH, forceReplaceOffset);
  return {
    image: {
      header,
      manufacturerImage,
      forceReplace: forceReplaceByte === 1,
      signature: bytes.slice(signatureOffset, totalImageSize),
      manufacturerImageHash: manufacturerImageHash(manufacturerImage),
    },
    layout: {
      headerLength,
      totalImageSize,
      fileSize: bytes.length,
      manufacturerImageOffset: GB_HEADER_LENGTH,
      manufacturerImageLength: manufacturerImage.length,
      forceReplaceOffset,
      signatureLengthOffset,
      signatureOffset,
    },
    trailing: bytes.slice(totalImageSize),
  };
}

export type GbVerifyReason =
  /** The signature does not verify over the manufacturer image with the given key. */
  | 'bad-signature'
  /** Header length or total image size disagree with the file (bytes after the total size included). */
  | 'size-mismatch'
  /** The file ends before the image it declares. */
  | 'truncated'
  | 'wrong-signature-length'
  /** Anything else that makes it no GB image: bad magic, not a GB header, bad force-replace byte. */
  | 'malformed';

export type GbVerifyResult =
  | { ok: true; manufacturerImageHash: Uint8Array }
  | { ok: false; reason: GbVerifyReason; message: string; offset?: number };

const REASON_BY_CODE: Partial<Record<OtaErrorCode, GbVerifyReason>> = {
  truncated: 'truncated',
  'total-size-beyond-file': 'truncated',
  'gb-body-too-short': 'truncated',
  'header-length': 'size-mismatch',
  'total-size-below-header': 'size-mismatch',
  'gb-header-length': 'size-mismatch',
  'gb-signature-length': 'wrong-signature-length',
};

/** What a GB device checks before it keeps an image: a well-formed file whose signature verifies. */
export function verifyGbImage(bytes: Uint8Array, publicKey: PublicKey): GbVerifyResult {
  let parsed: ParsedGbImage;
  try {
    // Bytes beyond the total size come first: a shrunken total size would otherwise show up as a misplaced tail.
    const { totalImageSize } = readOtaHeader(bytes);
    const extra = bytes.length - totalImageSize;
    if (extra > 0) {
      const message = `the file has ${extra} byte${extra === 1 ? '' : 's'} after the declared total image size (${totalImageSize})`;
      return { ok: false, reason: 'size-mismatch', message, offset: totalImageSize };
    }
    parsed = parseGbImage(bytes);
  } catch (e) {
    if (!(e instanceof OtaImageError)) throw e;
    return { ok: false, reason: REASON_BY_CODE[e.code] ?? 'malformed', message: e.message, offset: e.offset };
  }
  const { image, layout } = parsed;
  if (!verifySignature(publicKey, image.manufacturerImage, image.signature)) {
    return {
      ok: false,
      reason: 'bad-signature',
      message: `the signature at byte ${layout.signatureOffset} does not verify over the manufacturer image (bytes ${layout.manufacturerImageOffset}–${layout.forceReplaceOffset - 1}) with this key`,
      offset: layout.signatureOffset,
    };
  }
  return { ok: true, manufacturerImageHash: image.manufacturerImageHash };
}
