import { toHex } from '../bytes.ts';
import { describeDateTime } from './payload/dlms/cosem-time.ts';
import { useCaseByMessageCode } from './catalogue.ts';
import { GbcsDecodeError } from './errors.ts';
import { CRA_NAMES, decodeFrame, encodeFrame, frameKind, type DecodedFrame, type FrameKind } from './frame.ts';
import { decodePayload, encodePayload, type DecodedPayload, type Json } from './payload/index.ts';
import type { GbcsSecurity, Verdict } from './security.ts';

/** A GBCS message decoded as far as the bytes and the keys allow. */
export interface DecodedMessage {
  frame: DecodedFrame;
  kind: FrameKind;
  useCase?: string;
  payload?: DecodedPayload;
  /** Why the payload could not be decoded (the frame still was). */
  payloadError?: GbcsDecodeError;
  mac: Verdict;
  signature: Verdict;
}

/**
 * Decodes framing, payload and security verdicts. Framing errors throw GbcsDecodeError; a payload error is
 * recorded on the result so that what was decoded is not lost.
 */
export function decodeMessage(bytes: Uint8Array, security?: GbcsSecurity): DecodedMessage {
  const frame = decodeFrame(bytes);
  const h = frame.header;
  const out: DecodedMessage = {
    frame,
    kind: frameKind(frame),
    mac: security ? security.verifyMac(frame) : frame.ciphering ? 'unverifiable' : 'absent',
    signature: security ? security.verifySignature(frame) : frame.signature?.length ? 'unverifiable' : 'absent',
  };
  const useCase = useCaseByMessageCode(h.other.messageCode);
  if (useCase) out.useCase = useCase.name;
  try {
    const payload = decodePayload(frame.payload, {
      messageCode: h.other.messageCode,
      cra: h.cra,
      offset: frame.payloadOffset,
      decrypt: security ? (c) => security.decryptPayload(h, c) : undefined,
    });
    if (payload) out.payload = payload;
    else out.payloadError = new GbcsDecodeError(frame.payloadOffset, 'a DLMS, GBZ or ASN.1 payload', `0x${(frame.payload[0] ?? 0).toString(16)}`);
  } catch (e) {
    if (!(e instanceof GbcsDecodeError)) throw e;
    out.payloadError = e;
  }
  return out;
}

/** Encodes a decoded message again from its parts (framing and payload), for round-trip checks. */
export function encodeMessage(m: DecodedMessage): Uint8Array {
  const payload = m.payload ? encodePayload(m.payload) : m.frame.payload;
  return encodeFrame({ ...m.frame, payload });
}

/** A JSON-safe view of a decoded message, as `hanlab decode --json` prints it. */
export function messageToJson(m: DecodedMessage): Json {
  const h = m.frame.header;
  const o = h.other;
  const other: Record<string, Json> = {};
  if (o.supplementaryRemotePartyId) other.supplementaryRemotePartyId = o.supplementaryRemotePartyId;
  if (o.supplementaryRemotePartyCounter !== undefined) other.supplementaryRemotePartyCounter = o.supplementaryRemotePartyCounter.toString();
  if (o.supplementaryOriginatorCounter !== undefined) other.supplementaryOriginatorCounter = o.supplementaryOriginatorCounter.toString();
  if (o.supplementaryRemotePartyCertificate) other.supplementaryRemotePartyCertificate = toHex(o.supplementaryRemotePartyCertificate);
  const json: Record<string, Json> = {
    kind: m.kind,
    useCase: m.useCase ?? null,
    messageCode: `0x${o.messageCode.toString(16).padStart(4, '0')}`,
    cra: CRA_NAMES[h.cra],
    counter: h.counter.toString(),
    originator: h.originator,
    recipient: h.recipient,
    dateTime: h.dateTime ? { hex: toHex(h.dateTime), ...describeDateTime(h.dateTime) } : null,
    ...other,
    mac: m.mac,
    signature: m.signature,
    payload: m.payload ? { encoding: m.payload.encoding, kind: m.payload.kind, fields: m.payload.fields } : { raw: toHex(m.frame.payload) },
  };
  if (m.payloadError) json.payloadError = m.payloadError.message;
  return json;
}
