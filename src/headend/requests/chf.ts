import { fromHex, HexError, toHex } from '../../bytes.ts';
import { euiFromBytes, normaliseEui, type Eui } from '../../crypto/eui.ts';
import type { DecodedMessage } from '../../gbcs/message.ts';
import {
  buildJoinDeviceCommand,
  buildReadDeviceJoinDetailsCommand,
  buildUnjoinDeviceCommand,
  DEVICE_TYPES,
  type JOIN_METHOD_AND_ROLE,
  type NameOf,
} from '../../gbcs/payload/asn1/index.ts';
import { encodeApdu, type AccessRequest, type AccessResponse, type DlmsApdu } from '../../gbcs/payload/dlms/apdu.ts';
import { describeDateTime } from '../../gbcs/payload/dlms/cosem-time.ts';
import type { DlmsData } from '../../gbcs/payload/dlms/data.ts';
import { resultName, RESULT } from '../../gbcs/payload/dlms/results.ts';
import {
  addDeviceCommand,
  readDeviceLogCommand,
  readDeviceLogsCommand,
  readFirmwareVersionCommand,
  removeDeviceCommand,
  restoreDeviceLogCommand,
} from '../../gbcs/payload/dlms/use-cases.ts';
import type { Json } from '../../gbcs/payload/types.ts';
import type { CommandSpec } from '../headend.ts';
import { RequestParamsError, type DeviceRole, type RequestContext, type RequestOutcome, type RequestParams, type ServiceRequestDefinition } from './types.ts';
import { firmwareVersionFields } from './esme.ts';
import { MESSAGE_CODE as CODE } from '../../gbcs/message-codes.ts';

/**
 * Service requests to the Comms Hub (8.11 Update HAN Device Log, 8.12.1 Restore HAN Device Log, 8.9 Read Device
 * Log, 11.2 Read Firmware Version) and the joins between devices (8.7.1/8.7.2 join, 8.8.1/8.8.2 unjoin, 8.9 read
 * join details). As the RTDS shows, the DCC's Access Control Broker sends the hub's commands, and the non-critical
 * joins to a PPMID (signed by it), for the supplier; the critical joins the supplier signs and sends itself.
 */

type Spec = Omit<CommandSpec, 'hub'>;
type JsonObject = { [key: string]: Json };
type PartnerType = NameOf<typeof DEVICE_TYPES>;

const MC = {
  CCS01: CODE.CCS01,
  CCS02: CODE.CCS02,
  CCS03: CODE.CCS03,
  CS03A1: CODE.CS03A1,
  CS03B: CODE.CS03B,
  CS04AC: CODE.CS04AC,
  CS04B: CODE.CS04B,
  CS07: CODE.CS07,
  ECS52: CODE.ECS52,
  CS03A2: CODE.CS03A2,
  CS03C: CODE.CS03C,
  CCS07: CODE.CCS07,
  CCS06: CODE.CCS06,
} as const;

/** How long the hub lets a device added by 8.11 join, unless the request says (CCS01's join_timeout, seconds). */
const DEFAULT_JOIN_TIMEOUT_S = 3600;
/** register_device's last parameter, as the RTDS sends it for a meter. */
const DEFAULT_REGISTER_DEVICE_TYPE = 0;

const PARTNER_TYPE_OF_ROLE: Record<DeviceRole, PartnerType> = { esme: 'ESME', gsme: 'GSME', chf: 'CHF', gpf: 'GPF', ppmid: 'PPMID', ihd: 'Type2' };

// ------------------------------------------------------------------------------------------------ parameters

function deviceOf(ctx: RequestContext, role: DeviceRole): Eui {
  const eui = role === 'chf' ? (ctx.devices.chf ?? ctx.hub) : ctx.devices[role];
  if (!eui) throw new RequestParamsError(`no ${role} at these premises`);
  return eui;
}

const isRole = (v: string): v is DeviceRole => v in PARTNER_TYPE_OF_ROLE;

/** A device named by its role at the premises or by its EUI-64; with its GBCS device type when the role says it. */
function deviceParam(params: RequestParams, name: string, ctx: RequestContext): { eui: Eui; type?: PartnerType } {
  const v = params[name];
  if (typeof v !== 'string') throw new RequestParamsError(`params.${name} is a device role (${Object.keys(PARTNER_TYPE_OF_ROLE).join(', ')}) or an EUI-64`);
  if (isRole(v)) return { eui: deviceOf(ctx, v), type: PARTNER_TYPE_OF_ROLE[v] };
  if (!/^[0-9a-fA-F]{16}$/.test(v)) throw new RequestParamsError(`params.${name} is neither a device role nor an EUI-64: ${JSON.stringify(v)}`);
  return { eui: normaliseEui(v) };
}

/** The other device of a join, and its GBCS device type (params.otherDeviceType, or what its role says). */
function partnerParam(params: RequestParams, ctx: RequestContext): { eui: Eui; type: PartnerType } {
  const other = deviceParam(params, 'other', ctx);
  const given = params.otherDeviceType;
  if (given === undefined) {
    if (!other.type) throw new RequestParamsError('params.otherDeviceType is needed when params.other is an EUI-64');
    return { eui: other.eui, type: other.type };
  }
  const types = Object.values(DEVICE_TYPES) as string[];
  if (typeof given !== 'string' || !types.includes(given)) throw new RequestParamsError(`params.otherDeviceType is one of ${types.join(', ')}`);
  return { eui: other.eui, type: given as PartnerType };
}

function hexParam(params: RequestParams, name: string, lengths?: number[]): Uint8Array {
  const v = params[name];
  if (typeof v !== 'string') throw new RequestParamsError(`params.${name} must be hex text`);
  let bytes: Uint8Array;
  try {
    bytes = fromHex(v);
  } catch (e) {
    if (e instanceof HexError) throw new RequestParamsError(`params.${name}: ${e.message}`);
    throw e;
  }
  if (lengths && !lengths.includes(bytes.length)) throw new RequestParamsError(`params.${name} must be ${lengths.join(' or ')} bytes, got ${bytes.length}`);
  return bytes;
}

function numberParam(params: RequestParams, name: string, fallback: number): number {
  const v = params[name] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffff) throw new RequestParamsError(`params.${name} must be an integer 0..65535`);
  return v;
}

function oneOf<T extends string>(params: RequestParams, name: string, values: readonly T[], fallback: T): T {
  const v = params[name] ?? fallback;
  if (typeof v !== 'string' || !values.includes(v as T)) throw new RequestParamsError(`params.${name} is one of ${values.join(', ')}`);
  return v as T;
}

// ------------------------------------------------------------------------------------------------ commands

/** A hub command: DLMS, sent by the ACB for the supplier, its invoke id taken from the ACB's counter. */
function hubCommand(srv: string, messageCode: number, ctx: RequestContext, build: (counter: bigint) => AccessRequest): Spec[] {
  if (!ctx.nextCounter) throw new RequestParamsError('this request needs the head-end to hand out its counter (RequestContext.nextCounter)');
  const counter = ctx.nextCounter({ sender: 'acb' });
  return [{ serviceRequest: srv, messageCode, target: deviceOf(ctx, 'chf'), payload: encodeApdu(build(counter)), critical: false, sender: 'acb', onBehalfOf: 'supplier', counter }];
}

/** A device command with an ASN.1 payload: critical ones signed by their sender. */
function deviceCommand(srv: string, messageCode: number, target: Eui, payload: Uint8Array, o: { critical: boolean; viaAcb?: boolean }): Spec[] {
  const acb: Pick<Spec, 'sender' | 'onBehalfOf'> = o.viaAcb ? { sender: 'acb', onBehalfOf: 'supplier' } : {};
  return [{ serviceRequest: srv, messageCode, target, payload, critical: o.critical, ...acb }];
}

// ------------------------------------------------------------------------------------------------ responses

function dlmsResponse(m: DecodedMessage): AccessResponse | undefined {
  const tree = m.payload?.encoding === 'dlms' ? (m.payload.tree as DlmsApdu) : undefined;
  return tree?.apdu === 'access-response' ? tree : undefined;
}

function dlmsOutcome(m: DecodedMessage, read: (r: AccessResponse) => JsonObject | string): RequestOutcome {
  const r = dlmsResponse(m);
  if (!r) return { success: false, error: 'unexpected-response', fields: {} };
  const failed = r.results.find((x) => x.result !== RESULT.success);
  if (failed) return { success: false, error: resultName(failed.service, failed.result) ?? `result-${failed.result}`, fields: {} };
  const fields = read(r);
  return typeof fields === 'string' ? { success: false, error: fields, fields: {} } : { success: true, fields };
}

function asn1Fields(m: DecodedMessage): JsonObject | undefined {
  const f = m.payload?.encoding === 'asn1' ? m.payload.fields : undefined;
  return f !== null && typeof f === 'object' && !Array.isArray(f) ? f : undefined;
}

const nameOf = (v: Json | undefined): string | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) && typeof v.name === 'string' ? v.name : undefined);

/** A join, unjoin or join details response: a named response code, success or the error. */
function responseCodeOutcome(m: DecodedMessage, fields: (f: JsonObject) => JsonObject = () => ({})): RequestOutcome {
  const f = asn1Fields(m);
  const code = nameOf(f?.responseCode);
  if (!f || !code) return { success: false, error: 'unexpected-response', fields: {} };
  return code === 'success' ? { success: true, fields: { responseCode: code, ...fields(f) } } : { success: false, error: code, fields: { responseCode: code } };
}

const octets = (d: DlmsData | undefined): Uint8Array | undefined => (d?.type === 'octet-string' ? d.value : undefined);
const num = (d: DlmsData | undefined): number | null => (d && 'value' in d && typeof d.value === 'number' ? d.value : null);
const isoOf = (d: DlmsData | undefined): string | null => {
  const v = octets(d);
  const iso = v?.length === 12 ? describeDateTime(v).iso : undefined;
  return typeof iso === 'string' ? iso : null;
};
const bitsOf = (d: DlmsData | undefined): string | null =>
  d?.type === 'bit-string' ? Array.from({ length: d.bits }, (_, i) => ((d.bytes[i >> 3]! >> (7 - (i & 7))) & 1 ? '1' : '0')).join('') : null;

/** CCS06: each device of the log with the hub's link statistics. */
function activeDevices(d: DlmsData | undefined): JsonObject | string {
  if (d?.type !== 'array') return 'unexpected-response';
  const devices = d.elements.map((e) => {
    const x = e.type === 'structure' ? e.elements : [];
    const eui = octets(x[0]);
    return {
      deviceId: eui?.length === 8 ? euiFromBytes(eui) : null,
      status: bitsOf(x[1]),
      rssi: { max: num(x[2]), average: num(x[3]), min: num(x[4]) },
      lqi: { max: num(x[5]), average: num(x[6]), min: num(x[7]) },
      lastCommunication: isoOf(x[8]),
      hops: num(x[9]),
      transmissionFailures: num(x[10]),
      transmissionSuccesses: num(x[11]),
    };
  });
  return { devices };
}

/** CCS07: a backup as 8.12.1 takes it back: extended PAN id and each device's TC link key hash (hex). */
function backupOf(d: DlmsData | undefined): JsonObject | undefined {
  if (d?.type !== 'structure' || d.elements.length !== 3) return undefined;
  const [at, panId, list] = d.elements;
  if (list?.type !== 'array') return undefined;
  const devices = list.elements.map((e) => {
    const x = e.type === 'structure' ? e.elements : [];
    const eui = octets(x[0]);
    return { deviceId: eui?.length === 8 ? euiFromBytes(eui) : null, hashedTcLinkKey: toHex(octets(x[1]) ?? new Uint8Array(0)) };
  });
  const epid = octets(panId);
  return { backupAt: isoOf(at), extendedPanId: epid ? toHex(epid) : null, devices };
}


// ------------------------------------------------------------------------------------------------ the hub

const updateHanDeviceLog: ServiceRequestDefinition = {
  srv: '8.11',
  name: 'Update HAN Device Log',
  target: 'chf',
  build(params, ctx) {
    const device = deviceParam(params, 'device', ctx).eui;
    if (oneOf(params, 'action', ['add', 'remove'] as const, 'add') === 'remove') return hubCommand('8.11', MC.CCS02, ctx, (counter) => removeDeviceCommand({ counter, ieeeAddress: device }));
    const key = hexParam(params, 'installCode');
    const joinTimeout = numberParam(params, 'joinTimeoutSeconds', DEFAULT_JOIN_TIMEOUT_S);
    const deviceType = numberParam(params, 'registerDeviceType', DEFAULT_REGISTER_DEVICE_TYPE);
    return hubCommand('8.11', MC.CCS01, ctx, (counter) => addDeviceCommand({ counter, device: { ieeeAddress: device, key, deviceType }, joinTimeout }));
  },
  interpret: (m, params) => dlmsOutcome(m, () => ({ device: params.device ?? null, action: params.action ?? 'add' })),
};

const restoreHanDeviceLog: ServiceRequestDefinition = {
  srv: '8.12.1',
  name: 'Restore HAN Device Log',
  target: 'chf',
  build(params, ctx) {
    // Takes a backup as 8.9 (CCS07) reads it: { extendedPanId, devices: [{ deviceId, hashedTcLinkKey }] }.
    const extendedPanId = hexParam(params, 'extendedPanId', [8]);
    const list = params.devices;
    if (!Array.isArray(list)) throw new RequestParamsError('params.devices is a list of { deviceId, hashedTcLinkKey }');
    const devices = list.map((d, i) => {
      if (d === null || typeof d !== 'object' || Array.isArray(d)) throw new RequestParamsError(`params.devices[${i}] is { deviceId, hashedTcLinkKey }`);
      const entry = d as RequestParams;
      const id = hexParam(entry, 'deviceId', [8]);
      return { ieeeAddress: euiFromBytes(id), hashedTcLinkKey: entry.hashedTcLinkKey === undefined ? new Uint8Array(0) : hexParam(entry, 'hashedTcLinkKey', [0, 16]) };
    });
    return hubCommand('8.12.1', MC.CCS03, ctx, (counter) => restoreDeviceLogCommand({ counter, extendedPanId, devices }));
  },
  interpret: (m, params) => dlmsOutcome(m, () => ({ restored: Array.isArray(params.devices) ? params.devices.length : 0 })),
};

const readHanDeviceLog: ServiceRequestDefinition = {
  srv: '8.9',
  name: 'Read Device Log (Comms Hub: CCS06 devices and links, CCS07 backups)',
  target: 'chf',
  build(params, ctx) {
    if (oneOf(params, 'read', ['devices', 'backups'] as const, 'devices') === 'backups') return hubCommand('8.9', MC.CCS07, ctx, (counter) => readDeviceLogsCommand({ counter }));
    return hubCommand('8.9', MC.CCS06, ctx, (counter) => readDeviceLogCommand({ counter }));
  },
  interpret: (m) =>
    dlmsOutcome(m, (r) => {
      if (m.frame.header.other.messageCode === MC.CCS06) return activeDevices(r.data[0]);
      const [deviceLog, historicDeviceLog] = [backupOf(r.data[0]), backupOf(r.data[1])];
      return deviceLog && historicDeviceLog ? { deviceLog, historicDeviceLog } : 'unexpected-response';
    }),
};

const readHubFirmwareVersion: ServiceRequestDefinition = {
  srv: '11.2',
  name: 'Read Firmware Version (Comms Hub, ECS52)',
  target: 'chf',
  build: (_params, ctx) => hubCommand('11.2', MC.ECS52, ctx, (counter) => readFirmwareVersionCommand({ counter })),
  interpret: (m) => dlmsOutcome(m, firmwareVersionFields),
};

// ------------------------------------------------------------------------------------------------ joins

type Method = NameOf<typeof JOIN_METHOD_AND_ROLE>;

function joinCommand(srv: string, messageCode: number, method: Method, target: Eui, params: RequestParams, ctx: RequestContext, o: { critical: boolean; viaAcb?: boolean }): Spec[] {
  const partner = partnerParam(params, ctx);
  const certificate = method === 'methodC' ? hexParam(params, 'certificate') : undefined;
  const payload = buildJoinDeviceCommand({ joinMethodAndRole: method, otherDeviceEntityId: partner.eui, otherDeviceType: partner.type, ...(certificate ? { otherDeviceCertificate: certificate } : {}) });
  return deviceCommand(srv, messageCode, target, payload, o);
}

const joinOutcome = (m: DecodedMessage, params: RequestParams) => responseCodeOutcome(m, () => ({ other: params.other ?? null }));

const joinMeter: ServiceRequestDefinition = {
  srv: '8.7.1',
  name: 'Join Service (Critical): ESME with a PPMID, HCALCS or IHD (CS03A1)',
  target: 'esme',
  build: (params, ctx) => joinCommand('8.7.1', MC.CS03A1, 'methodAInitiator', deviceOf(ctx, 'esme'), params, ctx, { critical: true }),
  interpret: joinOutcome,
};

const joinGasMeterMethodC: ServiceRequestDefinition = {
  srv: '8.7.1',
  name: 'Join Service (Critical): GSME with a PPMID, given its certificate (CS03C)',
  target: 'gsme',
  build: (params, ctx) => joinCommand('8.7.1', MC.CS03C, 'methodC', deviceOf(ctx, 'gsme'), params, ctx, { critical: true }),
  interpret: joinOutcome,
};

const joinPpmid: ServiceRequestDefinition = {
  srv: '8.7.2',
  name: 'Join Service (Non-Critical): PPMID with the ESME (CS03A2) or the GSME, given its certificate (CS03C)',
  target: 'ppmid',
  build(params, ctx) {
    const withGas = partnerParam(params, ctx).type === 'GSME';
    const [code, method] = withGas ? [MC.CS03C, 'methodC' as const] : [MC.CS03A2, 'methodAResponder' as const];
    // Non-critical for the supplier, but CS03A2 and CS03C are critical use cases: the ACB signs them.
    return joinCommand('8.7.2', code, method, deviceOf(ctx, 'ppmid'), params, ctx, { critical: true, viaAcb: true });
  },
  interpret: joinOutcome,
};

const joinGasMeterMethodB: ServiceRequestDefinition = {
  srv: '8.7.2',
  name: 'Join Service (Non-Critical): GSME with its GPF (CS03B)',
  target: 'gsme',
  build: (params, ctx) => joinCommand('8.7.2', MC.CS03B, 'methodB', deviceOf(ctx, 'gsme'), params, ctx, { critical: false }),
  interpret: joinOutcome,
};

function unjoin(srv: string, target: DeviceRole, messageCode: number, o: { critical: boolean; viaAcb?: boolean }, name: string): ServiceRequestDefinition {
  return {
    srv,
    name,
    target,
    build: (params, ctx) => deviceCommand(srv, messageCode, deviceOf(ctx, target), buildUnjoinDeviceCommand(deviceParam(params, 'other', ctx).eui), o),
    interpret: joinOutcome,
  };
}

function readJoinDetails(target: DeviceRole): ServiceRequestDefinition {
  return {
    srv: '8.9',
    name: `Read Device Log (${target}: join details, CS07)`,
    target,
    build: (_params, ctx) => deviceCommand('8.9', MC.CS07, deviceOf(ctx, target), buildReadDeviceJoinDetailsCommand(), { critical: false }),
    interpret: (m) =>
      responseCodeOutcome(m, (f) => ({
        devices: (Array.isArray(f.deviceLogEntries) ? f.deviceLogEntries : []).map((e) => {
          const entry = e !== null && typeof e === 'object' && !Array.isArray(e) ? e : {};
          return { deviceId: entry.deviceId ?? null, deviceType: nameOf(entry.deviceType) ?? null };
        }),
      })),
  };
}

/** Every Comms Hub and device join service request hanlab can send. */
export const CHF_SERVICE_REQUESTS: readonly ServiceRequestDefinition[] = [
  updateHanDeviceLog,
  restoreHanDeviceLog,
  readHanDeviceLog,
  readHubFirmwareVersion,
  joinMeter,
  joinGasMeterMethodC,
  joinPpmid,
  joinGasMeterMethodB,
  unjoin('8.8.1', 'esme', MC.CS04AC, { critical: true }, 'Unjoin Service (Critical): ESME (CS04AC)'),
  unjoin('8.8.1', 'gsme', MC.CS04AC, { critical: true }, 'Unjoin Service (Critical): GSME from a method C partner (CS04AC)'),
  unjoin('8.8.2', 'ppmid', MC.CS04AC, { critical: true, viaAcb: true }, 'Unjoin Service (Non-Critical): PPMID (CS04AC, signed by the ACB)'),
  unjoin('8.8.2', 'gsme', MC.CS04B, { critical: false }, 'Unjoin Service (Non-Critical): GSME from its GPF (CS04B)'),
  readJoinDetails('esme'),
  readJoinDetails('gsme'),
  readJoinDetails('ppmid'),
];
