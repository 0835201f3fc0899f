import type { Json } from '../types.ts';
import { alertFields } from './alerts.ts';
import type { DlmsApdu, RequestSpec, ResponseSpec } from './apdu.ts';
import { attributeName, className, methodName, objectName } from './cosem-names.ts';
import { describeDateTime } from './cosem-time.ts';
import { dataFields, type Decrypt } from './data-fields.ts';
import { resultName } from './results.ts';
import { toHex } from '../../../bytes.ts';

type JsonObject = { [key: string]: Json };

/** Long-Invoke-Id-And-Priority: invoke id in bits 0-23, then self-descriptive, processing option, service class, priority. */
export function invokeFields(v: number): JsonObject {
  return {
    hex: v.toString(16).padStart(8, '0'),
    invokeId: v & 0xffffff,
    selfDescriptive: ((v >>> 28) & 1) === 1,
    processing: (v >>> 29) & 1 ? 'break-on-error' : 'continue-on-error',
    serviceClass: (v >>> 30) & 1 ? 'confirmed' : 'unconfirmed',
    priority: v >>> 31 ? 'high' : 'normal',
  };
}

function withNames(out: JsonObject, names: Record<string, string | undefined>): JsonObject {
  for (const [k, v] of Object.entries(names)) if (v !== undefined) out[k] = v;
  return out;
}

export function requestFields(s: RequestSpec): JsonObject {
  if (s.service === 'action') {
    const { classId, obis, methodId } = s.method;
    return withNames({ service: s.service, classId, obis, methodId }, { class: className(classId), object: objectName(obis), method: methodName(classId, methodId) });
  }
  const { classId, obis, attributeId } = s.attribute;
  const out = withNames({ service: s.service, classId, obis, attributeId }, { class: className(classId), object: objectName(obis), attribute: attributeName(classId, attributeId) });
  if ('selection' in s) out.selection = { selector: s.selection.selector, parameters: dataFields(s.selection.parameters) };
  return out;
}

function resultFields(s: ResponseSpec): JsonObject {
  const name = resultName(s.service, s.result);
  return { service: s.service, result: name ? { value: s.result, name } : { value: s.result } };
}

function headerFields(apdu: DlmsApdu): JsonObject {
  const dateTime: Json = apdu.dateTime.length === 0 ? null : apdu.dateTime.length === 12 ? { hex: toHex(apdu.dateTime), ...describeDateTime(apdu.dateTime) } : { raw: toHex(apdu.dateTime) };
  return { invokeIdAndPriority: invokeFields(apdu.invokeIdAndPriority), dateTime };
}

/** Pairs each item with its data when the lists line up (they do in every GBCS use case); otherwise lists both. */
function paired<T>(items: T[], data: Json[], describe: (item: T) => JsonObject, key: string): JsonObject {
  if (items.length === data.length) return { [key]: items.map((item, i) => ({ ...describe(item), data: data[i]! })) };
  return { [key]: items.map(describe), data };
}

export function apduFields(apdu: DlmsApdu, messageCode: number, decrypt?: Decrypt): JsonObject {
  const header = headerFields(apdu);
  switch (apdu.apdu) {
    case 'access-request':
      return { ...header, ...paired(apdu.requests, apdu.data.map((d) => dataFields(d, decrypt)), requestFields, 'requests') };
    case 'access-response': {
      const echoed: JsonObject = apdu.requests ? { requests: apdu.requests.map(requestFields) } : {};
      return { ...header, ...echoed, ...paired(apdu.results, apdu.data.map((d) => dataFields(d, decrypt)), resultFields, 'responses') };
    }
    case 'data-notification': {
      const alert = alertFields(apdu.body, messageCode, decrypt);
      return { ...header, ...(alert ?? { body: dataFields(apdu.body, decrypt) }) };
    }
  }
}
