import { euiFromBytes, type Eui } from '../../src/crypto/eui.ts';
import type { AccessRequest, AccessResponse } from '../../src/gbcs/payload/dlms/apdu.ts';
import { accessResponse, protectedData, respondTo } from '../../src/gbcs/payload/dlms/builders.ts';
import type { DlmsData } from '../../src/gbcs/payload/dlms/data.ts';
import { formatObis } from '../../src/gbcs/payload/dlms/obis.ts';
import { RESULT } from '../../src/gbcs/payload/dlms/results.ts';
import { doubleLong, enumValue, octetString, structure } from '../../src/gbcs/payload/dlms/values.ts';
import { billingLogData, prepaymentValues, prepaymentValuesData } from './billing-log.ts';
import { dataBytes, failAll, isRequestFor, readDateTime, type Target } from './dlms.ts';
import { ACCOUNT_CLASS } from './payment-mode.ts';
import type { EsmeState } from './state.ts';

/** The meter's reads: plain (ECS52, ECS82, ECS26j) and protected, encrypted for the requester (ECS19, ECS20b). */

const get = (classId: number, obis: string): Target => ({ service: 'get', classId, obis, id: 2 });
const action = (classId: number, obis: string, id: number): Target => ({ service: 'action', classId, obis, id });

const FIRMWARE_VERSION = get(1, '0-0:0.2.1.255');
const METER_BALANCE = get(112, '0-0:19.10.0.255');
const ACCOUNT = get(ACCOUNT_CLASS, '0-0:19.0.0.255');
const PREPAYMENT_REGISTERS = action(30, '0-0:43.2.1.255', 1);
const BILLING_DATA_LOG = action(30, '0-0:43.2.3.255', 1);
const PAYMENT_MODES = { credit: 1, prepayment: 2 } as const;

function single(request: AccessRequest, target: Target, data: () => DlmsData): AccessResponse {
  if (!isRequestFor(request, [target])) return failAll(request, RESULT.objectUndefined);
  return respondTo(request, [{ data: data() }]);
}

/** ECS52: the firmware version as 4 octets. */
export function readFirmwareVersion(request: AccessRequest, s: EsmeState): AccessResponse {
  const v = new Uint8Array(4);
  new DataView(v.buffer).setUint32(0, s.firmwareVersion >>> 0);
  return single(request, FIRMWARE_VERSION, () => octetString(v));
}

/** ECS82: the meter balance, whole currency units. */
export function readMeterBalance(request: AccessRequest, s: EsmeState): AccessResponse {
  return single(request, METER_BALANCE, () => doubleLong(Math.round(s.account.meterBalance)));
}

/** ECS26j: account_mode_and_status. */
export function readPaymentMode(request: AccessRequest, s: EsmeState): AccessResponse {
  return single(request, ACCOUNT, () => structure(enumValue(PAYMENT_MODES[s.account.mode]), enumValue(s.account.status)));
}

/** Who asks, who answers, and how the device encrypts for the one who asked. */
export interface ProtectedReadParties {
  requester: Eui;
  device: Eui;
  counter: bigint;
  encrypt(plaintext: Uint8Array): Uint8Array;
}

interface ProtectedRequest {
  /** The attribute asked for: class, OBIS, attribute id. */
  attribute: { classId: number; obis: string; attributeId: number };
  selector: number;
  selection: DlmsData;
  originator: Eui;
  recipient: Eui;
}

const octets = (d: DlmsData | undefined) => (d?.type === 'octet-string' ? d.value : undefined);

/** get_protected_attributes parameters: one attribute with its selective access, and the protection parameters. */
function readProtectedRequest(data: DlmsData | undefined): ProtectedRequest | undefined {
  if (data?.type !== 'structure' || data.elements.length !== 2) return undefined;
  const [list, parameters] = data.elements as [DlmsData, DlmsData];
  const item = list.type === 'array' && list.elements.length === 1 ? list.elements[0] : undefined;
  const entry = parameters.type === 'array' && parameters.elements.length === 1 ? parameters.elements[0] : undefined;
  if (item?.type !== 'structure' || item.elements.length !== 5 || entry?.type !== 'structure') return undefined;
  const [classId, obis, attributeId, , access] = item.elements as DlmsData[];
  const options = entry.elements[1];
  const originator = options?.type === 'structure' ? octets(options.elements[1]) : undefined;
  const recipient = options?.type === 'structure' ? octets(options.elements[2]) : undefined;
  const obisBytes = octets(obis);
  if (classId?.type !== 'long-unsigned' || obisBytes?.length !== 6 || attributeId?.type !== 'integer' || access?.type !== 'structure') return undefined;
  const [selector, selection] = access.elements;
  if (selector?.type !== 'enum' || !selection || originator?.length !== 8 || recipient?.length !== 8) return undefined;
  return {
    attribute: { classId: classId.value, obis: formatObis(obisBytes), attributeId: attributeId.value },
    selector: selector.value,
    selection,
    originator: euiFromBytes(originator),
    recipient: euiFromBytes(recipient),
  };
}

function protectedRead(
  request: AccessRequest,
  target: Target,
  attribute: ProtectedRequest['attribute'],
  p: ProtectedReadParties,
  plaintext: (r: ProtectedRequest) => DlmsData | undefined,
): AccessResponse {
  if (!isRequestFor(request, [target])) return failAll(request, RESULT.objectUndefined);
  const r = readProtectedRequest(request.data[0]);
  const sameAttribute = r && r.attribute.classId === attribute.classId && r.attribute.obis === attribute.obis && r.attribute.attributeId === attribute.attributeId;
  // The protection is agreed between the requester and this device: parameters naming anyone else are refused.
  if (!r || !sameAttribute || r.originator !== p.requester || r.recipient !== p.device) return failAll(request, RESULT.readWriteDenied);
  const data = plaintext(r);
  if (!data) return failAll(request, RESULT.typeUnmatched);
  const ciphertextAndTag = p.encrypt(dataBytes(data));
  const parameters = { counter: p.counter, originator: p.device, recipient: p.requester };
  return accessResponse(request.invokeIdAndPriority, [{ service: 'action', data: structure(...protectedData(parameters, ciphertextAndTag)) }]);
}

/** ECS19: the six prepayment registers. */
export function readPrepaymentRegisters(request: AccessRequest, s: EsmeState, p: ProtectedReadParties): AccessResponse {
  return protectedRead(request, PREPAYMENT_REGISTERS, { classId: 1, obis: '0-0:94.44.34.30', attributeId: 2 }, p, () =>
    structure(structure(...prepaymentValuesData(prepaymentValues(s.account)))),
  );
}

/** ECS20b: the change of mode / tariff triggered billing data log entries within the requested range. */
export function readBillingDataLog(request: AccessRequest, s: EsmeState, p: ProtectedReadParties): AccessResponse {
  return protectedRead(request, BILLING_DATA_LOG, { classId: 7, obis: '0-0:98.1.2.255', attributeId: 2 }, p, (r) => {
    if (r.selector !== 1 || r.selection.type !== 'structure') return undefined;
    const from = readDateTime(r.selection.elements[0]);
    const to = readDateTime(r.selection.elements[1]);
    if (typeof from !== 'number' || typeof to !== 'number') return undefined;
    return billingLogData(s.billingLog.filter((e) => e.at >= from && e.at <= to));
  });
}
