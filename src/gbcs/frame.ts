import { euiFromBytes, euiToBytes, type Eui } from '../crypto/eui.ts';
import { GbcsDecodeError, GbcsEncodeError } from './errors.ts';
import { Reader, Writer } from './reader.ts';

/** CRA flag: command, response or alert. */
export type CraFlag = 1 | 2 | 3;
export const CRA_NAMES: Record<CraFlag, string> = { 1: 'command', 2: 'response', 3: 'alert' };

export const TAG_GENERAL_CIPHERING = 0xdd;
export const TAG_GENERAL_SIGNING = 0xdf;
export const MAC_LENGTH = 12;
export const SIGNATURE_LENGTH = 64;

/** Other-information: the message code, and for some use cases supplementary remote-party fields. */
export interface OtherInformation {
  messageCode: number;
  supplementaryRemotePartyId?: Eui;
  supplementaryRemotePartyCounter?: bigint;
  supplementaryOriginatorCounter?: bigint;
  /** DER certificate of the supplementary remote party's key agreement key (CS02 transfers). */
  supplementaryRemotePartyCertificate?: Uint8Array;
}

/** The General Signing block up to (not including) the content: what a pre-command's grouping header holds. */
export interface GroupingHeader {
  cra: CraFlag;
  counter: bigint;
  originator: Eui;
  recipient: Eui;
  /** 12-byte COSEM date-time, when present. */
  dateTime?: Uint8Array;
  other: OtherInformation;
}

export interface CipheringEnvelope {
  /** 5 bytes: security control (0x11: authentication only) and invocation counter. */
  securityHeader: Uint8Array;
  mac: Uint8Array;
}

/**
 * A GBCS message at the framing level. `signature` undefined means the signature field is absent altogether
 * (a pre-command as the DCC returns it for signing); an empty array means the field is there with length 0.
 */
export interface GbcsFrame {
  header: GroupingHeader;
  payload: Uint8Array;
  signature?: Uint8Array;
  ciphering?: CipheringEnvelope;
}

/** A decoded frame with views into the original bytes that the crypto checks need. */
export interface DecodedFrame extends GbcsFrame {
  bytes: Uint8Array;
  /** What a signature covers: from after the DF tag to the end of the content. */
  signedData: Uint8Array;
  /** The whole General Signing block (DF … signature), the MAC's additional data after the security header. */
  generalSigning: Uint8Array;
  /** Absolute offset of the payload in `bytes`, so payload decoders report whole-message offsets. */
  payloadOffset: number;
}

export type FrameKind = 'precommand' | 'signed' | 'ciphered';

export function frameKind(f: GbcsFrame): FrameKind {
  if (f.ciphering) return 'ciphered';
  return f.signature === undefined ? 'precommand' : 'signed';
}

function decodeOtherInformation(r: Reader): OtherInformation {
  const other: OtherInformation = { messageCode: r.u16('message code') };
  if (r.done) return other;
  other.supplementaryRemotePartyId = euiFromBytes(r.take(8, 'supplementary remote party id'));
  if (r.done) return other;
  other.supplementaryRemotePartyCounter = r.u64('supplementary remote party counter');
  if (r.done) return other;
  if (r.remaining === 8) {
    other.supplementaryOriginatorCounter = r.u64('supplementary originator counter');
  } else {
    other.supplementaryRemotePartyCertificate = r.rest();
  }
  return other;
}

function decodeGeneralSigning(r: Reader, hasSignatureField: 'required' | 'optional'): Omit<DecodedFrame, 'bytes' | 'ciphering'> {
  const start = r.pos;
  r.expectByte(TAG_GENERAL_SIGNING, 'General Signing tag');
  const signedStart = r.pos;
  r.expectByte(0x09, 'transaction id length');
  const craAt = r.offset;
  const cra = r.u8('CRA flag');
  if (cra < 1 || cra > 3) throw new GbcsDecodeError(craAt, 'CRA flag 1 (command), 2 (response) or 3 (alert)', String(cra));
  const counter = r.u64('originator counter');
  r.expectByte(0x08, 'originator system title length');
  const originator = euiFromBytes(r.take(8, 'originator system title'));
  r.expectByte(0x08, 'recipient system title length');
  const recipient = euiFromBytes(r.take(8, 'recipient system title'));
  const dtAt = r.offset;
  const dtLen = r.u8('date-time length');
  if (dtLen !== 0 && dtLen !== 12) throw new GbcsDecodeError(dtAt, 'date-time length 0 or 12', String(dtLen));
  const dateTime = dtLen === 12 ? r.take(12, 'date-time') : undefined;
  const otherReader = r.lengthPrefixed('other information');
  const other = decodeOtherInformation(otherReader);
  const contentLength = r.length('content');
  const payloadOffset = r.offset;
  const payload = r.take(contentLength, 'content');
  const signedEnd = r.pos;
  let signature: Uint8Array | undefined;
  if (hasSignatureField === 'required' || !r.done) {
    const sigAt = r.offset;
    const sigLen = r.u8('signature length');
    if (sigLen !== 0 && sigLen !== SIGNATURE_LENGTH) throw new GbcsDecodeError(sigAt, 'signature length 0 or 64', String(sigLen));
    signature = r.take(sigLen, 'signature');
  }
  const header: GroupingHeader = { cra: cra as CraFlag, counter, originator, recipient, other };
  if (dateTime) header.dateTime = dateTime;
  const out: Omit<DecodedFrame, 'bytes' | 'ciphering'> = {
    header,
    payload,
    signedData: r.bytes.subarray(signedStart, signedEnd),
    generalSigning: r.bytes.subarray(start, r.pos),
    payloadOffset,
  };
  if (signature) out.signature = signature;
  return out;
}

/** Decodes the framing of a GBCS message (General Ciphering around General Signing, or General Signing alone). */
export function decodeFrame(bytes: Uint8Array): DecodedFrame {
  const r = new Reader(bytes);
  const tag = r.peek('General Ciphering (0xdd) or General Signing (0xdf) tag');
  if (tag === TAG_GENERAL_CIPHERING) {
    r.u8('tag');
    for (const field of ['transaction id', 'originator system title', 'recipient system title', 'date-time', 'other information', 'key info']) {
      const at = r.offset;
      const b = r.u8(`${field} length`);
      if (b !== 0) throw new GbcsDecodeError(at, `empty ${field} (0x00) in General Ciphering; GBT segmented messages are not supported`, `0x${b.toString(16)}`);
    }
    const body = r.lengthPrefixed('ciphered content');
    r.end('message');
    const securityHeader = body.take(5, 'security header');
    if (securityHeader[0] !== 0x11) throw new GbcsDecodeError(body.offset - 5, 'security control 0x11 (authenticated, not encrypted)', `0x${securityHeader[0]!.toString(16)}`);
    body.need(MAC_LENGTH + 1, 'General Signing and MAC');
    const inner = new Reader(body.bytes.subarray(body.pos, body.bytes.length - MAC_LENGTH), body.offset);
    const signing = decodeGeneralSigning(inner, 'required');
    inner.end('General Signing block');
    const mac = body.bytes.subarray(body.bytes.length - MAC_LENGTH);
    return {
      ...signing,
      bytes,
      ciphering: { securityHeader, mac },
    };
  }
  if (tag === TAG_GENERAL_SIGNING) {
    const signing = decodeGeneralSigning(r, 'optional');
    r.end('message');
    return { ...signing, bytes };
  }
  return r.fail('General Ciphering (0xdd) or General Signing (0xdf) tag', `0x${tag.toString(16)}`);
}

function encodeOtherInformation(o: OtherInformation): Uint8Array {
  const w = new Writer().u16(o.messageCode);
  if (o.supplementaryRemotePartyId === undefined) return w.finish();
  w.bytes(euiToBytes(o.supplementaryRemotePartyId));
  if (o.supplementaryRemotePartyCounter === undefined) return w.finish();
  w.u64(o.supplementaryRemotePartyCounter);
  if (o.supplementaryOriginatorCounter !== undefined) w.u64(o.supplementaryOriginatorCounter);
  else if (o.supplementaryRemotePartyCertificate) w.bytes(o.supplementaryRemotePartyCertificate);
  return w.finish();
}

/** The General Signing block without its signature field: the bytes a supplier signs (after the tag). */
export function encodeGroupingHeaderAndContent(h: GroupingHeader, payload: Uint8Array): Uint8Array {
  if (h.dateTime && h.dateTime.length !== 12) throw new GbcsEncodeError(`date-time must be 12 bytes, got ${h.dateTime.length}`);
  const w = new Writer()
    .u8(TAG_GENERAL_SIGNING)
    .u8(0x09)
    .u8(h.cra)
    .u64(h.counter)
    .u8(8)
    .bytes(euiToBytes(h.originator))
    .u8(8)
    .bytes(euiToBytes(h.recipient));
  if (h.dateTime) w.u8(12).bytes(h.dateTime);
  else w.u8(0);
  w.lengthPrefixed(encodeOtherInformation(h.other));
  w.lengthPrefixed(payload);
  return w.finish();
}

export function encodeGeneralSigning(f: GbcsFrame): Uint8Array {
  const body = encodeGroupingHeaderAndContent(f.header, f.payload);
  if (f.signature === undefined) return body;
  if (f.signature.length !== 0 && f.signature.length !== SIGNATURE_LENGTH) throw new GbcsEncodeError(`signature must be 0 or 64 bytes, got ${f.signature.length}`);
  return new Writer().bytes(body).u8(f.signature.length).bytes(f.signature).finish();
}

/** The General Ciphering wrapper around a General Signing block; the MAC is given (see security.ts to compute it). */
export function encodeCiphered(generalSigning: Uint8Array, securityHeader: Uint8Array, mac: Uint8Array): Uint8Array {
  if (mac.length !== MAC_LENGTH) throw new GbcsEncodeError(`MAC must be ${MAC_LENGTH} bytes, got ${mac.length}`);
  const contentLength = securityHeader.length + generalSigning.length + mac.length;
  return new Writer()
    .u8(TAG_GENERAL_CIPHERING)
    .bytes(new Uint8Array(6))
    .length(contentLength)
    .bytes(securityHeader)
    .bytes(generalSigning)
    .bytes(mac)
    .finish();
}

export function encodeFrame(f: GbcsFrame): Uint8Array {
  const signing = encodeGeneralSigning(f);
  if (!f.ciphering) return signing;
  if (f.signature === undefined) throw new GbcsEncodeError('a ciphered frame carries a signature field (empty when not signed)');
  return encodeCiphered(signing, f.ciphering.securityHeader, f.ciphering.mac);
}
