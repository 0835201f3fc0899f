import { normaliseEui, type Eui } from '../crypto/eui.ts';
import { OtaBuildError, OtaImageError } from './errors.ts';
import { LeReader, LeWriter } from './le.ts';

export const OTA_MAGIC = 0x0beef11e;
export const OTA_HEADER_VERSION = 0x0100;
/** Magic through total image size, before any optional field. */
export const OTA_BASE_HEADER_LENGTH = 56;
export const OTA_HEADER_STRING_LENGTH = 32;

/** Field control bits: each one adds an optional field, in this order, after the base header. */
export const FieldControlBit = {
  securityCredentialVersion: 0x0001,
  upgradeFileDestination: 0x0002,
  hardwareVersions: 0x0004,
} as const;
const KNOWN_FIELD_CONTROL_BITS = 0x0007;

export const ZIGBEE_STACK_NAMES: Readonly<Record<number, string>> = {
  0x0000: 'ZigBee 2006',
  0x0001: 'ZigBee 2007',
  0x0002: 'ZigBee PRO',
  0x0003: 'ZigBee IP',
};

export interface HardwareVersionRange {
  min: number;
  max: number;
}

/**
 * The ZigBee OTA header as written in the file. Field control, header length and total image size are not kept:
 * they follow from the optional fields present, `extraHeaderBytes` and the rest of the file.
 */
export interface OtaHeader {
  headerVersion: number;
  manufacturerCode: number;
  imageType: number;
  fileVersion: number;
  zigbeeStackVersion: number;
  /** Exactly 32 bytes, as in the file (usually text padded with NULs). */
  headerString: Uint8Array;
  securityCredentialVersion?: number;
  /** An EUI-64, spelled as usual (most significant byte first); the file stores it little-endian. */
  upgradeFileDestination?: Eui;
  hardwareVersions?: HardwareVersionRange;
  /** Bytes the header length declares beyond the fields the field control asks for. */
  extraHeaderBytes: Uint8Array;
}

/** The header as read, with the size fields the file declared. */
export interface ReadOtaHeader {
  header: OtaHeader;
  fieldControl: number;
  headerLength: number;
  totalImageSize: number;
}

export function fieldControlOf(header: OtaHeader): number {
  let fc = 0;
  if (header.securityCredentialVersion !== undefined) fc |= FieldControlBit.securityCredentialVersion;
  if (header.upgradeFileDestination !== undefined) fc |= FieldControlBit.upgradeFileDestination;
  if (header.hardwareVersions !== undefined) fc |= FieldControlBit.hardwareVersions;
  return fc;
}

function fieldsLength(fieldControl: number): number {
  let n = OTA_BASE_HEADER_LENGTH;
  if (fieldControl & FieldControlBit.securityCredentialVersion) n += 1;
  if (fieldControl & FieldControlBit.upgradeFileDestination) n += 8;
  if (fieldControl & FieldControlBit.hardwareVersions) n += 4;
  return n;
}

export function headerLengthOf(header: OtaHeader): number {
  return fieldsLength(fieldControlOf(header)) + header.extraHeaderBytes.length;
}

const hex = (n: number, digits: number) => `0x${n.toString(16).padStart(digits, '0')}`;

/**
 * Reads and checks the header: magic, a version whose layout we know, no reserved field-control bits (their
 * fields' sizes are unknown), a header length that holds the fields, and a total image size that covers the
 * header and fits in the file. What follows the header is the caller's business.
 */
export function readOtaHeader(bytes: Uint8Array): ReadOtaHeader {
  const r = new LeReader(bytes);
  const magic = r.u32('OTA upgrade file identifier');
  if (magic !== OTA_MAGIC) throw new OtaImageError('bad-magic', 0, `OTA upgrade file identifier is ${hex(magic, 8)}, expected ${hex(OTA_MAGIC, 8)}`);
  const headerVersion = r.u16('header version');
  if (headerVersion >> 8 !== OTA_HEADER_VERSION >> 8) {
    throw new OtaImageError('unsupported-header-version', 4, `header version ${hex(headerVersion, 4)}: only major version 1 (0x01xx) has a known layout`);
  }
  const headerLength = r.u16('header length');
  const fieldControl = r.u16('field control');
  if (fieldControl & ~KNOWN_FIELD_CONTROL_BITS) {
    throw new OtaImageError('reserved-field-control-bits', 8, `field control ${hex(fieldControl, 4)} sets reserved bits ${hex(fieldControl & ~KNOWN_FIELD_CONTROL_BITS, 4)}, whose fields have no known size`);
  }
  const needed = fieldsLength(fieldControl);
  if (headerLength < needed) {
    throw new OtaImageError('header-length', 6, `header length ${headerLength} is shorter than the ${needed} bytes field control ${hex(fieldControl, 4)} requires`);
  }
  const manufacturerCode = r.u16('manufacturer code');
  const imageType = r.u16('image type');
  const fileVersion = r.u32('file version');
  const zigbeeStackVersion = r.u16('ZigBee stack version');
  const headerString = r.take(OTA_HEADER_STRING_LENGTH, 'header string');
  const totalImageSize = r.u32('total image size');
  if (totalImageSize < headerLength) {
    throw new OtaImageError('total-size-below-header', 52, `total image size ${totalImageSize} is smaller than the header length ${headerLength}`);
  }
  if (totalImageSize > bytes.length) {
    throw new OtaImageError('total-size-beyond-file', 52, `total image size ${totalImageSize} is larger than the file (${bytes.length} bytes)`);
  }
  const header: OtaHeader = { headerVersion, manufacturerCode, imageType, fileVersion, zigbeeStackVersion, headerString, extraHeaderBytes: new Uint8Array(0) };
  // From here on every read lies inside headerLength <= totalImageSize <= file length.
  if (fieldControl & FieldControlBit.securityCredentialVersion) header.securityCredentialVersion = r.u8('security credential version');
  if (fieldControl & FieldControlBit.upgradeFileDestination) {
    header.upgradeFileDestination = Buffer.from(r.take(8, 'upgrade file destination').reverse()).toString('hex');
  }
  if (fieldControl & FieldControlBit.hardwareVersions) {
    header.hardwareVersions = { min: r.u16('minimum hardware version'), max: r.u16('maximum hardware version') };
  }
  header.extraHeaderBytes = r.take(headerLength - needed, 'extra header bytes');
  return { header, fieldControl, headerLength, totalImageSize };
}

function checkedEui(text: string): Uint8Array {
  try {
    return new Uint8Array(Buffer.from(normaliseEui(text), 'hex'));
  } catch {
    throw new OtaBuildError(`upgrade file destination ${JSON.stringify(text)} is not an EUI-64 (16 hex digits)`);
  }
}

/** The header's bytes for a file of `totalImageSize` bytes (header included). */
export function writeOtaHeader(header: OtaHeader, totalImageSize: number): Uint8Array {
  if (header.headerString.length !== OTA_HEADER_STRING_LENGTH) {
    throw new OtaBuildError(`header string must be ${OTA_HEADER_STRING_LENGTH} bytes, got ${header.headerString.length}`);
  }
  const headerLength = headerLengthOf(header);
  const w = new LeWriter(headerLength)
    .u32(OTA_MAGIC, 'magic')
    .u16(header.headerVersion, 'header version')
    .u16(headerLength, 'header length')
    .u16(fieldControlOf(header), 'field control')
    .u16(header.manufacturerCode, 'manufacturer code')
    .u16(header.imageType, 'image type')
    .u32(header.fileVersion, 'file version')
    .u16(header.zigbeeStackVersion, 'ZigBee stack version')
    .raw(header.headerString)
    .u32(totalImageSize, 'total image size');
  if (header.securityCredentialVersion !== undefined) w.u8(header.securityCredentialVersion, 'security credential version');
  if (header.upgradeFileDestination !== undefined) w.raw(checkedEui(header.upgradeFileDestination).reverse());
  if (header.hardwareVersions !== undefined) {
    w.u16(header.hardwareVersions.min, 'minimum hardware version').u16(header.hardwareVersions.max, 'maximum hardware version');
  }
  return w.raw(header.extraHeaderBytes).finish();
}

/** Header string bytes from text: printable ASCII, at most 32 characters, padded with NULs. */
export function headerStringFromText(text: string): Uint8Array {
  if (!/^[\x20-\x7e]*$/.test(text)) throw new OtaBuildError(`header string must be printable ASCII: ${JSON.stringify(text)}`);
  if (text.length > OTA_HEADER_STRING_LENGTH) throw new OtaBuildError(`header string is ${text.length} characters, at most ${OTA_HEADER_STRING_LENGTH} fit`);
  const out = new Uint8Array(OTA_HEADER_STRING_LENGTH);
  out.set(Buffer.from(text, 'ascii'));
  return out;
}

/** Header string for people: trailing NUL padding dropped, other non-printable bytes as \xNN. */
export function headerStringText(bytes: Uint8Array): string {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  let out = '';
  for (const b of bytes.subarray(0, end)) {
    out += b >= 0x20 && b <= 0x7e && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return out;
}
