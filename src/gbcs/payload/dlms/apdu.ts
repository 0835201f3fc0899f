import { GbcsDecodeError, GbcsEncodeError } from '../../errors.ts';
import { Writer, type Reader } from '../../reader.ts';
import { decodeData, encodeData, readCount, readLength, type DlmsData } from './data.ts';
import { formatObis, parseObis, type Obis } from './obis.ts';

/**
 * The three xDLMS APDUs GBCS carries (Green Book, A-XDR): access-request (0xd9) and access-response (0xda) for
 * commands and responses, data-notification (0x0f) for alerts.
 */

export const APDU_TAGS = { 'access-request': 0xd9, 'access-response': 0xda, 'data-notification': 0x0f } as const;
export type ApduType = keyof typeof APDU_TAGS;

export interface AttributeDescriptor {
  classId: number;
  obis: Obis;
  attributeId: number;
}

export interface MethodDescriptor {
  classId: number;
  obis: Obis;
  methodId: number;
}

export interface SelectiveAccess {
  selector: number;
  parameters: DlmsData;
}

export type RequestSpec =
  | { service: 'get' | 'set'; attribute: AttributeDescriptor }
  | { service: 'action'; method: MethodDescriptor }
  | { service: 'get-with-selection' | 'set-with-selection'; attribute: AttributeDescriptor; selection: SelectiveAccess };

export type RequestService = RequestSpec['service'];

/** One item's outcome: a data-access-result for get and set, an action-result for action. */
export interface ResponseSpec {
  service: 'get' | 'set' | 'action';
  result: number;
}

/** `invokeIdAndPriority` is the whole Long-Invoke-Id-And-Priority word; `dateTime` is usually empty. */
interface ApduHeader {
  invokeIdAndPriority: number;
  dateTime: Uint8Array;
}

export interface AccessRequest extends ApduHeader {
  apdu: 'access-request';
  requests: RequestSpec[];
  data: DlmsData[];
}

export interface AccessResponse extends ApduHeader {
  apdu: 'access-response';
  /** The optional echo of the request specifications. */
  requests?: RequestSpec[];
  data: DlmsData[];
  results: ResponseSpec[];
}

export interface DataNotification extends ApduHeader {
  apdu: 'data-notification';
  body: DlmsData;
}

export type DlmsApdu = AccessRequest | AccessResponse | DataNotification;

const REQUEST_CHOICES: Record<number, RequestService> = { 1: 'get', 2: 'set', 3: 'action', 4: 'get-with-selection', 5: 'set-with-selection' };
const REQUEST_CHOICE_BY_SERVICE = Object.fromEntries(Object.entries(REQUEST_CHOICES).map(([k, v]) => [v, Number(k)])) as Record<RequestService, number>;
const RESPONSE_CHOICES: Record<number, ResponseSpec['service']> = { 1: 'get', 2: 'set', 3: 'action' };
const RESPONSE_CHOICE_BY_SERVICE = { get: 1, set: 2, action: 3 } as const;

/** A request specification takes at least its choice, class id, instance id and attribute or method id. */
const MIN_REQUEST_SPEC_SIZE = 10;
const MIN_RESPONSE_SPEC_SIZE = 2;

function decodeAttribute(r: Reader): AttributeDescriptor {
  return { classId: r.u16('class id'), obis: formatObis(r.take(6, 'instance id (OBIS)')), attributeId: r.u8('attribute id') };
}

function decodeMethod(r: Reader): MethodDescriptor {
  return { classId: r.u16('class id'), obis: formatObis(r.take(6, 'instance id (OBIS)')), methodId: r.u8('method id') };
}

function decodeRequestSpec(r: Reader): RequestSpec {
  const at = r.offset;
  const choice = r.u8('access-request-specification choice');
  const service = REQUEST_CHOICES[choice];
  switch (service) {
    case 'get':
    case 'set':
      return { service, attribute: decodeAttribute(r) };
    case 'action':
      return { service, method: decodeMethod(r) };
    case 'get-with-selection':
    case 'set-with-selection': {
      const attribute = decodeAttribute(r);
      const selector = r.u8('access selector');
      return { service, attribute, selection: { selector, parameters: decodeData(r, 1, 'access parameters') } };
    }
    default:
      throw new GbcsDecodeError(at, 'access-request-specification choice 1..5 (get, set, action, get/set with selection)', String(choice));
  }
}

function decodeResponseSpec(r: Reader): ResponseSpec {
  const at = r.offset;
  const choice = r.u8('access-response-specification choice');
  const service = RESPONSE_CHOICES[choice];
  if (!service) throw new GbcsDecodeError(at, 'access-response-specification choice 1..3 (get, set, action)', String(choice));
  return { service, result: r.u8(service === 'action' ? 'action-result' : 'data-access-result') };
}

function decodeList<T>(r: Reader, what: string, minSize: number, item: (r: Reader) => T): T[] {
  const n = readCount(r, what, minSize);
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(item(r));
  return out;
}

const decodeDataList = (r: Reader, what: string) => decodeList(r, what, 1, (x) => decodeData(x, 1, what));

function decodeHeader(r: Reader): ApduHeader {
  const invokeIdAndPriority = r.u32('long-invoke-id-and-priority');
  return { invokeIdAndPriority, dateTime: r.take(readLength(r, 'date-time'), 'date-time') };
}

/** Decodes one xDLMS APDU filling the reader exactly. */
export function decodeApdu(r: Reader): DlmsApdu {
  const at = r.offset;
  const tag = r.u8('xDLMS APDU tag');
  let apdu: DlmsApdu;
  if (tag === APDU_TAGS['access-request']) {
    const header = decodeHeader(r);
    const requests = decodeList(r, 'access-request-specification', MIN_REQUEST_SPEC_SIZE, decodeRequestSpec);
    apdu = { apdu: 'access-request', ...header, requests, data: decodeDataList(r, 'access-request list of data') };
  } else if (tag === APDU_TAGS['access-response']) {
    const header = decodeHeader(r);
    const flagAt = r.offset;
    const present = r.u8('access-request-specification presence flag');
    if (present > 1) throw new GbcsDecodeError(flagAt, 'optional access-request-specification flag 0x00 or 0x01', String(present));
    const requests = present ? decodeList(r, 'access-request-specification', MIN_REQUEST_SPEC_SIZE, decodeRequestSpec) : undefined;
    const data = decodeDataList(r, 'access-response list of data');
    const results = decodeList(r, 'access-response-specification', MIN_RESPONSE_SPEC_SIZE, decodeResponseSpec);
    apdu = { apdu: 'access-response', ...header, ...(requests ? { requests } : {}), data, results };
  } else if (tag === APDU_TAGS['data-notification']) {
    const header = decodeHeader(r);
    apdu = { apdu: 'data-notification', ...header, body: decodeData(r, 1, 'notification body') };
  } else {
    throw new GbcsDecodeError(at, 'xDLMS access-request (0xd9), access-response (0xda) or data-notification (0x0f)', `0x${tag.toString(16).padStart(2, '0')}`);
  }
  r.end('DLMS payload');
  return apdu;
}

function checkRange(what: string, v: number, max: number): number {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new GbcsEncodeError(`${what} ${v} is outside 0..${max}`);
  return v;
}

function encodeTarget(w: Writer, classId: number, obis: Obis, id: number, what: string): void {
  w.u16(checkRange('class id', classId, 0xffff)).bytes(parseObis(obis)).u8(checkRange(what, id, 0xff));
}

function encodeRequestSpec(w: Writer, s: RequestSpec): void {
  w.u8(REQUEST_CHOICE_BY_SERVICE[s.service]);
  if (s.service === 'action') {
    encodeTarget(w, s.method.classId, s.method.obis, s.method.methodId, 'method id');
    return;
  }
  encodeTarget(w, s.attribute.classId, s.attribute.obis, s.attribute.attributeId, 'attribute id');
  if (s.service === 'get-with-selection' || s.service === 'set-with-selection') {
    w.u8(checkRange('access selector', s.selection.selector, 0xff));
    encodeData(w, s.selection.parameters);
  }
}

function encodeHeader(w: Writer, tag: number, h: ApduHeader): void {
  w.u8(tag).u32(checkRange('long-invoke-id-and-priority', h.invokeIdAndPriority, 0xffffffff)).lengthPrefixed(h.dateTime);
}

export function encodeApdu(apdu: DlmsApdu): Uint8Array {
  const w = new Writer();
  encodeHeader(w, APDU_TAGS[apdu.apdu], apdu);
  switch (apdu.apdu) {
    case 'access-request':
      w.length(apdu.requests.length);
      for (const s of apdu.requests) encodeRequestSpec(w, s);
      w.length(apdu.data.length);
      for (const d of apdu.data) encodeData(w, d);
      break;
    case 'access-response':
      if (apdu.requests) {
        w.u8(1).length(apdu.requests.length);
        for (const s of apdu.requests) encodeRequestSpec(w, s);
      } else {
        w.u8(0);
      }
      w.length(apdu.data.length);
      for (const d of apdu.data) encodeData(w, d);
      w.length(apdu.results.length);
      for (const s of apdu.results) w.u8(RESPONSE_CHOICE_BY_SERVICE[s.service]).u8(checkRange('result', s.result, 0xff));
      break;
    case 'data-notification':
      encodeData(w, apdu.body);
      break;
  }
  return w.finish();
}
