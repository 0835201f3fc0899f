import { encodeApdu, type AccessRequest, type AccessResponse, type RequestSpec } from '../../src/gbcs/payload/dlms/apdu.ts';
import { respondTo, type Outcome } from '../../src/gbcs/payload/dlms/builders.ts';
import { COSEM_DATE_TIME_NEVER, COSEM_DATE_TIME_NOW, describeDateTime } from '../../src/gbcs/payload/dlms/cosem-time.ts';
import { encodeData, type DlmsData } from '../../src/gbcs/payload/dlms/data.ts';
import { RESULT } from '../../src/gbcs/payload/dlms/results.ts';
import { Writer } from '../../src/gbcs/reader.ts';

/** The DLMS side of the meter's use cases: reading requests, and answering them item for item. */

export { decodeAccessRequest } from '../core/dlms-request.ts';


export const apduBytes = (apdu: AccessResponse): Uint8Array => encodeApdu(apdu);

export function dataBytes(d: DlmsData): Uint8Array {
  const w = new Writer();
  encodeData(w, d);
  return w.finish();
}

/** What a request item must address: `id` is the attribute id of a get/set, the method id of an action. */
export interface Target {
  service: RequestSpec['service'];
  classId: number;
  obis: string;
  id: number;
}

export function addresses(spec: RequestSpec | undefined, t: Target): boolean {
  if (!spec || spec.service !== t.service) return false;
  const d = spec.service === 'action' ? spec.method : spec.attribute;
  const id = spec.service === 'action' ? spec.method.methodId : spec.attribute.attributeId;
  return d.classId === t.classId && d.obis === t.obis && id === t.id;
}

/** True when the request is exactly these items, in this order. */
export function isRequestFor(request: AccessRequest, targets: Target[]): boolean {
  return request.requests.length === targets.length && targets.every((t, i) => addresses(request.requests[i], t));
}

/** Every item answered with the same failure and no data. */
export function failAll(request: AccessRequest, result: number): AccessResponse {
  return respondTo(request, request.requests.map(() => ({ result })));
}

/**
 * GBCS commands are break-on-error: the items after the first failure are not carried out, and the RTDS error
 * responses answer them with other-reason.
 */
export function breakOnError(request: AccessRequest, outcomes: Outcome[]): AccessResponse {
  const failedAt = outcomes.findIndex((o) => (o.result ?? RESULT.success) !== RESULT.success);
  const done = failedAt < 0 ? outcomes : outcomes.slice(0, failedAt + 1);
  const rest = request.requests.slice(done.length).map(() => ({ result: RESULT.otherReason }));
  return respondTo(request, [...done, ...rest]);
}

/** An activation or range date-time: `now`, `never`, a time (ms), or undefined when not a usable date-time. */
export type ActivationTime = 'now' | 'never' | number;

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

export function readDateTime(d: DlmsData | undefined): ActivationTime | undefined {
  if (d?.type !== 'octet-string' || d.value.length !== 12) return undefined;
  if (same(d.value, COSEM_DATE_TIME_NOW)) return 'now';
  if (same(d.value, COSEM_DATE_TIME_NEVER)) return 'never';
  const iso = describeDateTime(d.value).iso;
  return typeof iso === 'string' ? Date.parse(iso) : undefined;
}
