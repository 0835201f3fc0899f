import { encodeApdu, type AccessRequest, type RequestSpec } from '../../src/gbcs/payload/dlms/apdu.ts';
import { respondTo } from '../../src/gbcs/payload/dlms/builders.ts';
import type { DlmsData } from '../../src/gbcs/payload/dlms/data.ts';
import { RESULT } from '../../src/gbcs/payload/dlms/results.ts';

/** Reading the hub's DLMS commands (ZigBee network control, class 104) and answering them item for item. */

export const ZIGBEE_NETWORK_CONTROL = 104;
export const DEVICE_LOG = '0-0:30.3.0.255';
export const HISTORIC_DEVICE_LOG = '0-0:30.3.1.255';

export { decodeAccessRequest } from '../core/dlms-request.ts';

/** What one request item must address: the attribute id of a get or set, the method id of an action. */
export interface Item {
  service: 'get' | 'set' | 'action';
  classId: number;
  obis: string;
  id: number;
}

export const method = (obis: string, id: number): Item => ({ service: 'action', classId: ZIGBEE_NETWORK_CONTROL, obis, id });
export const attribute = (service: 'get' | 'set', obis: string, id: number): Item => ({ service, classId: ZIGBEE_NETWORK_CONTROL, obis, id });

function addresses(spec: RequestSpec | undefined, item: Item): boolean {
  if (!spec || spec.service !== item.service) return false;
  if (spec.service === 'action') return spec.method.classId === item.classId && spec.method.obis === item.obis && spec.method.methodId === item.id;
  return spec.attribute.classId === item.classId && spec.attribute.obis === item.obis && spec.attribute.attributeId === item.id;
}

/** The request's data, one per item, when it is exactly these items in this order; undefined otherwise. */
export function itemsOf(request: AccessRequest, items: readonly Item[]): DlmsData[] | undefined {
  if (request.requests.length !== items.length || !items.every((item, i) => addresses(request.requests[i], item))) return undefined;
  return request.data;
}

/**
 * The response to a command refused at its first item: `result` for it (hardware-fault, what every RTDS Comms Hub
 * error response shows, unless given), and other-reason for the rest, which GBCS's break-on-error leaves undone.
 */
export function failed(request: AccessRequest, result: number = RESULT.hardwareFault): Uint8Array {
  return encodeApdu(respondTo(request, request.requests.map((_, i) => ({ result: i === 0 ? result : RESULT.otherReason }))));
}

export function octets(d: DlmsData | undefined): Uint8Array | undefined {
  return d?.type === 'octet-string' ? d.value : undefined;
}
