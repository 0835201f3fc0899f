import { toHex } from '../../bytes.ts';
import { normaliseEui, type Eui } from '../../crypto/eui.ts';
import type { DecodedMessage } from '../../gbcs/message.ts';
import { buildGpfDeviceLogRestoreCommand, buildSetTimeCommand, DEVICE_TYPES, type DeviceLogEntry } from '../../gbcs/payload/asn1/index.ts';
import {
  activateEmergencyCreditCommand,
  CLUSTER,
  changePaymentModeCommand,
  isGroup,
  PAYMENT_CONTROL,
  readBillingDataLogCommand,
  readFirmwareVersionCommand,
  readMeterBalanceCommand,
  readPaymentModeCommand,
  readPrepaymentRegistersCommand,
  setMprnCommand,
  topUpCommand,
  UTC_NONE,
  utcToIso,
  encodeGbzMessage,
  type GbzComponent,
  type GbzMessage,
  type ZclScalar,
} from '../../gbcs/payload/gbz/index.ts';
import type { Json } from '../../gbcs/payload/types.ts';
import { generateUtrn } from '../../gbcs/utrn.ts';
import { moneyParamGbp, topUpValue } from './top-up-value.ts';
import type { CommandSpec } from '../headend.ts';
import { RequestParamsError, type RequestContext, type RequestOutcome, type RequestParams, type ServiceRequestDefinition } from './types.ts';
import { MESSAGE_CODE as CODE } from '../../gbcs/message-codes.ts';

/**
 * DUIS service requests to a GSME, and to the GPF where GBCS sends them there: what each builds and how its
 * response reads. A GSME sleeps between polls, so its responses come up to a wake interval late: wait at least
 * GSME_RESPONSE_TIMEOUT_MS for them.
 */

/** A GSME polls every 30 minutes by default; this covers one full interval and the exchange after it. */
export const GSME_RESPONSE_TIMEOUT_MS = 35 * 60_000;

/** GB GSMEs write money with five decimal places (price trailing digit 5) unless a response says otherwise. */
const GSME_CURRENCY_DECIMALS = 5;
const VOLUME_UNITS_PER_M3 = 1000;
/** Change of tariff, of supplier and of mode: the billing data log causes GCS15b asks for. */
const BILLING_LOG_CAUSES = 0x0000_6008;
/** The cut-off value the RTDS writes for a change to credit mode, where supply is not cut for credit. */
const CREDIT_MODE_CUT_OFF = -1;
// A sleepy GSME runs GCS28 at its next wake (up to 30 min later): the window must cover that.
const DEFAULT_CLOCK_VALIDITY_MS = 60 * 60_000;
const YEAR_MS = 365 * 24 * 3_600_000;
const EPOCH_2000_MS = Date.UTC(2000, 0, 1);

const MC = {
  GCS02: CODE.GCS02,
  GCS03: CODE.GCS03,
  GCS06: CODE.GCS06,
  GCS14: CODE.GCS14,
  GCS28: CODE.GCS28,
  GCS38: CODE.GCS38,
  GCS41: CODE.GCS41,
  GCS59: CODE.GCS59,
  GCS60: CODE.GCS60,
  CS01B: CODE.CS01b,
  GCS21J: CODE.GCS21j,
  GCS15B: CODE.GCS15b,
  GCS60A: CODE.GCS60a,
} as const;

// ------------------------------------------------------------------------------------------------ parameters

function deviceOf(ctx: RequestContext, role: 'gsme' | 'gpf'): Eui {
  const eui = ctx.devices[role];
  if (!eui) throw new RequestParamsError(`no ${role} at these premises`);
  return eui;
}

function optionalNumber(params: RequestParams, name: string): number | undefined {
  const v = params[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new RequestParamsError(`${name} must be a number, got ${JSON.stringify(v)}`);
  return v;
}

function optionalString(params: RequestParams, name: string): string | undefined {
  const v = params[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new RequestParamsError(`${name} must be text, got ${JSON.stringify(v)}`);
  return v;
}

/** An instant: ISO text, ms since the epoch, or the scenario's `{ kind: 'at', epochMs }` / `{ kind: 'after', ms }`. */
function optionalInstant(params: RequestParams, name: string, now: number): number | undefined {
  const v = params[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && Number.isFinite(Date.parse(v))) return Date.parse(v);
  if (typeof v === 'object' && !Array.isArray(v)) {
    if (v.kind === 'at' && typeof v.epochMs === 'number') return v.epochMs;
    if (v.kind === 'after' && typeof v.ms === 'number') return now + v.ms;
  }
  throw new RequestParamsError(`${name} must be a date-time, got ${JSON.stringify(v)}`);
}

/** Money as a number of pounds or `{ value, unit: 'GBP' | 'p' }`. */

const utcSeconds = (ms: number) => Math.floor((ms - EPOCH_2000_MS) / 1000);

// ------------------------------------------------------------------------------------------------ response reading

type Outcome = RequestOutcome;

const ZCL_STATUS_ERRORS: Readonly<Record<number, string>> = {
  0x01: 'failure',
  // What a GSME answers to a use case it may not run before it is commissioned.
  0x7e: 'not-commissioned',
  0x80: 'invalid-parameters',
  0x81: 'not-supported',
  0x82: 'not-supported',
  0x86: 'not-supported',
  0x87: 'invalid-parameters',
  0x8b: 'not-found',
  0xc0: 'hardware-failure',
};

const statusError = (status: number) => ZCL_STATUS_ERRORS[status] ?? `zcl-status-0x${status.toString(16).padStart(2, '0')}`;
const failed = (error: string, fields: Record<string, Json> = {}): Outcome => ({ success: false, error, fields });
const succeeded = (fields: Record<string, Json> = {}): Outcome => ({ success: true, fields });

function gbzOf(response: DecodedMessage): GbzMessage | undefined {
  return response.payload?.encoding === 'gbz' ? (response.payload.tree as GbzMessage) : undefined;
}

function componentsOf(response: DecodedMessage): GbzComponent[] | undefined {
  const m = gbzOf(response);
  return m && m.form !== 'alert' ? m.components : undefined;
}

/** The first failure in a GBZ response: a Default Response with a status, or a read record that failed. */
function gbzFailure(components: readonly GbzComponent[]): string | undefined {
  for (const c of components) {
    const p = c.payload;
    if (!p) return c.encryption ? 'undecryptable-response' : 'undecodable-response';
    if (p.type === 'default-response' && p.status !== 0) return statusError(p.status);
    if (p.type === 'read-attributes-response') for (const r of p.records) if (r.status !== 0) return statusError(r.status);
  }
  return undefined;
}

/** Read attribute values of a response by cluster and attribute id. */
function attributes(components: readonly GbzComponent[]): (clusterId: number, attributeId: number) => ZclScalar | undefined {
  const values = new Map<string, ZclScalar>();
  for (const c of components) {
    if (c.payload?.type !== 'read-attributes-response') continue;
    for (const r of c.payload.records) if (r.status === 0 && 'value' in r) values.set(`${c.clusterId}/${r.attributeId}`, r.value);
  }
  return (clusterId, attributeId) => values.get(`${clusterId}/${attributeId}`);
}

function commandParams(c: GbzComponent | undefined): Record<string, ZclScalar> | undefined {
  if (c?.payload?.type !== 'command') return undefined;
  return Object.fromEntries(c.payload.params.flatMap((p) => (isGroup(p) ? [] : [[p.name, p.value]])));
}

const asNumber = (v: ZclScalar | undefined) => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined);
const money = (units: ZclScalar | undefined, decimals = GSME_CURRENCY_DECIMALS): Json => {
  const n = asNumber(units);
  return n === undefined ? null : n / 10 ** decimals;
};
const hex16 = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;
const modeOf = (config: number) => (config & 0x0002 ? 'prepayment' : 'credit');

/** Reads a GBZ response that succeeds when every component did, then gathers fields from it. */
function readGbz(response: DecodedMessage, fields: (components: GbzComponent[]) => Record<string, Json>): Outcome {
  const components = componentsOf(response);
  if (!components) return failed('undecodable-response');
  const error = gbzFailure(components);
  return error ? failed(error) : succeeded(fields(components));
}

function asn1Fields(response: DecodedMessage): Record<string, Json> | undefined {
  const f = response.payload?.encoding === 'asn1' ? response.payload.fields : undefined;
  return f && typeof f === 'object' && !Array.isArray(f) ? f : undefined;
}

function enumName(v: Json | undefined): string | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) && typeof v.name === 'string' ? v.name : undefined;
}

// ------------------------------------------------------------------------------------------------ definitions

function gsmeCommand(ctx: RequestContext, srv: string, messageCode: number, message: GbzMessage, critical: boolean): Omit<CommandSpec, 'hub'> {
  return { serviceRequest: srv, messageCode, target: deviceOf(ctx, 'gsme'), payload: encodeGbzMessage(message), critical };
}

function setClockRequest(srv: string, name: string): ServiceRequestDefinition {
  return {
    srv,
    name,
    target: 'gsme',
    build(params, ctx) {
      const validityMs = (optionalNumber(params, 'validityMinutes') ?? DEFAULT_CLOCK_VALIDITY_MS / 60_000) * 60_000;
      const minute = Math.floor(ctx.now / 60_000) * 60_000;
      const payload = buildSetTimeCommand({ validityIntervalStart: new Date(minute - validityMs), validityIntervalEnd: new Date(minute + validityMs) });
      return [{ serviceRequest: srv, messageCode: MC.GCS28, target: deviceOf(ctx, 'gsme'), payload, critical: true }];
    },
    interpret(response) {
      const f = asn1Fields(response);
      const status = enumName(f?.deviceTimeStatus);
      if (!f || status === undefined) return failed('undecodable-response');
      const fields = { deviceTime: f.deviceTime ?? null, deviceTimeStatus: status };
      return status === 'reliable' ? succeeded(fields) : failed('clock-unreliable', fields);
    },
  };
}

const TOP_UP_ERRORS: Readonly<Record<number, string>> = { 0x01: 'utrn-rejected', 0x02: 'utrn-duplicate', 0x05: 'utrn-locked-out' };
const TOP_UP_ACCEPTED = new Set([0x00, 0x10, 0x11, 0x12]);

/** The UTRN as given (with the counter it was made for, if known), or one made here for an amount. */
function topUpUtrn(params: RequestParams, ctx: RequestContext, target: Eui): { utrn: string; counter?: bigint } {
  const given = optionalString(params, 'utrn');
  if (given !== undefined) {
    const digits = given.replaceAll(' ', '');
    const counter = optionalString(params, 'counter');
    return counter === undefined ? { utrn: digits } : { utrn: digits, counter: BigInt(counter) };
  }
  const { value, valueClass } = topUpValue(params);
  if (!ctx.keys || !ctx.nextCounter) throw new RequestParamsError("making a UTRN needs the head-end's keys and counters");
  const supplier = ctx.parties.supplier;
  const supplierPrepaymentKey = ctx.keys.privateKey(supplier, 'pp-ka');
  const devicePublicKey = ctx.keys.publicKey(target, 'ka');
  if (!supplierPrepaymentKey || !devicePublicKey) throw new RequestParamsError(`no prepayment key pair between ${supplier} and ${target}`);
  const counter = ctx.nextCounter({ topUp: true });
  return { utrn: generateUtrn({ supplierPrepaymentKey, devicePublicKey, originator: supplier, target, counter, value, valueClass }), counter };
}


const topUp: ServiceRequestDefinition = {
  srv: '2.2',
  name: 'Top Up Device (CS01b)',
  target: 'gsme',
  build(params, ctx) {
    const target = deviceOf(ctx, 'gsme');
    const { utrn, counter } = topUpUtrn(params, ctx, target);
    const spec = gsmeCommand(ctx, '2.2', MC.CS01B, topUpCommand({ utrn }), false);
    return [counter === undefined ? { ...spec, topUpCounter: true } : { ...spec, counter }];
  },
  interpret(response) {
    const components = componentsOf(response);
    const p = commandParams(components?.[0]);
    if (!components) return failed('undecodable-response');
    if (!p) return failed(gbzFailure(components) ?? 'undecodable-response');
    const resultType = asNumber(p.resultType) ?? -1;
    const fields = { resultType, topUpValueGbp: resultType === 0 ? money(p.topUpValue) : null, balanceGbp: money(p.creditRemaining) };
    return TOP_UP_ACCEPTED.has(resultType) ? succeeded(fields) : failed(TOP_UP_ERRORS[resultType] ?? 'utrn-rejected', fields);
  },
};

const updatePaymentMode: ServiceRequestDefinition = {
  srv: '1.6',
  name: 'Update Payment Mode (GCS02 / GCS03)',
  target: 'gsme',
  build(params, ctx) {
    const mode = optionalString(params, 'mode');
    if (mode !== 'credit' && mode !== 'prepayment') throw new RequestParamsError('mode must be credit or prepayment');
    const executeAt = optionalInstant(params, 'executeAt', ctx.now) ?? optionalInstant(params, 'executionDateTime', ctx.now);
    const cancel = params.cancel === true;
    const cutOffGbp = moneyParamGbp(params, 'cutOff');
    const message = changePaymentModeCommand({
      issuerEventId: utcSeconds(ctx.now),
      implementationDateTime: cancel ? UTC_NONE : executeAt === undefined ? 0 : utcSeconds(executeAt),
      proposedPaymentControlConfiguration: optionalNumber(params, 'paymentControlConfiguration') ?? (mode === 'credit' ? PAYMENT_CONTROL.CREDIT : PAYMENT_CONTROL.PREPAYMENT),
      cutOffValue: cutOffGbp === undefined ? (mode === 'credit' ? CREDIT_MODE_CUT_OFF : 0) : Math.round(cutOffGbp * 10 ** GSME_CURRENCY_DECIMALS),
    });
    return [gsmeCommand(ctx, '1.6', mode === 'credit' ? MC.GCS02 : MC.GCS03, message, true)];
  },
  interpret(response, params) {
    return readGbz(response, (components) => {
      const p = commandParams(components[0]) ?? {};
      return {
        mode: typeof params.mode === 'string' ? params.mode : null,
        emergencyCreditLimitGbp: money(p.emergencyCreditLimit),
        emergencyCreditThresholdGbp: money(p.emergencyCreditThreshold),
      };
    });
  },
};

const activateEmergencyCredit: ServiceRequestDefinition = {
  srv: '2.5',
  name: 'Activate Emergency Credit (GCS06)',
  target: 'gsme',
  build: (_params, ctx) => [gsmeCommand(ctx, '2.5', MC.GCS06, activateEmergencyCreditCommand(), true)],
  interpret: (response) => readGbz(response, () => ({})),
};

const readFirmwareVersion: ServiceRequestDefinition = {
  srv: '11.2',
  name: 'Read Firmware Version (GCS38)',
  target: 'gsme',
  build: (_params, ctx) => [gsmeCommand(ctx, '11.2', MC.GCS38, readFirmwareVersionCommand(), false)],
  interpret: (response) =>
    readGbz(response, (components) => {
      const v = attributes(components)(CLUSTER.METERING, 0x0206);
      return { firmwareVersion: v instanceof Uint8Array ? toHex(v) : null };
    }),
};

const setMprn: ServiceRequestDefinition = {
  srv: '6.20.1',
  name: 'Set MPxN (GCS41)',
  target: 'gsme',
  build(params, ctx) {
    const mprn = optionalString(params, 'mpxn') ?? optionalString(params, 'mprn');
    if (mprn === undefined) throw new RequestParamsError('an MPRN (mpxn) is needed');
    return [gsmeCommand(ctx, '6.20.1', MC.GCS41, setMprnCommand({ mprn, issuerEventId: utcSeconds(ctx.now) }), false)];
  },
  interpret: (response, params) => readGbz(response, () => ({ mprn: optionalString(params, 'mpxn') ?? optionalString(params, 'mprn') ?? null })),
};

function readPrepaymentRegisters(target: 'gsme' | 'gpf'): ServiceRequestDefinition {
  return {
    srv: '4.3',
    name: `Read Instantaneous Prepay Values (GCS14, to the ${target.toUpperCase()})`,
    target,
    build: (_params, ctx) => [{ serviceRequest: '4.3', messageCode: MC.GCS14, target: deviceOf(ctx, target), payload: encodeGbzMessage(readPrepaymentRegistersCommand()), critical: false }],
    interpret: (response) =>
      readGbz(response, (components) => {
        const read = attributes(components);
        const trailing = asNumber(read(CLUSTER.PRICE, 0x0617));
        const decimals = trailing === undefined ? GSME_CURRENCY_DECIMALS : trailing >> 4;
        return {
          currency: asNumber(read(CLUSTER.PRICE, 0x0616)) ?? null,
          balanceGbp: money(read(CLUSTER.PREPAYMENT, 0x0001), decimals),
          emergencyCreditRemainingGbp: money(read(CLUSTER.PREPAYMENT, 0x0002), decimals),
          accumulatedDebtGbp: money(read(CLUSTER.PREPAYMENT, 0x0005), decimals),
          debtsGbp: [0x0211, 0x0221, 0x0231].map((id) => money(read(CLUSTER.PREPAYMENT, id), decimals)),
        };
      }),
  };
}

function readMeterBalance(target: 'gsme' | 'gpf'): ServiceRequestDefinition {
  // GCS60 goes to the GSME; GCS60a is the variant the GPF may answer from its copy.
  const messageCode = target === 'gsme' ? MC.GCS60 : MC.GCS60A;
  return {
    srv: '4.18',
    name: `Read Meter Balance (${target === 'gsme' ? 'GCS60' : 'GCS60a'})`,
    target,
    build: (_params, ctx) => [{ serviceRequest: '4.18', messageCode, target: deviceOf(ctx, target), payload: encodeGbzMessage(readMeterBalanceCommand()), critical: false }],
    interpret: (response) =>
      readGbz(response, (components) => {
        const read = attributes(components);
        return { billToDateGbp: money(read(CLUSTER.METERING, 0x0a00)), balanceGbp: money(read(CLUSTER.PREPAYMENT, 0x0001)) };
      }),
  };
}

const readPaymentMode: ServiceRequestDefinition = {
  srv: '6.2.9',
  name: 'Read Device Configuration, Payment Mode (GCS21j)',
  target: 'gsme',
  build: (_params, ctx) => [gsmeCommand(ctx, '6.2.9', MC.GCS21J, readPaymentModeCommand(), false)],
  interpret: (response) =>
    readGbz(response, (components) => {
      const config = asNumber(attributes(components)(CLUSTER.PREPAYMENT, 0x0000));
      return config === undefined ? { paymentControlConfiguration: null, mode: null } : { paymentControlConfiguration: hex16(config), mode: modeOf(config) };
    }),
};

function snapshotFields(c: GbzComponent): Record<string, Json> | undefined {
  const p = commandParams(c);
  if (!p || c.payload?.type !== 'command') return undefined;
  const time = asNumber(p.snapshotTime);
  const base: Record<string, Json> = {
    id: asNumber(p.snapshotId) ?? null,
    time: time === undefined ? null : utcToIso(time),
    cause: `0x${(asNumber(p.snapshotCause) ?? 0).toString(16).padStart(8, '0')}`,
  };
  if (c.clusterId === CLUSTER.PREPAYMENT) return { ...base, kind: 'prepayment', balanceGbp: money(p.creditRemaining), emergencyCreditRemainingGbp: money(p.emergencyCreditRemaining), accumulatedDebtGbp: money(p.accumulatedDebt) };
  const volume = asNumber(p.currentSummationDelivered);
  return { ...base, kind: 'consumption', volumeM3: volume === undefined ? null : volume / VOLUME_UNITS_PER_M3 };
}

const readBillingDataLog: ServiceRequestDefinition = {
  srv: '4.4.2',
  name: 'Retrieve Change of Mode / Tariff Triggered Billing Data Log (GCS15b)',
  target: 'gsme',
  build(params, ctx) {
    const to = optionalInstant(params, 'to', ctx.now) ?? ctx.now;
    const from = optionalInstant(params, 'from', ctx.now) ?? to - YEAR_MS;
    const message = readBillingDataLogCommand({ earliestStartTime: Math.max(0, utcSeconds(from)), latestEndTime: utcSeconds(to), snapshotCause: BILLING_LOG_CAUSES });
    return [gsmeCommand(ctx, '4.4.2', MC.GCS15B, message, false)];
  },
  interpret(response) {
    const components = componentsOf(response);
    if (!components) return failed('undecodable-response');
    const snapshots: Json[] = [];
    for (const c of components) {
      const p = c.payload;
      if (!p) return failed(c.encryption ? 'undecryptable-response' : 'undecodable-response');
      // NOT_FOUND only says there are fewer snapshots than were asked for.
      if (p.type === 'default-response' && p.status !== 0 && p.status !== 0x8b) return failed(statusError(p.status));
      const fields = p.type === 'command' ? snapshotFields(c) : undefined;
      if (fields) snapshots.push(fields);
    }
    return succeeded({ snapshots });
  },
};

function deviceLogEntries(params: RequestParams): DeviceLogEntry[] {
  const raw = params.entries;
  if (!Array.isArray(raw) || raw.length === 0) throw new RequestParamsError('entries: the device log entries to restore, e.g. [{ deviceId, deviceType: GSME }]');
  return raw.map((e, i) => {
    if (!e || typeof e !== 'object' || Array.isArray(e) || typeof e.deviceId !== 'string') throw new RequestParamsError(`entries[${i}] needs a deviceId`);
    const type = e.deviceType;
    const names = Object.values(DEVICE_TYPES) as string[];
    if (typeof type !== 'number' && !(typeof type === 'string' && names.includes(type))) throw new RequestParamsError(`entries[${i}].deviceType must be one of ${names.join(', ')}`);
    return { deviceId: normaliseEui(e.deviceId), deviceType: type as DeviceLogEntry['deviceType'] };
  });
}

const restoreGpfDeviceLog: ServiceRequestDefinition = {
  srv: '8.12.2',
  name: 'Restore GPF Device Log (GCS59)',
  target: 'gpf',
  build(params, ctx) {
    // The RTDS shows GCS59 sent by the DCC's Access Control Broker.
    const payload = buildGpfDeviceLogRestoreCommand(deviceLogEntries(params));
    return [{ serviceRequest: '8.12.2', messageCode: MC.GCS59, target: deviceOf(ctx, 'gpf'), payload, critical: false, sender: 'acb' }];
  },
  interpret(response) {
    const outcomes = asn1Fields(response)?.restoreOutcomes;
    if (!Array.isArray(outcomes)) return failed('undecodable-response');
    const rows = outcomes.map((o) => {
      const entry = o && typeof o === 'object' && !Array.isArray(o) ? o : {};
      const logEntry = entry.deviceLogEntry && typeof entry.deviceLogEntry === 'object' && !Array.isArray(entry.deviceLogEntry) ? entry.deviceLogEntry : {};
      return { deviceId: logEntry.deviceId ?? null, deviceType: enumName(logEntry.deviceType) ?? null, joinResponseCode: enumName(entry.joinResponseCode) ?? null };
    });
    const refused = rows.find((r) => r.joinResponseCode !== 'success');
    return refused ? failed(refused.joinResponseCode ?? 'undecodable-response', { outcomes: rows }) : succeeded({ outcomes: rows });
  },
};

/** Every GSME and GPF service request hanlab can send. */
export const GSME_SERVICE_REQUESTS: readonly ServiceRequestDefinition[] = [
  setClockRequest('8.1.1', 'Commission Device (GCS28)'),
  setClockRequest('6.11', 'Synchronise Clock (GCS28)'),
  topUp,
  updatePaymentMode,
  activateEmergencyCredit,
  readFirmwareVersion,
  setMprn,
  readPrepaymentRegisters('gsme'),
  readPrepaymentRegisters('gpf'),
  readMeterBalance('gsme'),
  readMeterBalance('gpf'),
  readPaymentMode,
  readBillingDataLog,
  restoreGpfDeviceLog,
];
