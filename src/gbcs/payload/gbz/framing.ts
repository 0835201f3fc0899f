import { GbcsDecodeError, GbcsEncodeError } from '../../errors.ts';
import { Reader, Writer } from '../../reader.ts';
import type { PayloadContext } from '../types.ts';
import {
  CONTROL_ENCRYPTED,
  CONTROL_FROM_DATE_TIME,
  GBZ_PROFILE_ID,
  type GbzAlertBody,
  type GbzComponent,
  type GbzMessage,
} from './model.ts';
import { hexCode } from './names.ts';
import { decodeZclHeader, decodeZclPayload, encodeZclHeader, encodeZclPayload } from './zcl.ts';
import { GCM_TAG_LENGTH } from '../../../crypto/gcm.ts';

/** Message codes whose alert payloads have their own layout after the alert code and timestamp. */
export const MESSAGE_CODE = {
  GCS53_BILLING_DATA_LOG_ALERT: 0x008b,
  FUTURE_DATED_ALERT: 0x00cd,
  FIRMWARE_DISTRIBUTION_RECEIPT_ALERT: 0x00cf,
  METER_INTEGRITY_ALERT: 0x00f2,
} as const;

const SECURITY_HEADER_LENGTH = 5;
const FUTURE_DATED_CONTENT_LENGTH = 14;
const DLMS_OCTET_STRING = 0x09;

export function decodeGbzMessage(bytes: Uint8Array, ctx: PayloadContext): GbzMessage {
  const r = new Reader(bytes, ctx.offset);
  const at = r.offset;
  const profileId = r.u16('GBZ profile id');
  if (profileId !== GBZ_PROFILE_ID) throw new GbcsDecodeError(at, `GBZ profile id ${hexCode(GBZ_PROFILE_ID, 4)}`, hexCode(profileId, 4));
  const count = r.u8('GBZ component count');
  let message: GbzMessage;
  if (ctx.cra === 3) {
    const alertCode = r.u16('GBZ alert code');
    const timestamp = r.u32('GBZ alert timestamp');
    message = { form: 'alert', alertCode, timestamp, body: decodeAlertBody(r, count, ctx) };
  } else {
    message = { form: ctx.cra === 1 ? 'command' : 'response', components: decodeComponents(r, count, ctx) };
  }
  r.end('GBZ payload');
  return message;
}

function decodeAlertBody(r: Reader, componentCount: number, ctx: PayloadContext): GbzAlertBody {
  switch (ctx.messageCode) {
    case MESSAGE_CODE.FUTURE_DATED_ALERT: {
      const at = r.offset;
      const length = r.u8('future-dated alert content length');
      if (length !== FUTURE_DATED_CONTENT_LENGTH) throw new GbcsDecodeError(at, `future-dated alert content length ${FUTURE_DATED_CONTENT_LENGTH}`, String(length));
      return {
        type: 'future-dated',
        componentCount,
        messageCode: r.u16('message code of the executed command'),
        originatorCounter: r.u64('originator counter of the executed command'),
        clusterId: r.u16('cluster id of the executed command'),
        frameControl: r.u8('ZCL frame control of the executed command'),
        commandId: r.u8('ZCL command id of the executed command'),
      };
    }
    case MESSAGE_CODE.FIRMWARE_DISTRIBUTION_RECEIPT_ALERT: {
      r.expectByte(DLMS_OCTET_STRING, 'octet-string tag of the calculated manufacturer hash');
      const at = r.offset;
      const length = r.u8('manufacturer hash length');
      if (length >= 0x80) throw new GbcsDecodeError(at, 'a one-byte manufacturer hash length', hexCode(length, 2));
      return { type: 'firmware-distribution-receipt', componentCount, manufacturerHash: r.take(length, 'calculated manufacturer hash').slice() };
    }
    case MESSAGE_CODE.METER_INTEGRITY_ALERT:
      return { type: 'meter-integrity', componentCount, otherInfo: r.u16('meter integrity issue') };
    default:
      return { type: 'components', components: decodeComponents(r, componentCount, ctx) };
  }
}

function decodeComponents(r: Reader, count: number, ctx: PayloadContext): GbzComponent[] {
  const components: GbzComponent[] = [];
  for (let i = 0; i < count; i++) components.push(decodeComponent(r, ctx));
  return components;
}

function decodeComponent(r: Reader, ctx: PayloadContext): GbzComponent {
  const control = r.u8('GBZ extended header control');
  const clusterId = r.u16('GBZ cluster id');
  const length = r.u16('GBZ component length');
  const body = r.sub(length, 'GBZ component');
  const fromDateTime = control & CONTROL_FROM_DATE_TIME ? body.u32('GBZ from date-time') : undefined;
  let component: GbzComponent;
  if (control & CONTROL_ENCRYPTED) {
    component = decodeEncryptedComponent(body, control, clusterId, ctx);
  } else {
    const header = decodeZclHeader(body);
    component = { control, clusterId, header, payload: decodeZclPayload(body, clusterId, header) };
  }
  if (fromDateTime !== undefined) component.fromDateTime = fromDateTime;
  return component;
}

function decodeEncryptedComponent(body: Reader, control: number, clusterId: number, ctx: PayloadContext): GbzComponent {
  const additionalHeaderControl = body.u8('additional header control');
  const additionalFrameCounter = body.u8('additional header frame counter');
  const header = decodeZclHeader(body);
  const ciphered = body.sub(body.u16('ciphered information length'), 'ciphered information');
  body.end('encrypted GBZ component');
  const securityHeader = ciphered.take(SECURITY_HEADER_LENGTH, 'security header').slice();
  ciphered.need(GCM_TAG_LENGTH, 'ciphertext and authentication tag');
  const ciphertextAt = ciphered.offset;
  const ciphertextAndTag = ciphered.rest().slice();
  const component: GbzComponent = {
    control,
    clusterId,
    header,
    encryption: { additionalHeaderControl, additionalFrameCounter, securityHeader, ciphertextAndTag },
  };
  const plaintext = ctx.decrypt?.(ciphertextAndTag);
  if (plaintext) {
    // GCM is a stream cipher: a plaintext byte sits where its ciphertext byte is, so offsets stay meaningful.
    try {
      component.payload = decodeZclPayload(new Reader(plaintext, ciphertextAt), clusterId, header);
    } catch (e) {
      if (e instanceof GbcsDecodeError) throw new GbcsDecodeError(e.offset, `${e.expected} (in the decrypted ZCL payload)`, e.found);
      throw e;
    }
  }
  return component;
}

export function encodeGbzMessage(m: GbzMessage): Uint8Array {
  const w = new Writer().u16(GBZ_PROFILE_ID);
  if (m.form !== 'alert') {
    w.u8(count(m.components.length));
    for (const c of m.components) encodeComponent(w, c);
    return w.finish();
  }
  const body = m.body;
  w.u8(count(body.type === 'components' ? body.components.length : body.componentCount));
  w.u16(m.alertCode).u32(m.timestamp);
  switch (body.type) {
    case 'components':
      for (const c of body.components) encodeComponent(w, c);
      break;
    case 'future-dated':
      w.u8(FUTURE_DATED_CONTENT_LENGTH).u16(body.messageCode).u64(body.originatorCounter).u16(body.clusterId).u8(body.frameControl).u8(body.commandId);
      break;
    case 'firmware-distribution-receipt':
      if (body.manufacturerHash.length >= 0x80) throw new GbcsEncodeError('the manufacturer hash is longer than a one-byte length allows');
      w.u8(DLMS_OCTET_STRING).u8(body.manufacturerHash.length).bytes(body.manufacturerHash);
      break;
    case 'meter-integrity':
      w.u16(body.otherInfo);
  }
  return w.finish();
}

function count(n: number): number {
  if (n > 0xff) throw new GbcsEncodeError(`a GBZ payload holds at most 255 components, got ${n}`);
  return n;
}

/** The bytes of a component after its length field: what the length counts. */
export function encodeComponentBody(c: GbzComponent): Uint8Array {
  if (((c.control & CONTROL_FROM_DATE_TIME) !== 0) !== (c.fromDateTime !== undefined)) {
    throw new GbcsEncodeError('the from-date-time control bit and the from date-time must go together');
  }
  if (((c.control & CONTROL_ENCRYPTED) !== 0) !== (c.encryption !== undefined)) {
    throw new GbcsEncodeError('the encrypted control bit and the encryption fields must go together');
  }
  const w = new Writer();
  if (c.fromDateTime !== undefined) w.u32(c.fromDateTime);
  if (c.encryption) {
    const e = c.encryption;
    if (e.securityHeader.length !== SECURITY_HEADER_LENGTH) throw new GbcsEncodeError(`a security header has ${SECURITY_HEADER_LENGTH} bytes`);
    if (e.ciphertextAndTag.length < GCM_TAG_LENGTH) throw new GbcsEncodeError('ciphertext shorter than its authentication tag');
    w.u8(e.additionalHeaderControl).u8(e.additionalFrameCounter);
    encodeZclHeader(w, c.header);
    w.u16(u16Length(e.securityHeader.length + e.ciphertextAndTag.length, 'ciphered information'));
    w.bytes(e.securityHeader).bytes(e.ciphertextAndTag);
  } else {
    if (!c.payload) throw new GbcsEncodeError('a component that is not encrypted needs its ZCL payload');
    encodeZclHeader(w, c.header);
    encodeZclPayload(w, c.payload);
  }
  return w.finish();
}

function encodeComponent(w: Writer, c: GbzComponent): void {
  const body = encodeComponentBody(c);
  w.u8(c.control).u16(c.clusterId).u16(u16Length(body.length, 'GBZ component')).bytes(body);
}

function u16Length(n: number, what: string): number {
  if (n > 0xffff) throw new GbcsEncodeError(`${what} of ${n} bytes does not fit a two-byte length`);
  return n;
}
