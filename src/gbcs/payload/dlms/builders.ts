import { concatBytes, u64ToBytes } from '../../../bytes.ts';
import { euiToBytes, type Eui } from '../../../crypto/eui.ts';
import { GbcsEncodeError } from '../../errors.ts';
import type { AccessRequest, AccessResponse, DataNotification, RequestSpec, ResponseSpec, SelectiveAccess } from './apdu.ts';
import type { DlmsData } from './data.ts';
import type { Obis } from './obis.ts';
import { RESULT } from './results.ts';
import { array, dateTimeString, enumValue, longUnsigned, nullData, octetString, structure, type Bytes, type DateTimeInput } from './values.ts';

/** Generic builders for the xDLMS APDUs GBCS uses; `encodeApdu` turns any of them into payload bytes. */

/** Bit 29 of Long-Invoke-Id-And-Priority, set in every GBCS DLMS APDU (the RTDS shows no other flag). */
const BREAK_ON_ERROR = 0x2000_0000;

/** GBCS DLMS invoke id: the low 24 bits of the message's originator counter, with the break-on-error flag. */
export function invokeIdFor(counter: bigint): number {
  if (counter < 0n) throw new GbcsEncodeError(`originator counter must not be negative: ${counter}`);
  return (BREAK_ON_ERROR | Number(counter & 0xff_ffffn)) >>> 0;
}

export const get = (classId: number, obis: Obis, attributeId: number): RequestSpec => ({ service: 'get', attribute: { classId, obis, attributeId } });
export const set = (classId: number, obis: Obis, attributeId: number): RequestSpec => ({ service: 'set', attribute: { classId, obis, attributeId } });
export const action = (classId: number, obis: Obis, methodId: number): RequestSpec => ({ service: 'action', method: { classId, obis, methodId } });
export const getWithSelection = (classId: number, obis: Obis, attributeId: number, selection: SelectiveAccess): RequestSpec => ({
  service: 'get-with-selection',
  attribute: { classId, obis, attributeId },
  selection,
});
export const setWithSelection = (classId: number, obis: Obis, attributeId: number, selection: SelectiveAccess): RequestSpec => ({
  service: 'set-with-selection',
  attribute: { classId, obis, attributeId },
  selection,
});

/** One item of a request: what to get, set or invoke, and its data (a get's is null-data). */
export interface RequestItem {
  request: RequestSpec;
  data?: DlmsData;
}

export function accessRequest(invokeIdAndPriority: number, items: RequestItem[], dateTime: Uint8Array = new Uint8Array(0)): AccessRequest {
  return { apdu: 'access-request', invokeIdAndPriority, dateTime, requests: items.map((i) => i.request), data: items.map((i) => i.data ?? nullData()) };
}

/** One item of a response: its result (success unless given) and its data (null-data unless given). */
export interface ResponseItem {
  service: ResponseSpec['service'];
  result?: number;
  data?: DlmsData;
}

export function accessResponse(invokeIdAndPriority: number, items: ResponseItem[], dateTime: Uint8Array = new Uint8Array(0)): AccessResponse {
  return {
    apdu: 'access-response',
    invokeIdAndPriority,
    dateTime,
    data: items.map((i) => i.data ?? nullData()),
    results: items.map((i) => ({ service: i.service, result: i.result ?? RESULT.success })),
  };
}

/** The response service that answers a request service. */
export function responseService(request: RequestSpec): ResponseSpec['service'] {
  if (request.service === 'action') return 'action';
  return request.service === 'get' || request.service === 'get-with-selection' ? 'get' : 'set';
}

/** What one request item came to: result and data, both optional (success, null-data). */
export interface Outcome {
  result?: number;
  data?: DlmsData;
}

/** The response to a request, item for item, with the request's invoke id. */
export function respondTo(request: AccessRequest, outcomes: Outcome[] = []): AccessResponse {
  if (outcomes.length > request.requests.length) throw new GbcsEncodeError(`${outcomes.length} outcomes for ${request.requests.length} request items`);
  const items = request.requests.map((r, i) => ({ service: responseService(r), ...outcomes[i] }));
  return accessResponse(request.invokeIdAndPriority, items);
}

export function dataNotification(invokeIdAndPriority: number, body: DlmsData, dateTime: Uint8Array = new Uint8Array(0)): DataNotification {
  return { apdu: 'data-notification', invokeIdAndPriority, dateTime, body };
}

/** A GBCS DLMS alert: alert code, time stamp and the use case's content, in one structure. */
export function gbcsAlert(invokeIdAndPriority: number, alertCode: number, timestamp: DateTimeInput, content: DlmsData[]): DataNotification {
  return dataNotification(invokeIdAndPriority, structure(longUnsigned(alertCode), dateTimeString(timestamp), ...content));
}

/** Protection parameters of GBCS protected data (data protection, class 30), as the RTDS carries them. */
export interface ProtectionParameters {
  /** The originator counter in the transaction id. */
  counter: bigint;
  originator: Eui;
  recipient: Eui;
  /** Defaults follow GBCS: authentication and encryption (2), transaction tag 0x04, agreed key (2), key parameters 0x02. */
  protectionType?: number;
  transactionTag?: number;
  otherInformation?: Bytes;
  keyInfoType?: number;
  keyParameters?: Bytes;
  keyCipheredData?: Bytes;
}

export function protectionParameters(p: ProtectionParameters): DlmsData {
  const transactionId = concatBytes(Uint8Array.of(p.transactionTag ?? 0x04), u64ToBytes(p.counter));
  const keyInfo = structure(enumValue(p.keyInfoType ?? 2), structure(octetString(p.keyParameters ?? '02'), octetString(p.keyCipheredData ?? '')));
  const options = structure(octetString(transactionId), octetString(euiToBytes(p.originator)), octetString(euiToBytes(p.recipient)), octetString(p.otherInformation ?? ''), keyInfo);
  return array([structure(enumValue(p.protectionType ?? 2), options)]);
}

/** Security header of protected data: security control 0x31 (authenticated and encrypted) and invocation counter 0. */
export const PROTECTED_DATA_SECURITY_HEADER = Uint8Array.of(0x31, 0, 0, 0, 0);

/** Protected data: parameters and the security header followed by the AES-GCM ciphertext and tag. */
export function protectedData(parameters: ProtectionParameters, ciphertextAndTag: Uint8Array, securityHeader: Uint8Array = PROTECTED_DATA_SECURITY_HEADER): DlmsData[] {
  return [protectionParameters(parameters), octetString(concatBytes(securityHeader, ciphertextAndTag))];
}
