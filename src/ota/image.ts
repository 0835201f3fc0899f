import { OtaImageError } from './errors.ts';
import { headerLengthOf, readOtaHeader, writeOtaHeader, type OtaHeader } from './header.ts';
import { LeWriter, readU16, readU32 } from './le.ts';

export * from './errors.ts';
export * from './header.ts';

/** Sub-element tags defined by the ZigBee OTA cluster; 0xF000–0xFFFF belong to manufacturers. */
export const ElementTag = {
  upgradeImage: 0x0000,
  ecdsaSignatureSuite1: 0x0001,
  ecdsaSigningCertificateSuite1: 0x0002,
  imageIntegrityCode: 0x0003,
  pictureData: 0x0004,
  ecdsaSignatureSuite2: 0x0005,
  ecdsaSigningCertificateSuite2: 0x0006,
} as const;

const ELEMENT_NAMES: Readonly<Record<number, string>> = {
  0x0000: 'upgrade image',
  0x0001: 'ECDSA signature (crypto suite 1)',
  0x0002: 'ECDSA signing certificate (crypto suite 1)',
  0x0003: 'image integrity code',
  0x0004: 'picture data',
  0x0005: 'ECDSA signature (crypto suite 2)',
  0x0006: 'ECDSA signing certificate (crypto suite 2)',
};

export type ElementKind = 'standard' | 'manufacturer-specific' | 'reserved';

export function elementKind(tag: number): ElementKind {
  if (tag in ELEMENT_NAMES) return 'standard';
  return tag >= 0xf000 ? 'manufacturer-specific' : 'reserved';
}

export function elementName(tag: number): string {
  return ELEMENT_NAMES[tag] ?? (elementKind(tag) === 'manufacturer-specific' ? 'manufacturer-specific' : 'reserved tag');
}

const ELEMENT_HEADER_LENGTH = 6; // tag u16 + length u32

export interface OtaElement {
  tag: number;
  data: Uint8Array;
}

/** A ZigBee OTA upgrade file: what `buildOtaImage` takes and `parseOtaImage` gives back. */
export interface OtaImage {
  header: OtaHeader;
  /** Sub-elements in file order, filling the file exactly from the header to the total image size. */
  elements: OtaElement[];
  /** Bytes after the declared total image size: not part of the image, but present in the file. */
  trailing: Uint8Array;
}

export interface OtaElementLayout {
  tag: number;
  /** Offset of the element's tag. */
  offset: number;
  dataOffset: number;
  length: number;
}

export interface OtaImageLayout {
  fieldControl: number;
  headerLength: number;
  totalImageSize: number;
  fileSize: number;
  elements: OtaElementLayout[];
}

export interface ParsedOtaImage {
  image: OtaImage;
  layout: OtaImageLayout;
}

const hex4 = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;

/**
 * Parses a ZigBee OTA upgrade file strictly: every byte up to the total image size belongs to the header or to
 * exactly one sub-element, or the file is refused with an OtaImageError naming the offset. Vendor tags get no
 * special treatment: an element that does not follow tag + length + data does not fit, and is refused.
 */
export function parseOtaImage(bytes: Uint8Array): ParsedOtaImage {
  const { header, fieldControl, headerLength, totalImageSize } = readOtaHeader(bytes);
  const elements: OtaElement[] = [];
  const layouts: OtaElementLayout[] = [];
  let at = headerLength;
  while (at < totalImageSize) {
    const left = totalImageSize - at;
    if (left < ELEMENT_HEADER_LENGTH) {
      throw new OtaImageError('element-list-end', at, `${left} byte${left === 1 ? '' : 's'} left before the total image size (${totalImageSize}), too few for a sub-element header (6 bytes)`);
    }
    const tag = readU16(bytes, at);
    const length = readU32(bytes, at + 2);
    if (length > left - ELEMENT_HEADER_LENGTH) {
      throw new OtaImageError('element-overrun', at, `sub-element ${hex4(tag)} declares ${length} data bytes, only ${left - ELEMENT_HEADER_LENGTH} remain before the total image size (${totalImageSize})`);
    }
    const dataOffset = at + ELEMENT_HEADER_LENGTH;
    elements.push({ tag, data: bytes.slice(dataOffset, dataOffset + length) });
    layouts.push({ tag, offset: at, dataOffset, length });
    at = dataOffset + length;
  }
  return {
    image: { header, elements, trailing: bytes.slice(totalImageSize) },
    layout: { fieldControl, headerLength, totalImageSize, fileSize: bytes.length, elements: layouts },
  };
}

/** Writes the file: header length, field control and total image size follow from the content. */
export function buildOtaImage(image: OtaImage): Uint8Array {
  const headerLength = headerLengthOf(image.header);
  let totalImageSize = headerLength;
  for (const e of image.elements) totalImageSize += ELEMENT_HEADER_LENGTH + e.data.length;
  const w = new LeWriter(totalImageSize + image.trailing.length).raw(writeOtaHeader(image.header, totalImageSize));
  for (const e of image.elements) w.u16(e.tag, 'sub-element tag').u32(e.data.length, 'sub-element length').raw(e.data);
  return w.raw(image.trailing).finish();
}
