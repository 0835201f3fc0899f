import type { Clock } from '../../src/time/clock.ts';
import type { Envelope, EnvelopeMeta } from '../../src/transport/envelope.ts';
import {
  AttributeStatus,
  decodeReadAttributes,
  decodeReadAttributesResponse,
  encodeReadAttributes,
  encodeReadAttributesResponse,
  type DecodedReadAttributesResponse,
} from '../../src/zcl/attributes.ts';
import { encodeZcl } from '../../src/zcl/codec.ts';
import { ZclDecodeError, ZclEncodeError } from '../../src/zcl/errors.ts';

/**
 * Metering (0x0702) and Prepayment (0x0705) on the HAN: the server a meter (ESME, or the GPF for the gas meter's
 * mirror) attaches to answer Read Attributes from IHDs and PPMIDs, and the client side those displays use to ask
 * and to turn the answers back into engineering units. The meter supplies its readings in engineering units (kWh
 * or m³, kW or m³/h, GBP) through a getter; the server writes them in ZCL units (register = value × divisor ÷
 * multiplier, money in currency units of 10^-5 GBP as GBCS meters keep them).
 *
 * Frames on the bus carry no APS header, so the cluster travels as envelope meta `cluster` (as the GPF mirror does).
 */

export const ZCL_CLUSTER_META = 'cluster';
export const METERING_CLUSTER = 0x0702;
export const PREPAYMENT_CLUSTER = 0x0705;
export const TUNNELING_CLUSTER = 0x0704;

/** GBCS meters keep money with five decimal places (price trailing digit 5): £12.50 is 1250000. */
export const CURRENCY_DECIMALS = 5;

/** ZCL statuses the server answers with in a Default Response. */
export const ZclStatus = {
  MALFORMED_COMMAND: 0x80,
  UNSUP_GENERAL_COMMAND: 0x82,
  UNSUPPORTED_ATTRIBUTE: AttributeStatus.UNSUPPORTED_ATTRIBUTE,
  UNSUPPORTED_CLUSTER: 0xc3,
} as const;

/** Metering UnitOfMeasure (pure binary forms). */
export const UNIT_OF_MEASURE = { kWh: 0x00, m3: 0x01 } as const;
export type MeteringUnit = keyof typeof UNIT_OF_MEASURE;

/** Metering MeteringDeviceType. */
export const METERING_DEVICE_TYPE = { electricity: 0x00, gas: 0x01 } as const;

/** PaymentControlConfiguration bit 1: prepayment enabled (set in GBCS's prepayment configurations, clear in credit). */
export const PAYMENT_CONTROL_PREPAYMENT = 0x0002;

/** What a meter reports on the Metering cluster, in its unit of measure. */
export interface MeteringReadings {
  /** Total delivered: kWh for electricity, m³ for gas. */
  summationDelivered: number;
  /** Present demand: kW for electricity, m³/h for gas. */
  instantaneousDemand?: number;
  /** Delivered so far today, same unit as the summation. */
  currentDayConsumptionDelivered?: number;
  /** Metering Status bitmap (8 bits). */
  status?: number;
  /** MPAN or MPRN. */
  siteId?: string;
  meterSerialNumber?: string;
  billToDateGbp?: number;
}

/** What a meter reports on the Prepayment cluster, in GBP. */
export interface PrepaymentReadings {
  /** Meter balance; negative in debt. */
  creditRemainingGbp: number;
  emergencyCreditRemainingGbp?: number;
  /** CreditStatus bitmap (8 bits). */
  creditStatus?: number;
  paymentControlConfiguration: number;
  accumulatedDebtGbp?: number;
  emergencyCreditLimitGbp?: number;
  emergencyCreditThresholdGbp?: number;
  /** Clock time the balance was last worked out. */
  creditUpdatedAt?: number;
}

/** A meter's state as the server reads it; a cluster left out is one the meter does not serve. */
export interface MeterReadings {
  metering?: MeteringReadings;
  prepayment?: PrepaymentReadings;
}

/** How the meter's Metering registers are scaled: fixed for a meter. */
export interface MeteringFormat {
  unit: MeteringUnit;
  /** Register units per unit of measure = divisor ÷ multiplier. Defaults 1 and 1000 (Wh, or litres of gas). */
  multiplier?: number;
  divisor?: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Engineering units ↔ ZCL units

const UINT24_MAX = 0xffffff;
const UINT32_MAX = 0xffffffff;
const UINT48_MAX = 2 ** 48 - 1;
const INT24 = { min: -(2 ** 23), max: 2 ** 23 - 1 };
const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };
const clamp = (n: number, min: number, max: number) => Math.min(max, Math.max(min, n));
/** ZCL UTC time: seconds since 2000-01-01T00:00:00Z. */
const ZCL_EPOCH_MS = Date.UTC(2000, 0, 1);

export function moneyToZcl(gbp: number, decimals = CURRENCY_DECIMALS): number {
  return clamp(Math.round(gbp * 10 ** decimals), INT32.min, INT32.max);
}

function unsignedMoney(gbp: number, decimals: number): number {
  return clamp(Math.round(gbp * 10 ** decimals), 0, UINT32_MAX);
}

export function moneyFromZcl(units: number, decimals = CURRENCY_DECIMALS): number {
  return units / 10 ** decimals;
}

export function zclUtcFromMs(ms: number): number {
  return clamp(Math.floor((ms - ZCL_EPOCH_MS) / 1000), 0, UINT32_MAX - 1);
}

/** Summation formatting: 3 bits of decimals, 4 bits of integer digits (7), leading zeros suppressed. */
function formattingFor(registerUnitsPerUnit: number): number {
  const decimals = clamp(Math.round(Math.log10(Math.max(1, registerUnitsPerUnit))), 0, 7);
  return 0x80 | (7 << 3) | decimals;
}

function checkScale(format: MeteringFormat): { multiplier: number; divisor: number } {
  const multiplier = format.multiplier ?? 1;
  const divisor = format.divisor ?? 1000;
  for (const [name, v] of [['multiplier', multiplier], ['divisor', divisor]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > UINT24_MAX) throw new RangeError(`metering ${name} must be an integer 1..${UINT24_MAX}, got ${v}`);
  }
  return { multiplier, divisor };
}

/** The Metering attributes (by herdsman name) a meter with this format and these readings reports, in ZCL units. */
export function meteringAttributes(format: MeteringFormat, r: MeteringReadings): Record<string, unknown> {
  const { multiplier, divisor } = checkScale(format);
  const register = (v: number) => clamp(Math.floor((v * divisor) / multiplier + 1e-9), 0, UINT48_MAX);
  const values: Record<string, unknown> = {
    currentSummDelivered: register(r.summationDelivered),
    unitOfMeasure: UNIT_OF_MEASURE[format.unit],
    multiplier,
    divisor,
    summaFormatting: formattingFor(divisor / multiplier),
    demandFormatting: formattingFor(divisor / multiplier),
    meteringDeviceType: format.unit === 'kWh' ? METERING_DEVICE_TYPE.electricity : METERING_DEVICE_TYPE.gas,
    status: r.status ?? 0,
  };
  if (r.instantaneousDemand !== undefined) values.instantaneousDemand = clamp(Math.round((r.instantaneousDemand * divisor) / multiplier), INT24.min, INT24.max);
  if (r.currentDayConsumptionDelivered !== undefined) {
    values.currentDayConsumpDelivered = clamp(Math.floor((r.currentDayConsumptionDelivered * divisor) / multiplier + 1e-9), 0, UINT24_MAX);
  }
  if (r.siteId !== undefined) values.siteId = new TextEncoder().encode(r.siteId);
  if (r.meterSerialNumber !== undefined) values.meterSerialNumber = new TextEncoder().encode(r.meterSerialNumber);
  if (r.billToDateGbp !== undefined) values.billToDateDelivered = unsignedMoney(r.billToDateGbp, CURRENCY_DECIMALS);
  return values;
}

/** The Prepayment attributes (by name) for these readings, in ZCL units. */
export function prepaymentAttributes(r: PrepaymentReadings, decimals = CURRENCY_DECIMALS): Record<string, unknown> {
  const values: Record<string, unknown> = {
    paymentControlConfiguration: r.paymentControlConfiguration & 0xffff,
    creditRemaining: moneyToZcl(r.creditRemainingGbp, decimals),
  };
  if (r.emergencyCreditRemainingGbp !== undefined) values.emergencyCreditRemaining = moneyToZcl(r.emergencyCreditRemainingGbp, decimals);
  if (r.creditStatus !== undefined) values.creditStatus = r.creditStatus & 0xff;
  if (r.accumulatedDebtGbp !== undefined) values.accumulatedDebt = moneyToZcl(r.accumulatedDebtGbp, decimals);
  if (r.emergencyCreditLimitGbp !== undefined) values.emergencyCreditLimitAllowance = unsignedMoney(r.emergencyCreditLimitGbp, decimals);
  if (r.emergencyCreditThresholdGbp !== undefined) values.emergencyCreditThreshold = unsignedMoney(r.emergencyCreditThresholdGbp, decimals);
  if (r.creditUpdatedAt !== undefined) values.creditRemainingTimestamp = zclUtcFromMs(r.creditUpdatedAt);
  return values;
}

// ---------------------------------------------------------------------------------------------------------------
// Server

/** A frame the server could not answer as asked: kept for the record, never thrown. */
export interface ZclServerIncident {
  at: number;
  from: string;
  cluster: number;
  what: 'malformed' | 'unsupported-command' | 'unsupported-cluster' | 'encode-failed';
  detail: string;
}

export interface MeteringServerOptions {
  clock: Clock;
  format: MeteringFormat;
  /** The meter's readings now, in engineering units. */
  readings: () => MeterReadings;
  /** Sends a ZCL frame (the meter's own transmit, so its power and fault switches apply). */
  send: (to: string, frame: Uint8Array, meta: EnvelopeMeta) => Promise<void>;
  /** Whether to answer this sender at all (e.g. only while the meter is on the network). Default: always. */
  answers?: (from: string) => boolean;
  currencyDecimals?: number;
}

/** The frame control and sequence number of a ZCL frame, read by hand so a broken payload still gets its answer. */
export function peekZclHeader(bytes: Uint8Array): { global: boolean; serverToClient: boolean; seq: number; commandId: number } | undefined {
  const fc = bytes[0];
  if (fc === undefined) return undefined;
  const at = fc & 0x04 ? 3 : 1;
  const seq = bytes[at];
  const commandId = bytes[at + 1];
  if (seq === undefined || commandId === undefined) return undefined;
  return { global: (fc & 0x03) === 0, serverToClient: (fc & 0x08) !== 0, seq, commandId };
}

const READ_ATTRIBUTES = 0x00;

/**
 * Answers Read Attributes on Metering and Prepayment from the meter's readings; attributes it has no value for
 * come back UNSUPPORTED_ATTRIBUTE, a cluster the meter does not serve gets UNSUPPORTED_CLUSTER, other global
 * commands UNSUP_GENERAL_COMMAND, and a malformed request MALFORMED_COMMAND (when its header can be read at all).
 * Cluster-specific commands (Consumer Top Up…) are left to whoever the meter asks next.
 *
 * A meter plugs it in with a few lines:
 *   private readonly zcl = new MeteringServer({ clock, format: { unit: 'kWh' }, readings: () => …, send: (to, f, m) => this.transmit(to, 'zcl', f, m) });
 *   protected override async handle(e: Envelope) { if (await this.zcl.handle(e)) return; return super.handle(e); }
 */
export class MeteringServer {
  readonly incidents: ZclServerIncident[] = [];
  /** Read Attributes requests answered. */
  served = 0;
  private readonly options: MeteringServerOptions;

  constructor(options: MeteringServerOptions) {
    checkScale(options.format);
    this.options = options;
  }

  /** The attribute values (ZCL units, by name) a cluster reports now; undefined for a cluster the meter does not serve. */
  attributes(cluster: number): Record<string, unknown> | undefined {
    const r = this.options.readings();
    if (cluster === METERING_CLUSTER) return r.metering && meteringAttributes(this.options.format, r.metering);
    if (cluster === PREPAYMENT_CLUSTER) return r.prepayment && prepaymentAttributes(r.prepayment, this.options.currencyDecimals);
    return undefined;
  }

  /**
   * Takes a `zcl` envelope if it is a global frame on Metering or Prepayment, and answers it. Returns false, having
   * done nothing, for anything else.
   */
  async handle(envelope: Envelope): Promise<boolean> {
    if (envelope.protocol !== 'zcl') return false;
    const cluster = envelope.meta?.[ZCL_CLUSTER_META];
    if (cluster !== METERING_CLUSTER && cluster !== PREPAYMENT_CLUSTER) return false;
    const header = peekZclHeader(envelope.payload);
    if (header && !header.global) return false;
    if (this.options.answers && !this.options.answers(envelope.from)) return true;
    const reply = this.answer(cluster, envelope.payload, envelope.from);
    if (reply) await this.options.send(envelope.from, reply, { [ZCL_CLUSTER_META]: cluster });
    return true;
  }

  /** The answer to one request frame on a cluster, or undefined when there is nothing to say (recorded). */
  answer(cluster: number, frame: Uint8Array, from = 'unknown'): Uint8Array | undefined {
    const header = peekZclHeader(frame);
    if (!header) {
      this.incident(from, cluster, 'malformed', `${frame.length}-byte frame has no ZCL header`);
      return undefined;
    }
    if (!header.global || header.commandId !== READ_ATTRIBUTES) {
      this.incident(from, cluster, 'unsupported-command', `global command 0x${header.commandId.toString(16).padStart(2, '0')}`);
      return this.defaultResponse(cluster, header, ZclStatus.UNSUP_GENERAL_COMMAND, from);
    }
    let requested: number[];
    try {
      const decoded = decodeReadAttributes(frame, cluster);
      if (decoded.header.direction !== 'clientToServer') throw new ZclDecodeError('a client-to-server Read Attributes', 0, decoded.header.direction);
      requested = decoded.attributes.map((a) => a.id);
    } catch (e) {
      if (!(e instanceof ZclDecodeError)) throw e;
      this.incident(from, cluster, 'malformed', e.message);
      return this.defaultResponse(cluster, header, ZclStatus.MALFORMED_COMMAND, from);
    }
    const values = this.attributes(cluster);
    if (!values) {
      this.incident(from, cluster, 'unsupported-cluster', `this meter does not serve cluster 0x${cluster.toString(16).padStart(4, '0')}`);
      return this.defaultResponse(cluster, header, ZclStatus.UNSUPPORTED_CLUSTER, from);
    }
    if (requested.length === 0) {
      this.incident(from, cluster, 'malformed', 'Read Attributes names no attribute');
      return this.defaultResponse(cluster, header, ZclStatus.MALFORMED_COMMAND, from);
    }
    try {
      const reply = encodeReadAttributesResponse({ cluster, seq: header.seq, requested, values });
      this.served++;
      return reply;
    } catch (e) {
      if (!(e instanceof ZclEncodeError)) throw e;
      this.incident(from, cluster, 'encode-failed', e.message);
      return this.defaultResponse(cluster, header, ZclStatus.MALFORMED_COMMAND, from);
    }
  }

  private defaultResponse(cluster: number, header: { seq: number; commandId: number }, status: number, from: string): Uint8Array | undefined {
    try {
      return encodeZcl({ cluster, command: 'defaultRsp', frameType: 'global', direction: 'serverToClient', seq: header.seq, payload: { cmdId: header.commandId, statusCode: status } });
    } catch (e) {
      if (!(e instanceof ZclEncodeError)) throw e;
      this.incident(from, cluster, 'encode-failed', e.message);
      return undefined;
    }
  }

  private incident(from: string, cluster: number, what: ZclServerIncident['what'], detail: string): void {
    this.incidents.push({ at: this.options.clock.now(), from, cluster, what, detail });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Client side: what an IHD or PPMID asks and how it reads the answer

/** What displays ask of each cluster, by herdsman attribute name. */
export const METERING_READ = ['currentSummDelivered', 'instantaneousDemand', 'unitOfMeasure', 'multiplier', 'divisor', 'status'] as const;
export const PREPAYMENT_READ = ['creditRemaining', 'emergencyCreditRemaining', 'creditStatus', 'paymentControlConfiguration'] as const;

export function encodeMeteringRead(seq: number): Uint8Array {
  return encodeReadAttributes({ cluster: METERING_CLUSTER, attributes: METERING_READ, seq });
}

export function encodePrepaymentRead(seq: number): Uint8Array {
  return encodeReadAttributes({ cluster: PREPAYMENT_CLUSTER, attributes: PREPAYMENT_READ, seq });
}

/** Consumption as a display shows it. */
export interface ConsumptionReading {
  unit: MeteringUnit;
  /** Total delivered in `unit`. */
  summation: number;
  /** kW or m³/h, when the meter reports it. */
  demand?: number;
  status?: number;
}

export interface CreditReading {
  creditGbp: number;
  emergencyCreditGbp?: number;
  creditStatus?: number;
  paymentMode?: 'credit' | 'prepayment';
}

/** A reply the client cannot use: not a Read Attributes response, or one missing what it needs. */
export class MeterReadError extends Error {
  override readonly name = 'MeterReadError';
}

function successValues(response: DecodedReadAttributesResponse): Map<string, unknown> {
  const values = new Map<string, unknown>();
  for (const r of response.records) if (r.status === AttributeStatus.SUCCESS && r.name !== undefined) values.set(r.name, r.value);
  return values;
}

const asNumber = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Reads a Metering Read Attributes response; throws ZclDecodeError or MeterReadError. */
export function readConsumption(frame: Uint8Array): ConsumptionReading {
  const response = decodeReadAttributesResponse(frame, METERING_CLUSTER);
  const v = successValues(response);
  const raw = asNumber(v.get('currentSummDelivered'));
  if (raw === undefined) throw new MeterReadError('the meter did not report currentSummDelivered');
  const unitCode = asNumber(v.get('unitOfMeasure')) ?? UNIT_OF_MEASURE.kWh;
  const unit = (Object.keys(UNIT_OF_MEASURE) as MeteringUnit[]).find((u) => UNIT_OF_MEASURE[u] === unitCode);
  if (!unit) throw new MeterReadError(`unit of measure 0x${unitCode.toString(16)} is not one a display shows`);
  const multiplier = asNumber(v.get('multiplier')) ?? 1;
  const divisor = asNumber(v.get('divisor')) ?? 1;
  if (multiplier <= 0 || divisor <= 0) throw new MeterReadError(`multiplier ${multiplier} and divisor ${divisor} must be positive`);
  const scale = (n: number) => (n * multiplier) / divisor;
  const reading: ConsumptionReading = { unit, summation: scale(raw) };
  const demand = asNumber(v.get('instantaneousDemand'));
  if (demand !== undefined) reading.demand = scale(demand);
  const status = asNumber(v.get('status'));
  if (status !== undefined) reading.status = status;
  return reading;
}

/** Reads a Prepayment Read Attributes response; throws ZclDecodeError or MeterReadError. */
export function readCredit(frame: Uint8Array, decimals = CURRENCY_DECIMALS): CreditReading {
  const response = decodeReadAttributesResponse(frame, PREPAYMENT_CLUSTER);
  const v = successValues(response);
  const credit = asNumber(v.get('creditRemaining'));
  if (credit === undefined) throw new MeterReadError('the meter did not report creditRemaining');
  const reading: CreditReading = { creditGbp: moneyFromZcl(credit, decimals) };
  const emergency = asNumber(v.get('emergencyCreditRemaining'));
  if (emergency !== undefined) reading.emergencyCreditGbp = moneyFromZcl(emergency, decimals);
  const status = asNumber(v.get('creditStatus'));
  if (status !== undefined) reading.creditStatus = status;
  const control = asNumber(v.get('paymentControlConfiguration'));
  if (control !== undefined) reading.paymentMode = control & PAYMENT_CONTROL_PREPAYMENT ? 'prepayment' : 'credit';
  return reading;
}
