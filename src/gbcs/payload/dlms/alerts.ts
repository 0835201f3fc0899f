import { toHex } from '../../../bytes.ts';
import type { Json } from '../types.ts';
import { attributeName, className, objectName } from './cosem-names.ts';
import { describeDateTime } from './cosem-time.ts';
import type { DlmsData } from './data.ts';
import { dataFields, type Decrypt } from './data-fields.ts';
import { formatObis } from './obis.ts';
import { protectedDataFields } from './protected.ts';

/**
 * GBCS alerts sent as DLMS data-notifications: the body is a structure of the alert code (long-unsigned), its
 * time stamp (12-octet date-time) and use-case-specific content, which some message codes define byte by byte.
 */

export const MESSAGE_CODES = {
  billingDataLogAlert: 0x0061,
  futureDatedAlert: 0x00cc,
  firmwareDistributionReceiptAlert: 0x00ce,
  remotePartyDeliveryFailureAlert: 0x00d5,
  meterIntegrityAlert: 0x00f0,
} as const;

export const ALERT_CODES = {
  billingDataLogUpdated: 0x8f0a,
  futureDatedCommandSucceeded: 0x8f66,
  futureDatedCommandFailed: 0x8f67,
  firmwareVerificationSuccessful: 0x8f72,
  remotePartyDeliveryFailure: 0x8f84,
  meterIntegrityWarning: 0x81a0,
} as const;

const ALERT_NAMES: Record<number, string> = {
  0x810e: 'Credit added locally',
  0x81a0: 'Smart meter integrity issue (warning)',
  0x8f0a: 'Billing data log updated',
  0x8f12: 'CHF device log changed',
  0x8f20: 'Limited duty cycle action taken',
  0x8f26: 'Sub GHz channel changed',
  0x8f28: 'Sub GHz channel scan request assessment outcome',
  0x8f2a: 'Sub GHz configuration changed',
  0x8f2c: 'Message discarded due to duty cycle management',
  0x8f2d: 'No more sub GHz device capacity',
  0x8f30: 'Source does not have authority for command',
  0x8f36: 'Supply outage restored (outage of 3 minutes or more)',
  0x8f66: 'Future-dated command executed successfully',
  0x8f67: 'Future-dated command not executed successfully',
  0x8f72: 'Firmware verification successful',
  0x8f84: 'Failure to deliver remote party message to ESME',
  0x8f85: 'Command not supported by device',
  0x8f86: 'Limit APC level command processed',
  0x8f87: 'Limit APC level ended or cancelled',
  0x8f88: 'Operational update',
};

const INTEGRITY_ISSUES: Record<number, string> = {
  0: 'other',
  1: 'non-volatile memory error',
  2: 'program execution error',
  3: 'program storage error',
  4: 'RAM error',
  5: 'unexpected hardware reset',
  6: 'watchdog error',
  7: 'metrology firmware verification failure',
  8: 'measurement fault',
  9: 'unspecified operational integrity error',
};

const CRA_NAMES: Record<number, string> = { 1: 'command', 2: 'response', 3: 'alert' };

type JsonObject = { [key: string]: Json };

export function alertName(code: number): string | undefined {
  return ALERT_NAMES[code];
}

const hex4 = (n: number) => n.toString(16).padStart(4, '0');
const u16 = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!;
const u64 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset + at, 8).getBigUint64(0).toString();

function octets(d: DlmsData | undefined, length: number): Uint8Array | undefined {
  return d?.type === 'octet-string' && d.value.length === length ? d.value : undefined;
}

/** 0x00CC: which future-dated command took effect — its message code, originator counter and attribute. */
function futureDatedCommand(b: Uint8Array): JsonObject {
  const classId = u16(b, 10);
  const obis = formatObis(b.subarray(12, 18));
  const attributeId = b[18]!;
  const out: JsonObject = { messageCode: hex4(u16(b, 0)), originatorCounter: u64(b, 2), classId };
  const names = { class: className(classId), obis, object: objectName(obis), attributeId, attribute: attributeName(classId, attributeId) };
  for (const [k, v] of Object.entries(names)) if (v !== undefined) out[k] = v;
  return out;
}

/** 0x00D5: the remote party message that could not be delivered. */
function remotePartyMessage(b: Uint8Array): JsonObject {
  const cra = b[16]!;
  return { businessOriginator: toHex(b.subarray(0, 8)), businessTarget: toHex(b.subarray(8, 16)), cra: CRA_NAMES[cra] ?? cra, originatorCounter: u64(b, 17) };
}

/** Use-case content the message code defines, or undefined to show the remaining elements generically. */
function specificContent(messageCode: number, rest: DlmsData[], decrypt?: Decrypt): JsonObject | undefined {
  const [first, second] = rest;
  switch (messageCode) {
    case MESSAGE_CODES.futureDatedAlert: {
      const b = rest.length === 1 ? octets(first, 19) : undefined;
      return b && { futureDatedCommand: futureDatedCommand(b) };
    }
    case MESSAGE_CODES.firmwareDistributionReceiptAlert: {
      const b = rest.length === 1 ? octets(first, 32) : undefined;
      return b && { calculatedManufacturerHash: toHex(b) };
    }
    case MESSAGE_CODES.meterIntegrityAlert: {
      const b = rest.length === 1 ? octets(first, 2) : undefined;
      if (!b) return undefined;
      const code = u16(b, 0);
      return { integrityIssue: INTEGRITY_ISSUES[code] ? { value: code, name: INTEGRITY_ISSUES[code] } : { value: code } };
    }
    case MESSAGE_CODES.remotePartyDeliveryFailureAlert: {
      const b = rest.length === 1 ? octets(first, 25) : undefined;
      return b && { remotePartyMessage: remotePartyMessage(b) };
    }
    case MESSAGE_CODES.billingDataLogAlert: {
      const protectedData = rest.length === 2 && first && second ? protectedDataFields(first, second, decrypt) : undefined;
      return protectedData === undefined ? undefined : { billingDataLog: protectedData };
    }
    default:
      return undefined;
  }
}

/** Named fields of an alert body, or undefined when the body is not an alert code and time stamp structure. */
export function alertFields(body: DlmsData, messageCode: number, decrypt?: Decrypt): JsonObject | undefined {
  if (body.type !== 'structure') return undefined;
  const [code, stamp, ...rest] = body.elements;
  const timestamp = octets(stamp, 12);
  if (code?.type !== 'long-unsigned' || !timestamp) return undefined;
  const alertCode: JsonObject = { value: code.value, hex: hex4(code.value) };
  const name = alertName(code.value);
  if (name) alertCode.name = name;
  const out: JsonObject = { alertCode, timestamp: { hex: toHex(timestamp), ...describeDateTime(timestamp) } };
  const specific = specificContent(messageCode, rest, decrypt);
  if (specific) Object.assign(out, specific);
  else if (rest.length > 0) out.content = rest.map((d) => dataFields(d, decrypt));
  return out;
}
