import { toHex } from '../bytes.ts';
import { OtaImageError } from './errors.ts';
import { GB_FIELD_CONTROL, parseGbImage, type ParsedGbImage } from './gb-image.ts';
import { headerStringText, OTA_MAGIC, ZIGBEE_STACK_NAMES, type OtaHeader } from './header.ts';
import { elementKind, elementName, parseOtaImage, type ElementKind, type ParsedOtaImage } from './image.ts';

export type LayoutChoice = 'auto' | 'gb' | 'zigbee';

export interface HeaderReport {
  magic: number;
  headerVersion: number;
  headerLength: number;
  fieldControl: number;
  manufacturerCode: number;
  imageType: number;
  fileVersion: number;
  zigbeeStackVersion: number;
  zigbeeStackName?: string;
  /** Printable text; NUL padding dropped, other odd bytes as \xNN. */
  headerString: string;
  headerStringHex: string;
  totalImageSize: number;
  securityCredentialVersion?: number;
  upgradeFileDestination?: string;
  minHardwareVersion?: number;
  maxHardwareVersion?: number;
  /** Header bytes beyond the fields the field control asks for. */
  extraHeaderBytes?: { offset: number; length: number; hex: string };
}

/** One contiguous piece of the image body: a sub-element (with its tag) or, in a GB image, a fixed part. */
export interface PartReport {
  tag?: number;
  name: string;
  kind: ElementKind | 'gb';
  /** Where the piece starts (for an element, its tag). */
  offset: number;
  dataOffset: number;
  /** Data bytes (for an element, without its 6-byte tag and length). */
  length: number;
}

export interface GbReport {
  manufacturerImageHash: string;
  forceReplace: boolean;
  signature: string;
  signatureCovers: string;
}

export interface InspectionReport {
  layout: 'gb' | 'zigbee';
  fileSize: number;
  header: HeaderReport;
  parts: PartReport[];
  totalImageSize: number;
  trailing: { offset: number; length: number; hex: string };
  gb?: GbReport;
  notes: string[];
}

export interface Refusal {
  /** Which reading refused the file; `any` when both stumble on the same header fault. */
  layout: 'gb' | 'zigbee' | 'any';
  offset: number;
  code: string;
  reason: string;
}

export type Inspection = { ok: true; report: InspectionReport } | { ok: false; refusals: Refusal[] };

function headerReport(header: OtaHeader, fieldControl: number, headerLength: number, totalImageSize: number): HeaderReport {
  const stack = ZIGBEE_STACK_NAMES[header.zigbeeStackVersion];
  const out: HeaderReport = {
    magic: OTA_MAGIC,
    headerVersion: header.headerVersion,
    headerLength,
    fieldControl,
    manufacturerCode: header.manufacturerCode,
    imageType: header.imageType,
    fileVersion: header.fileVersion,
    zigbeeStackVersion: header.zigbeeStackVersion,
    ...(stack === undefined ? {} : { zigbeeStackName: stack }),
    headerString: headerStringText(header.headerString),
    headerStringHex: toHex(header.headerString),
    totalImageSize,
  };
  if (header.securityCredentialVersion !== undefined) out.securityCredentialVersion = header.securityCredentialVersion;
  if (header.upgradeFileDestination !== undefined) out.upgradeFileDestination = header.upgradeFileDestination;
  if (header.hardwareVersions) {
    out.minHardwareVersion = header.hardwareVersions.min;
    out.maxHardwareVersion = header.hardwareVersions.max;
  }
  if (header.extraHeaderBytes.length > 0) {
    const length = header.extraHeaderBytes.length;
    out.extraHeaderBytes = { offset: headerLength - length, length, hex: toHex(header.extraHeaderBytes) };
  }
  return out;
}

function trailingReport(totalImageSize: number, trailing: Uint8Array) {
  return { offset: totalImageSize, length: trailing.length, hex: toHex(trailing) };
}

function gbReport(parsed: ParsedGbImage, alsoZigbee: boolean): InspectionReport {
  const { image, layout, trailing } = parsed;
  const miEnd = layout.forceReplaceOffset;
  const part = (name: string, offset: number, length: number): PartReport => ({ name, kind: 'gb', offset, dataOffset: offset, length });
  const notes = ['GB layout: no sub-elements; the manufacturer image follows the OTA header directly'];
  if (alsoZigbee) notes.push('these bytes also parse as a plain ZigBee OTA element list (see --layout zigbee)');
  return {
    layout: 'gb',
    fileSize: layout.fileSize,
    header: headerReport(image.header, GB_FIELD_CONTROL, layout.headerLength, layout.totalImageSize),
    parts: [
      part('manufacturer image', layout.manufacturerImageOffset, layout.manufacturerImageLength),
      part('force replace', layout.forceReplaceOffset, 1),
      part('signature length', layout.signatureLengthOffset, 1),
      part('signature (ECDSA P-256 / SHA-256, r‖s)', layout.signatureOffset, image.signature.length),
    ],
    totalImageSize: layout.totalImageSize,
    trailing: trailingReport(layout.totalImageSize, trailing),
    gb: {
      manufacturerImageHash: toHex(image.manufacturerImageHash),
      forceReplace: image.forceReplace,
      signature: toHex(image.signature),
      signatureCovers:
        layout.manufacturerImageLength === 0
          ? 'the manufacturer image only (empty here), not the OTA header'
          : `the manufacturer image only (bytes ${layout.manufacturerImageOffset}–${miEnd - 1}), not the OTA header`,
    },
    notes,
  };
}

function zigbeeReport(parsed: ParsedOtaImage, whyNotGb?: OtaImageError): InspectionReport {
  const { image, layout } = parsed;
  return {
    layout: 'zigbee',
    fileSize: layout.fileSize,
    header: headerReport(image.header, layout.fieldControl, layout.headerLength, layout.totalImageSize),
    parts: layout.elements.map((e) => ({ tag: e.tag, name: elementName(e.tag), kind: elementKind(e.tag), offset: e.offset, dataOffset: e.dataOffset, length: e.length })),
    totalImageSize: layout.totalImageSize,
    trailing: trailingReport(layout.totalImageSize, image.trailing),
    notes: whyNotGb ? [`not a GB firmware image: ${whyNotGb.message}`] : [],
  };
}

type Attempt<T> = { parsed: T; error?: undefined } | { parsed?: undefined; error: OtaImageError };

function attempt<T>(parse: () => T): Attempt<T> {
  try {
    return { parsed: parse() };
  } catch (e) {
    if (e instanceof OtaImageError) return { error: e };
    throw e;
  }
}

const refusal = (layout: Refusal['layout'], e: OtaImageError): Refusal => ({ layout, offset: e.offset, code: e.code, reason: e.reason });

/**
 * Reads a firmware file as a GB image or a plain ZigBee OTA file. The two layouts cannot always be told apart
 * from the bytes alone, so `auto` prefers GB and says when the other reading also fits.
 */
export function inspectFirmware(bytes: Uint8Array, choice: LayoutChoice = 'auto'): Inspection {
  const gb = choice === 'zigbee' ? undefined : attempt(() => parseGbImage(bytes));
  const zigbee = choice === 'gb' ? undefined : attempt(() => parseOtaImage(bytes));
  if (gb?.parsed) return { ok: true, report: gbReport(gb.parsed, zigbee?.parsed !== undefined) };
  if (zigbee?.parsed) return { ok: true, report: zigbeeReport(zigbee.parsed, gb?.error) };
  const refusals: Refusal[] = [];
  if (gb?.error && zigbee?.error && gb.error.code === zigbee.error.code && gb.error.offset === zigbee.error.offset) {
    refusals.push(refusal('any', gb.error)); // the shared OTA header itself is refused
  } else {
    if (gb?.error) refusals.push(refusal('gb', gb.error));
    if (zigbee?.error) refusals.push(refusal('zigbee', zigbee.error));
  }
  return { ok: false, refusals };
}
