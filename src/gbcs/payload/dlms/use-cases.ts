import { fromHex } from '../../../bytes.ts';
import { euiToBytes, type Eui } from '../../../crypto/eui.ts';
import { GbcsEncodeError } from '../../errors.ts';
import { ALERT_CODES } from './alerts.ts';
import type { AccessRequest, AccessResponse, DataNotification, RequestSpec } from './apdu.ts';
import {
  accessRequest,
  accessResponse,
  action,
  gbcsAlert,
  get,
  invokeIdFor,
  protectedData,
  protectionParameters,
  respondTo,
  set,
  type ProtectionParameters,
  type ResponseItem,
} from './builders.ts';
import type { DlmsData } from './data.ts';
import { parseObis, type Obis } from './obis.ts';
import { RESULT } from './results.ts';
import {
  array,
  bitString,
  boolean,
  dateTimeString,
  doubleLong,
  enumValue,
  integer,
  longUnsigned,
  nullData,
  obisString,
  octetString,
  structure,
  textOctetString,
  unsigned,
  type Bytes,
  type DateTimeInput,
} from './values.ts';

/**
 * Named builders for the GBCS DLMS use cases the business scenarios need, each with its response. Layouts follow
 * the RTDS messages of the same use case. Every builder takes the GBCS originator counter of the message it goes
 * in; the DLMS invoke id comes from it.
 */

const CLASS = { data: 1, clock: 8, dataProtection: 30, zigbeeNetworkControl: 104, account: 111, credit: 112, tokenGateway: 115, extendedData: 9000 } as const;

const OBJ = {
  firmwareVersion: '0-0:0.2.1.255',
  clock: '0-0:1.0.0.255',
  tokenGateway: '0-0:19.40.0.255',
  accountPaymentMode: '0-1:19.0.0.255',
  account: '0-0:19.0.0.255',
  meterBalance: '0-0:19.10.0.255',
  emergencyCredit: '0-0:19.10.1.255',
  disablementThreshold: '0-0:94.44.128.22',
  importMpan: '0-0:94.44.34.11',
  prepaymentRegisters: '0-0:43.2.1.255',
  prepaymentRegisterValues: '0-0:94.44.34.30',
  billingDataLogRead: '0-0:43.2.3.255',
  billingDataLog: '0-0:98.1.2.255',
  deviceLog: '0-0:30.3.0.255',
  historicDeviceLog: '0-0:30.3.1.255',
} as const satisfies Record<string, Obis>;

export const PAYMENT_MODE = { credit: 1, prepayment: 2 } as const;
/** account_status as the RTDS payment mode changes send it: 1, a new (not yet active) account. */
const ACCOUNT_STATUS_NEW = 1;

interface Counter {
  /** The GBCS originator counter of the message (of the command, for a response). */
  counter: bigint;
}

interface Result {
  /** Result code, success when absent (see RESULT). */
  result?: number;
}

/** Results for a response whose items carry no data: success for each unless given. */
interface Results {
  results?: number[];
}

function request(counter: bigint, items: { request: RequestSpec; data?: DlmsData }[]): AccessRequest {
  return accessRequest(invokeIdFor(counter), items);
}

function response(counter: bigint, items: ResponseItem[]): AccessResponse {
  return accessResponse(invokeIdFor(counter), items);
}

function resultsFor(command: AccessRequest, results: number[] = []): AccessResponse {
  return respondTo(command, results.map((result) => ({ result })));
}

// CS01a: apply a prepayment top-up (UTRN) through the token gateway.

export function topUpCommand(p: Counter & { utrn: string }): AccessRequest {
  if (!/^\d{20}$/.test(p.utrn)) throw new GbcsEncodeError(`a UTRN is 20 decimal digits: ${JSON.stringify(p.utrn)}`);
  return request(p.counter, [{ request: action(CLASS.tokenGateway, OBJ.tokenGateway, 1), data: textOctetString(p.utrn) }]);
}

export function topUpResponse(p: Counter & Result): AccessResponse {
  return response(p.counter, [{ service: 'action', result: p.result }]);
}

// ECS02 / ECS03: change payment mode, at a date-time ('now' for immediate, 'never' to cancel a future-dated change).

export interface CreditChargeConfiguration {
  creditReference: Obis;
  chargeReference: Obis;
  /** collection_configuration bits, e.g. `'111'`. */
  collectionConfiguration: string;
}

function creditChargeConfiguration(entries: CreditChargeConfiguration[]): DlmsData {
  return array(entries.map((e) => structure(obisString(e.creditReference), obisString(e.chargeReference), bitString(e.collectionConfiguration))));
}

const accountMode = (mode: number) => structure(enumValue(mode), enumValue(ACCOUNT_STATUS_NEW));

/** ECS02: set the ESME to credit mode. */
export function paymentModeToCreditCommand(p: Counter & { creditChargeConfiguration: CreditChargeConfiguration[]; activationTime: DateTimeInput }): AccessRequest {
  return request(p.counter, [
    { request: set(CLASS.account, OBJ.accountPaymentMode, 2), data: accountMode(PAYMENT_MODE.credit) },
    { request: set(CLASS.account, OBJ.accountPaymentMode, 11), data: creditChargeConfiguration(p.creditChargeConfiguration) },
    { request: set(CLASS.account, OBJ.accountPaymentMode, 13), data: dateTimeString(p.activationTime) },
  ]);
}

/** ECS03: set the ESME to prepayment mode, with the disablement threshold that then applies. */
export function paymentModeToPrepaymentCommand(
  p: Counter & { disablementThreshold: number; creditChargeConfiguration: CreditChargeConfiguration[]; disablementThresholdActivationTime: DateTimeInput; activationTime: DateTimeInput },
): AccessRequest {
  return request(p.counter, [
    { request: set(CLASS.account, OBJ.accountPaymentMode, 2), data: accountMode(PAYMENT_MODE.prepayment) },
    { request: set(CLASS.extendedData, OBJ.disablementThreshold, 4), data: doubleLong(p.disablementThreshold) },
    { request: set(CLASS.account, OBJ.accountPaymentMode, 11), data: creditChargeConfiguration(p.creditChargeConfiguration) },
    { request: set(CLASS.extendedData, OBJ.disablementThreshold, 6), data: dateTimeString(p.disablementThresholdActivationTime) },
    { request: set(CLASS.account, OBJ.accountPaymentMode, 13), data: dateTimeString(p.activationTime) },
  ]);
}

/** ECS02 / ECS03 response: one set result per item of the command. */
export function paymentModeResponse(command: AccessRequest, p: Results = {}): AccessResponse {
  return resultsFor(command, p.results);
}

// ECS70: set the ESME clock (clock_base, then preset and adjust to the preset time, then read time and status back).

export function setClockCommand(p: Counter & { clockBase?: number; presetTime: DateTimeInput; validityIntervalStart: DateTimeInput; validityIntervalEnd: DateTimeInput }): AccessRequest {
  return request(p.counter, [
    // clock_base 5, as the RTDS sends it.
    { request: set(CLASS.clock, OBJ.clock, 9), data: enumValue(p.clockBase ?? 5) },
    { request: action(CLASS.clock, OBJ.clock, 5), data: structure(dateTimeString(p.presetTime), dateTimeString(p.validityIntervalStart), dateTimeString(p.validityIntervalEnd)) },
    { request: action(CLASS.clock, OBJ.clock, 4), data: integer(0) },
    { request: get(CLASS.clock, OBJ.clock, 2) },
    { request: get(CLASS.clock, OBJ.clock, 4) },
  ]);
}

/** ECS70 response: the three write results, then the clock's time and status as read back. */
export function setClockResponse(p: Counter & { time: DateTimeInput; status: number; results?: number[] }): AccessResponse {
  const r = (i: number) => p.results?.[i];
  const ok = (i: number) => (r(i) ?? RESULT.success) === RESULT.success;
  return response(p.counter, [
    { service: 'set', result: r(0) },
    { service: 'action', result: r(1) },
    { service: 'action', result: r(2) },
    { service: 'get', result: r(3), data: ok(3) ? dateTimeString(p.time) : nullData() },
    { service: 'get', result: r(4), data: ok(4) ? unsigned(p.status) : nullData() },
  ]);
}

// ECS39a: set the import MPAN.

export function setImportMpanCommand(p: Counter & { mpan: string }): AccessRequest {
  return request(p.counter, [{ request: set(CLASS.data, OBJ.importMpan, 2), data: textOctetString(p.mpan) }]);
}

export function setImportMpanResponse(p: Counter & Result): AccessResponse {
  return response(p.counter, [{ service: 'set', result: p.result }]);
}

// Protected reads (data protection get_protected_attributes): ECS19 prepayment registers, ECS20b billing data log.

/** One attribute to read protected, with its selective access (selector 0 and null-data: the whole attribute). */
export interface ProtectedAttribute {
  classId: number;
  obis: Obis;
  attributeId: number;
  dataIndex?: number;
  selector?: number;
  selection?: DlmsData;
}

/** The two parties of the protection: the requester protects the request, the device answers to it. */
interface ProtectedReadParties {
  requester: Eui;
  device: Eui;
}

function getProtectedAttributes(counter: bigint, object: Obis, attributes: ProtectedAttribute[], protection: ProtectionParameters): AccessRequest {
  const list = array(
    attributes.map((a) =>
      structure(longUnsigned(a.classId), octetString(parseObis(a.obis)), integer(a.attributeId), longUnsigned(a.dataIndex ?? 0), structure(enumValue(a.selector ?? 0), a.selection ?? nullData())),
    ),
  );
  return request(counter, [{ request: action(CLASS.dataProtection, object, 1), data: structure(list, protectionParameters(protection)) }]);
}

/** ECS19: read the prepayment registers, encrypted for the requester. */
export function readPrepaymentRegistersCommand(p: Counter & ProtectedReadParties): AccessRequest {
  return getProtectedAttributes(p.counter, OBJ.prepaymentRegisters, [{ classId: CLASS.data, obis: OBJ.prepaymentRegisterValues, attributeId: 2 }], {
    counter: p.counter,
    originator: p.requester,
    recipient: p.device,
  });
}

/** ECS20b: read the billing data log between two date-times, encrypted for the requester. */
export function readBillingDataLogCommand(p: Counter & ProtectedReadParties & { from: DateTimeInput; to: DateTimeInput }): AccessRequest {
  // Selector 1 reads by range: the from and to date-times.
  const range = structure(dateTimeString(p.from), dateTimeString(p.to));
  return getProtectedAttributes(p.counter, OBJ.billingDataLogRead, [{ classId: 7, obis: OBJ.billingDataLog, attributeId: 2, selector: 1, selection: range }], {
    counter: p.counter,
    originator: p.requester,
    recipient: p.device,
  });
}

/**
 * Response to a protected read (ECS19, ECS20b …): the device's protection parameters and the plaintext's AES-GCM
 * ciphertext and tag (GbcsSecurity.encryptPayload over the response header makes them). An error carries no data.
 */
export function protectedReadResponse(p: Counter & Result & ProtectedReadParties & { ciphertextAndTag?: Uint8Array }): AccessResponse {
  const failed = (p.result ?? RESULT.success) !== RESULT.success || !p.ciphertextAndTag;
  const data = failed ? nullData() : structure(...protectedData({ counter: p.counter, originator: p.device, recipient: p.requester }, p.ciphertextAndTag!));
  return response(p.counter, [{ service: 'action', result: p.result, data }]);
}

// ECS82 read meter balance; ECS09 activate emergency credit; ECS26j read payment mode; ECS52 read firmware version.

export const readMeterBalanceCommand = (p: Counter): AccessRequest => request(p.counter, [{ request: get(CLASS.credit, OBJ.meterBalance, 2) }]);

export function readMeterBalanceResponse(p: Counter & Result & { balance?: number }): AccessResponse {
  return response(p.counter, [{ service: 'get', result: p.result, data: p.balance === undefined ? nullData() : doubleLong(p.balance) }]);
}

export const activateEmergencyCreditCommand = (p: Counter): AccessRequest => request(p.counter, [{ request: action(CLASS.credit, OBJ.emergencyCredit, 3), data: integer(0) }]);

export const activateEmergencyCreditResponse = (p: Counter & Result): AccessResponse => response(p.counter, [{ service: 'action', result: p.result }]);

export const readPaymentModeCommand = (p: Counter): AccessRequest => request(p.counter, [{ request: get(CLASS.account, OBJ.account, 2) }]);

/** ECS26j response: account_mode_and_status, the payment mode (see PAYMENT_MODE) and account status enums. */
export function readPaymentModeResponse(p: Counter & Result & { accountModeAndStatus?: { paymentMode: number; accountStatus: number } }): AccessResponse {
  const m = p.accountModeAndStatus;
  const data = m ? structure(enumValue(m.paymentMode), enumValue(m.accountStatus)) : nullData();
  return response(p.counter, [{ service: 'get', result: p.result, data }]);
}

export const readFirmwareVersionCommand = (p: Counter): AccessRequest => request(p.counter, [{ request: get(CLASS.data, OBJ.firmwareVersion, 2) }]);

export function readFirmwareVersionResponse(p: Counter & Result & { version?: Bytes }): AccessResponse {
  return response(p.counter, [{ service: 'get', result: p.result, data: p.version === undefined ? nullData() : octetString(p.version) }]);
}

// Comms Hub: CCS01 add a device to the CHF device log, CCS02 remove it, CCS03 restore the log, CCS06/CCS07 read it.

export interface DeviceToRegister {
  ieeeAddress: Eui;
  /** key_type of register_device; 1 with an install code as the key, as the RTDS sends. */
  keyType?: number;
  /** The install code (or key) as bytes. */
  key: Bytes;
  deviceType: number;
}

/** CCS01: register the device, set the join timeout (seconds), enable joining. */
export function addDeviceCommand(p: Counter & { device: DeviceToRegister; joinTimeout: number }): AccessRequest {
  const d = p.device;
  return request(p.counter, [
    { request: action(CLASS.zigbeeNetworkControl, OBJ.deviceLog, 1), data: structure(octetString(euiToBytes(d.ieeeAddress)), enumValue(d.keyType ?? 1), octetString(d.key), enumValue(d.deviceType)) },
    { request: set(CLASS.zigbeeNetworkControl, OBJ.deviceLog, 3), data: longUnsigned(p.joinTimeout) },
    { request: set(CLASS.zigbeeNetworkControl, OBJ.deviceLog, 2), data: boolean(true) },
  ]);
}

export function removeDeviceCommand(p: Counter & { ieeeAddress: Eui }): AccessRequest {
  return request(p.counter, [{ request: action(CLASS.zigbeeNetworkControl, OBJ.deviceLog, 2), data: octetString(euiToBytes(p.ieeeAddress)) }]);
}

export interface DeviceLogEntry {
  ieeeAddress: Eui;
  /** Hash of the TC link key; empty when none has been established. */
  hashedTcLinkKey: Bytes;
}

const deviceLogEntries = (devices: DeviceLogEntry[]) => array(devices.map((d) => structure(octetString(euiToBytes(d.ieeeAddress)), octetString(d.hashedTcLinkKey))));

/** CCS03: restore_PAN on a replacement hub, with the extended PAN id and device log of the old one. */
export function restoreDeviceLogCommand(p: Counter & { extendedPanId: Bytes; devices: DeviceLogEntry[] }): AccessRequest {
  return request(p.counter, [{ request: action(CLASS.zigbeeNetworkControl, OBJ.deviceLog, 5), data: structure(octetString(p.extendedPanId), deviceLogEntries(p.devices)) }]);
}

/** CCS01 / CCS02 / CCS03 response: one result per item of the command. */
export function deviceLogUpdateResponse(command: AccessRequest, p: Results = {}): AccessResponse {
  return resultsFor(command, p.results);
}

/** CCS06: read active_devices. */
export const readDeviceLogCommand = (p: Counter): AccessRequest => request(p.counter, [{ request: get(CLASS.zigbeeNetworkControl, OBJ.deviceLog, 4) }]);

/** One active_devices entry (ZigBee network control): link statistics for a device in the CHF device log. */
export interface ActiveDevice {
  macAddress: Eui;
  /** status bit-string, e.g. `'11001000'`. */
  status: string;
  maxRssi: number;
  averageRssi: number;
  minRssi: number;
  maxLqi: number;
  averageLqi: number;
  minLqi: number;
  lastCommunication: DateTimeInput;
  numberOfHops: number;
  transmissionFailures: number;
  transmissionSuccesses: number;
  applicationVersion: number;
  stackVersion: number;
}

function activeDevice(d: ActiveDevice): DlmsData {
  return structure(
    octetString(euiToBytes(d.macAddress)),
    bitString(d.status),
    integer(d.maxRssi),
    integer(d.averageRssi),
    integer(d.minRssi),
    unsigned(d.maxLqi),
    unsigned(d.averageLqi),
    unsigned(d.minLqi),
    dateTimeString(d.lastCommunication),
    unsigned(d.numberOfHops),
    unsigned(d.transmissionFailures),
    unsigned(d.transmissionSuccesses),
    unsigned(d.applicationVersion),
    unsigned(d.stackVersion),
  );
}

export function readDeviceLogResponse(p: Counter & Result & { devices?: ActiveDevice[] }): AccessResponse {
  return response(p.counter, [{ service: 'get', result: p.result, data: p.devices ? array(p.devices.map(activeDevice)) : nullData() }]);
}

/** CCS07: backup_PAN on the CHF device log and the CHF historic device log. */
export function readDeviceLogsCommand(p: Counter): AccessRequest {
  return request(p.counter, [
    { request: action(CLASS.zigbeeNetworkControl, OBJ.deviceLog, 4) },
    { request: action(CLASS.zigbeeNetworkControl, OBJ.historicDeviceLog, 4) },
  ]);
}

export interface DeviceLogBackup {
  timestamp: DateTimeInput;
  extendedPanId: Bytes;
  devices: DeviceLogEntry[];
}

const backup = (b: DeviceLogBackup | undefined) => (b ? structure(dateTimeString(b.timestamp), octetString(b.extendedPanId), deviceLogEntries(b.devices)) : nullData());

export function readDeviceLogsResponse(p: Counter & { deviceLog?: DeviceLogBackup; historicDeviceLog?: DeviceLogBackup; results?: number[] }): AccessResponse {
  return response(p.counter, [
    { service: 'action', result: p.results?.[0], data: backup(p.deviceLog) },
    { service: 'action', result: p.results?.[1], data: backup(p.historicDeviceLog) },
  ]);
}

// Alerts.

/** The command a future-dated alert reports on: its message code, originator counter and the attribute it set. */
export interface FutureDatedCommand {
  messageCode: number;
  originatorCounter: bigint;
  classId: number;
  obis: Obis;
  attributeId: number;
}

function futureDatedContent(c: FutureDatedCommand): Uint8Array {
  const out = new Uint8Array(19);
  const view = new DataView(out.buffer);
  view.setUint16(0, c.messageCode);
  view.setBigUint64(2, c.originatorCounter);
  view.setUint16(10, c.classId);
  out.set(parseObis(c.obis), 12);
  out[18] = c.attributeId;
  return out;
}

/** 0x00CC: a future-dated command took effect (0x8F66) or failed to (0x8F67). */
export function futureDatedAlert(p: Counter & { timestamp: DateTimeInput; command: FutureDatedCommand; alertCode?: number }): DataNotification {
  return gbcsAlert(invokeIdFor(p.counter), p.alertCode ?? ALERT_CODES.futureDatedCommandSucceeded, p.timestamp, [octetString(futureDatedContent(p.command))]);
}

/** 0x00CE: the ESME (or hub) received a firmware image; the hash it calculated over it. */
export function firmwareDistributionReceiptAlert(p: Counter & { timestamp: DateTimeInput; calculatedManufacturerHash: Bytes; alertCode?: number }): DataNotification {
  const hash = typeof p.calculatedManufacturerHash === 'string' ? fromHex(p.calculatedManufacturerHash) : p.calculatedManufacturerHash;
  if (hash.length !== 32) throw new GbcsEncodeError(`the calculated manufacturer hash is 32 bytes, got ${hash.length}`);
  return gbcsAlert(invokeIdFor(p.counter), p.alertCode ?? ALERT_CODES.firmwareVerificationSuccessful, p.timestamp, [octetString(hash)]);
}

/** 0x00F0: a smart meter integrity issue (warning), with its issue code. */
export function meterIntegrityAlert(p: Counter & { timestamp: DateTimeInput; issue: number }): DataNotification {
  if (!Number.isInteger(p.issue) || p.issue < 0 || p.issue > 0xffff) throw new GbcsEncodeError(`integrity issue code ${p.issue} is outside 0..65535`);
  return gbcsAlert(invokeIdFor(p.counter), ALERT_CODES.meterIntegrityWarning, p.timestamp, [octetString(Uint8Array.of(p.issue >> 8, p.issue & 0xff))]);
}
