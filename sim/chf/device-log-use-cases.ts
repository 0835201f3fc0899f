import { euiFromBytes, euiToBytes, type Eui } from '../../src/crypto/eui.ts';
import { encodeApdu, type AccessRequest, type AccessResponse } from '../../src/gbcs/payload/dlms/apdu.ts';
import { gbcsAlert, invokeIdFor, respondTo } from '../../src/gbcs/payload/dlms/builders.ts';
import type { DlmsData } from '../../src/gbcs/payload/dlms/data.ts';
import { RESULT } from '../../src/gbcs/payload/dlms/results.ts';
import { readDeviceLogResponse, readDeviceLogsResponse, type ActiveDevice, type DeviceLogBackup as DlmsBackup } from '../../src/gbcs/payload/dlms/use-cases.ts';
import { array, dateTimeString, octetString, structure } from '../../src/gbcs/payload/dlms/values.ts';
import type { DecodedFrame } from '../../src/gbcs/frame.ts';
import type { CommandContext, UseCaseHandler, UseCaseReply } from '../core/gbcs-device.ts';
import type { ChfDeviceLog, DeviceLogBackup, DeviceLogEntry } from './device-log.ts';
import { attribute, decodeAccessRequest, DEVICE_LOG, failed, HISTORIC_DEVICE_LOG, itemsOf, method, octets } from './dlms.ts';
import { MESSAGE_CODE as CODE } from '../../src/gbcs/message-codes.ts';

/** The Comms Hub's device log use cases: CCS01/CCS02 (8.11), CCS03 (8.12.1), CCS05/CCS04, CCS06, CCS07 (8.9). */

export const CHF_MESSAGE_CODE = {
  CCS01: CODE.CCS01,
  CCS02: CODE.CCS02,
  CCS03: CODE.CCS03,
  CCS05CCS04: CODE.CCS05CCS04,
  CS14: CODE.CS14,
  CCS07: CODE.CCS07,
  CCS06: CODE.CCS06,
} as const;

export const DEVICE_LOG_CHANGED = 0x8f12;

/** What the use cases need of the hub they run on. */
export interface DeviceLogHost {
  readonly deviceLog: ChfDeviceLog;
  /** The hub's own time, ms. */
  now(): number;
  /** The originator counter the hub's next alert carries: its DLMS invoke id. */
  nextAlertCounter(): bigint;
  /** A command the hub cannot read is discarded, and the reason recorded. */
  discard(frame: DecodedFrame, detail: string): void;
  /** CCS02 took a device off the log: it is told to leave the HAN. */
  dropFromHan(entry: DeviceLogEntry): Promise<void>;
  /** CCS03 restored a log: the hub forms its network with the restored identity, after its response. */
  formNetwork(): void;
}

export type UseCaseRegistrar = (codes: number | number[], handler: UseCaseHandler) => void;

/** Status bits the RTDS shows for devices on the HAN; a device not joined shows none. */
const JOINED_STATUS = '11001000';
const NOT_JOINED_STATUS = '00000000';
/** Every device of this HAN is a direct child of the hub. */
const HOPS = 1;
/** ApplicationVersion and StackVersion of the Basic cluster, as the simulated devices report them. */
const APPLICATION_VERSION = 1;
const STACK_VERSION = 1;
/** CCS01's join_timeout is in seconds (ZigBee network control, attribute 3). */
const JOIN_TIMEOUT_UNIT_MS = 1000;

const wholeSeconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000);
const u8 = (n: number) => Math.min(255, Math.max(0, n));

export function registerDeviceLogUseCases(register: UseCaseRegistrar, host: DeviceLogHost): void {
  const dlms = (handle: (request: AccessRequest, ctx: CommandContext) => UseCaseReply | Promise<UseCaseReply>): UseCaseHandler => (ctx) => {
    const request = decodeAccessRequest(ctx.frame.payload);
    if (!request) {
      host.discard(ctx.frame, 'the payload is not a DLMS access-request');
      return undefined;
    }
    return handle(request, ctx);
  };
  register(CHF_MESSAGE_CODE.CCS01, dlms((r) => addDevice(host, r)));
  register(CHF_MESSAGE_CODE.CCS02, dlms((r) => removeDevice(host, r)));
  register(CHF_MESSAGE_CODE.CCS03, dlms((r) => restoreDeviceLog(host, r)));
  register([CHF_MESSAGE_CODE.CCS06, CHF_MESSAGE_CODE.CCS05CCS04], dlms((r) => readActiveDevices(host, r)));
  register(CHF_MESSAGE_CODE.CCS07, dlms((r) => readDeviceLogs(host, r)));
}

/** CS14 (0x0018): the log changed; the alert carries its backup (link key hashes empty until established). */
export function deviceLogChangedAlert(counter: bigint, at: number, backup: DeviceLogBackup): Uint8Array {
  const t = wholeSeconds(at);
  return encodeApdu(gbcsAlert(invokeIdFor(counter), DEVICE_LOG_CHANGED, t, [backupData(t, backup)]));
}

function backupData(at: Date, b: DeviceLogBackup): DlmsData {
  const devices = b.devices.map((d) => structure(octetString(euiToBytes(d.eui)), octetString(d.hashedTcLinkKey)));
  return structure(dateTimeString(at), octetString(euiToBytes(b.extendedPanId)), array(devices));
}

function withDeviceLogAlert(host: DeviceLogHost, payload: Uint8Array): UseCaseReply {
  return { payload, alerts: [{ messageCode: CHF_MESSAGE_CODE.CS14, payload: deviceLogChangedAlert(host.nextAlertCounter(), host.now(), host.deviceLog.backup()) }] };
}

const REGISTER_DEVICE = method(DEVICE_LOG, 1);
const UNREGISTER_DEVICE = method(DEVICE_LOG, 2);
const BACKUP_PAN = 4;
const RESTORE_PAN = method(DEVICE_LOG, 5);
const JOIN_TIMEOUT = attribute('set', DEVICE_LOG, 3);
const ENABLE_DISABLE_JOINING = attribute('set', DEVICE_LOG, 2);
const ACTIVE_DEVICES = attribute('get', DEVICE_LOG, 4);

interface Registration {
  eui: Eui;
  installCode: Uint8Array;
}

/** register_device's data: the device's address, the key type, the key (its install code), a device type. */
function readRegistration(d: DlmsData | undefined): Registration | undefined {
  if (d?.type !== 'structure' || d.elements.length !== 4) return undefined;
  const [address, keyType, key, deviceType] = d.elements;
  const eui = octets(address);
  const installCode = octets(key);
  if (eui?.length !== 8 || !installCode?.length || keyType?.type !== 'enum' || deviceType?.type !== 'enum') return undefined;
  return { eui: euiFromBytes(eui), installCode };
}

/** CCS01: add the device (one already there keeps its entry), then allow joining for join_timeout seconds. */
function addDevice(host: DeviceLogHost, request: AccessRequest): UseCaseReply {
  const data = itemsOf(request, [REGISTER_DEVICE, JOIN_TIMEOUT, ENABLE_DISABLE_JOINING]);
  if (!data) return { payload: failed(request, RESULT.objectUndefined) };
  const [registration, timeout, enable] = [readRegistration(data[0]), data[1], data[2]];
  // Checked whole before anything is done: a refused command changes nothing.
  if (!registration || timeout?.type !== 'long-unsigned' || enable?.type !== 'boolean') return { payload: failed(request, RESULT.typeUnmatched) };
  const joinWindowEndsAt = host.now() + (enable.value ? timeout.value * JOIN_TIMEOUT_UNIT_MS : 0);
  const outcome = host.deviceLog.add(registration.eui, registration.installCode, { joinWindowEndsAt });
  if (outcome === 'full') return { payload: failed(request) };
  const payload = encodeApdu(respondTo(request));
  if (outcome === 'already-present') {
    const entry = host.deviceLog.get(registration.eui)!;
    if (!entry.joined) entry.joinWindowEndsAt = joinWindowEndsAt;
    return { payload };
  }
  return withDeviceLogAlert(host, payload);
}

/** CCS02: remove the device; it is dropped from the HAN. A device not in the log is a failure, and changes nothing. */
async function removeDevice(host: DeviceLogHost, request: AccessRequest): Promise<UseCaseReply> {
  const data = itemsOf(request, [UNREGISTER_DEVICE]);
  if (!data) return { payload: failed(request, RESULT.objectUndefined) };
  const address = octets(data[0]);
  if (address?.length !== 8) return { payload: failed(request, RESULT.typeUnmatched) };
  const removed = host.deviceLog.remove(euiFromBytes(address));
  if (!removed) return { payload: failed(request) };
  await host.dropFromHan(removed);
  return withDeviceLogAlert(host, encodeApdu(respondTo(request)));
}

function readBackup(d: DlmsData | undefined): DeviceLogBackup | undefined {
  if (d?.type !== 'structure' || d.elements.length !== 2) return undefined;
  const [panId, list] = d.elements;
  const epid = octets(panId);
  if (epid?.length !== 8 || list?.type !== 'array') return undefined;
  const devices: DeviceLogBackup['devices'] = [];
  for (const e of list.elements) {
    if (e.type !== 'structure' || e.elements.length !== 2) return undefined;
    const eui = octets(e.elements[0]);
    const key = octets(e.elements[1]);
    if (eui?.length !== 8 || !key || (key.length !== 0 && key.length !== 16)) return undefined;
    devices.push({ eui: euiFromBytes(eui), hashedTcLinkKey: key });
  }
  return { extendedPanId: euiFromBytes(epid), devices };
}

/** CCS03: a replacement hub (empty log) takes the old hub's log, then forms the network with its extended PAN id. */
function restoreDeviceLog(host: DeviceLogHost, request: AccessRequest): UseCaseReply {
  const data = itemsOf(request, [RESTORE_PAN]);
  if (!data) return { payload: failed(request, RESULT.objectUndefined) };
  const backup = readBackup(data[0]);
  if (!backup) return { payload: failed(request, RESULT.typeUnmatched) };
  if (!host.deviceLog.restore(backup)) return { payload: failed(request) };
  host.formNetwork();
  return withDeviceLogAlert(host, encodeApdu(respondTo(request)));
}

function activeDevice(e: DeviceLogEntry): ActiveDevice {
  const link = e.link ?? { rssi: { min: 0, average: 0, max: 0 }, lqi: { min: 0, average: 0, max: 0 } };
  return {
    macAddress: e.eui,
    status: e.joined ? JOINED_STATUS : NOT_JOINED_STATUS,
    maxRssi: link.rssi.max,
    averageRssi: link.rssi.average,
    minRssi: link.rssi.min,
    maxLqi: link.lqi.max,
    averageLqi: link.lqi.average,
    minLqi: link.lqi.min,
    lastCommunication: e.lastHeardAt === undefined ? 'never' : wholeSeconds(e.lastHeardAt),
    numberOfHops: HOPS,
    transmissionFailures: u8(e.framesFailed),
    transmissionSuccesses: u8(e.framesDelivered),
    applicationVersion: APPLICATION_VERSION,
    stackVersion: STACK_VERSION,
  };
}

/** CCS06 (and CCS05/CCS04): the log's devices with what the hub knows of its links to them. */
function readActiveDevices(host: DeviceLogHost, request: AccessRequest): UseCaseReply {
  if (!itemsOf(request, [ACTIVE_DEVICES])) return { payload: failed(request, RESULT.objectUndefined) };
  return { payload: answering(request, readDeviceLogResponse({ counter: 0n, devices: host.deviceLog.entries.map(activeDevice) })) };
}

/** CCS07: backups of the device log and of the historic device log. */
function readDeviceLogs(host: DeviceLogHost, request: AccessRequest): UseCaseReply {
  if (!itemsOf(request, [method(DEVICE_LOG, BACKUP_PAN), method(HISTORIC_DEVICE_LOG, BACKUP_PAN)])) return { payload: failed(request, RESULT.objectUndefined) };
  const timestamp = wholeSeconds(host.now());
  const asDlms = (b: DeviceLogBackup): DlmsBackup => ({
    timestamp,
    extendedPanId: euiToBytes(b.extendedPanId),
    devices: b.devices.map((d) => ({ ieeeAddress: d.eui, hashedTcLinkKey: d.hashedTcLinkKey })),
  });
  return { payload: answering(request, readDeviceLogsResponse({ counter: 0n, deviceLog: asDlms(host.deviceLog.backup()), historicDeviceLog: asDlms(host.deviceLog.historicBackup()) })) };
}

/** A response made by a use case builder, carrying the request's own invoke id. */
function answering(request: AccessRequest, response: AccessResponse): Uint8Array {
  return encodeApdu({ ...response, invokeIdAndPriority: request.invokeIdAndPriority });
}
