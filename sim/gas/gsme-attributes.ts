import { attributeRecord, CLUSTER, ZCL_TYPE as T, type AttributeResult, type ReadAttributeRecord } from '../../src/gbcs/payload/gbz/index.ts';
import { AttributeStatus } from '../../src/zcl/attributes.ts';
import type { GasMeterModel } from './meter-model.ts';
import {
  CURRENCY_GBP,
  METERING_DEVICE_TYPE_GAS,
  moneyToZcl,
  PRICE_TRAILING_DIGIT,
  UNIT_OF_MEASURE_M3,
  unsignedMoneyUnits,
  VOLUME_UNITS_PER_M3,
  volumeUnits,
} from './units.ts';

/**
 * The GSME's ZCL attributes (Metering, Prepayment, Price servers), read from its state. GBZ reads (GCS14, GCS60,
 * GCS21j, GCS38) are answered from this table, and the GSME reports the same attributes to the GPF's mirror.
 */

const INT24 = 0x2a;

/** CreditStatus bits (Prepayment cluster). */
const CREDIT_STATUS = {
  CREDIT_OK: 0x01,
  LOW_CREDIT: 0x02,
  EMERGENCY_CREDIT_ENABLED: 0x04,
  EMERGENCY_CREDIT_AVAILABLE: 0x08,
  EMERGENCY_CREDIT_SELECTED: 0x10,
  EMERGENCY_CREDIT_IN_USE: 0x20,
  CREDIT_EXHAUSTED: 0x40,
} as const;

export interface GsmeReadings {
  readonly meter: GasMeterModel;
  /** Four octets, reported in the Metering cluster's CurrentMeterID (GCS38). */
  readonly firmwareVersion: Uint8Array;
  readonly mprn: string | undefined;
}

export interface GsmeAttribute {
  clusterId: number;
  attributeId: number;
  dataType: number;
  read(g: GsmeReadings): AttributeResult;
}

function creditStatus(meter: GasMeterModel): number {
  const ec = meter.emergencyCredit;
  const aboveCutOff = meter.balanceGbp - meter.cutOffGbp;
  if (meter.paymentMode !== 'prepayment') return aboveCutOff > 0 ? CREDIT_STATUS.CREDIT_OK : 0;
  let bits = CREDIT_STATUS.EMERGENCY_CREDIT_ENABLED;
  if (aboveCutOff > ec.thresholdGbp) bits |= CREDIT_STATUS.CREDIT_OK;
  else if (aboveCutOff > 0) bits |= CREDIT_STATUS.LOW_CREDIT;
  if (!ec.active && ec.remainingGbp > 0 && aboveCutOff <= ec.thresholdGbp) bits |= CREDIT_STATUS.EMERGENCY_CREDIT_AVAILABLE;
  if (ec.active) bits |= CREDIT_STATUS.EMERGENCY_CREDIT_SELECTED;
  if (ec.active && aboveCutOff <= 0) bits |= CREDIT_STATUS.EMERGENCY_CREDIT_IN_USE;
  if (meter.supply === 'disabled') bits |= CREDIT_STATUS.CREDIT_EXHAUSTED;
  return bits;
}

const metering = (attributeId: number, dataType: number, read: GsmeAttribute['read']): GsmeAttribute => ({ clusterId: CLUSTER.METERING, attributeId, dataType, read });
const prepayment = (attributeId: number, dataType: number, read: GsmeAttribute['read']): GsmeAttribute => ({ clusterId: CLUSTER.PREPAYMENT, attributeId, dataType, read });
const price = (attributeId: number, dataType: number, read: GsmeAttribute['read']): GsmeAttribute => ({ clusterId: CLUSTER.PRICE, attributeId, dataType, read });

export const GSME_ATTRIBUTES: readonly GsmeAttribute[] = [
  metering(0x0000, T.UINT48, (g) => volumeUnits(g.meter.volumeM3)), // CurrentSummationDelivered
  metering(0x0206, T.OCTET_STR, (g) => g.firmwareVersion), // CurrentMeterID
  metering(0x0300, T.ENUM8, () => UNIT_OF_MEASURE_M3),
  metering(0x0301, T.UINT24, () => 1), // Multiplier
  metering(0x0302, T.UINT24, () => VOLUME_UNITS_PER_M3), // Divisor
  metering(0x0306, T.BITMAP8, () => METERING_DEVICE_TYPE_GAS),
  metering(0x0307, T.OCTET_STR, (g) => g.mprn ?? ''), // SiteID
  metering(0x0400, INT24, (g) => Math.round(g.meter.flowM3PerHour * VOLUME_UNITS_PER_M3)), // InstantaneousDemand
  metering(0x0a00, T.UINT32, (g) => unsignedMoneyUnits(g.meter.billToDateGbp)), // BillToDateDelivered
  prepayment(0x0000, T.BITMAP16, (g) => g.meter.paymentControlConfiguration),
  prepayment(0x0001, T.INT32, (g) => moneyToZcl(g.meter.balanceGbp)), // CreditRemaining
  prepayment(0x0002, T.INT32, (g) => moneyToZcl(g.meter.emergencyCredit.remainingGbp)),
  prepayment(0x0003, T.BITMAP8, (g) => creditStatus(g.meter)),
  prepayment(0x0005, T.INT32, (g) => moneyToZcl(g.meter.accumulatedDebtGbp)),
  prepayment(0x0010, T.UINT32, (g) => unsignedMoneyUnits(g.meter.emergencyCredit.limitGbp)),
  prepayment(0x0011, T.UINT32, (g) => unsignedMoneyUnits(g.meter.emergencyCredit.thresholdGbp)),
  prepayment(0x0211, T.UINT32, (g) => unsignedMoneyUnits(g.meter.debtsGbp[0])),
  prepayment(0x0221, T.UINT32, (g) => unsignedMoneyUnits(g.meter.debtsGbp[1])),
  prepayment(0x0231, T.UINT32, (g) => unsignedMoneyUnits(g.meter.debtsGbp[2])),
  price(0x0616, T.UINT16, () => CURRENCY_GBP),
  price(0x0617, T.BITMAP8, () => PRICE_TRAILING_DIGIT),
];

const BY_KEY = new Map(GSME_ATTRIBUTES.map((a) => [`${a.clusterId}/${a.attributeId}`, a]));

/** A Read Attributes record for one attribute of the GSME: its value, or UNSUPPORTED_ATTRIBUTE. */
export function readGsmeAttribute(g: GsmeReadings, clusterId: number, attributeId: number): ReadAttributeRecord {
  const attribute = BY_KEY.get(`${clusterId}/${attributeId}`);
  if (!attribute) return { attributeId, status: AttributeStatus.UNSUPPORTED_ATTRIBUTE };
  return attributeRecord(attributeId, attribute.dataType, attribute.read(g));
}

/** The clusters the GSME serves, each with every attribute's current record: what it reports to the mirror. */
export function gsmeAttributesByCluster(g: GsmeReadings): Map<number, ReadAttributeRecord[]> {
  const out = new Map<number, ReadAttributeRecord[]>();
  for (const a of GSME_ATTRIBUTES) {
    const records = out.get(a.clusterId) ?? [];
    records.push(attributeRecord(a.attributeId, a.dataType, a.read(g)));
    out.set(a.clusterId, records);
  }
  return out;
}
