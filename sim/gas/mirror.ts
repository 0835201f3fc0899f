import { CLUSTER, type ReadAttributeRecord, type ZclScalar } from '../../src/gbcs/payload/gbz/index.ts';
import { decodeZcl, encodeZcl, ZclDecodeError } from '../../src/zcl/index.ts';
import { CURRENCY_DECIMALS, moneyFromZcl, type MeterReadings } from '../core/metering-server.ts';
import { AttributeStatus } from '../../src/zcl/attributes.ts';

/**
 * The GPF's copy of the GSME's attributes. A sleepy GSME pushes them with ZCL Report Attributes each time it
 * wakes; the GPF answers reads from this copy (GCS14 and GCS60a sent to the GPF, and HAN devices' reads) while
 * the GSME sleeps. Frames on the bus carry no APS header, so the cluster travels as envelope meta
 * (ZCL_CLUSTER_META).
 */

interface MirroredValue {
  dataType: number;
  value: ZclScalar;
}

/** A Report Attributes frame from the GSME's server cluster, one record per attribute that has a value. */
export function encodeMirrorReport(clusterId: number, records: readonly ReadAttributeRecord[], seq: number): Uint8Array {
  const payload = records.flatMap((r) => {
    if (r.status !== 0 || !('value' in r) || r.value === null) return [];
    const attrData = r.value instanceof Uint8Array ? Buffer.from(r.value) : r.value;
    return [{ attrId: r.attributeId, dataType: r.dataType, attrData }];
  });
  return encodeZcl({ cluster: clusterId, command: 'report', frameType: 'global', direction: 'serverToClient', seq, payload });
}

export class GsmeMirror {
  private readonly values = new Map<string, MirroredValue>();
  /** When the GSME last reported (clock time), or undefined before its first report. */
  updatedAt: number | undefined;

  /** Takes a Report Attributes frame; throws ZclDecodeError when it is not one. */
  apply(clusterId: number, frame: Uint8Array, at: number): number {
    const decoded = decodeZcl(frame, clusterId);
    if (decoded.header.frameType !== 'global' || decoded.commandName !== 'report' || !Array.isArray(decoded.payload)) {
      throw new ZclDecodeError('a Report Attributes frame', 0, `${decoded.header.frameType} ${decoded.commandName}`);
    }
    const records = decoded.payload as { attrId: number; dataType: number; attrData: unknown }[];
    for (const r of records) this.values.set(`${clusterId}/${r.attrId}`, { dataType: r.dataType, value: toScalar(r.attrData) });
    this.updatedAt = at;
    return records.length;
  }

  value(clusterId: number, attributeId: number): ZclScalar | undefined {
    return this.values.get(`${clusterId}/${attributeId}`)?.value;
  }

  /** A Read Attributes record from the copy: UNSUPPORTED_ATTRIBUTE for what the GSME has not reported. */
  read(clusterId: number, attributeId: number): ReadAttributeRecord {
    const held = this.values.get(`${clusterId}/${attributeId}`);
    if (!held) return { attributeId, status: AttributeStatus.UNSUPPORTED_ATTRIBUTE };
    return { attributeId, status: 0, dataType: held.dataType, value: held.value };
  }
}

function toScalar(data: unknown): ZclScalar {
  if (typeof data === 'number' || typeof data === 'bigint') return data;
  if (data instanceof Uint8Array) return Uint8Array.from(data);
  if (data === null || data === undefined) return null;
  throw new ZclDecodeError('an attribute value', undefined, typeof data);
}

/**
 * The mirror in engineering units, for the HAN's Metering/Prepayment server (IHDs and PPMIDs read gas through the
 * GPF). A cluster the GSME has not reported yet is left out, and so answered as not served.
 */
export function readingsFromMirror(mirror: GsmeMirror): MeterReadings {
  const num = (cluster: number, attribute: number) => {
    const v = mirror.value(cluster, attribute);
    return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined;
  };
  const text = (cluster: number, attribute: number) => {
    const v = mirror.value(cluster, attribute);
    return v instanceof Uint8Array ? new TextDecoder().decode(v) : undefined;
  };
  const out: MeterReadings = {};
  const trailingDigit = num(CLUSTER.PRICE, 0x0617);
  const money = (units: number | undefined) => (units === undefined ? undefined : moneyFromZcl(units, trailingDigit === undefined ? CURRENCY_DECIMALS : trailingDigit >> 4));
  const summation = num(CLUSTER.METERING, 0x0000);
  if (summation !== undefined) {
    const scale = (v: number) => (v * (num(CLUSTER.METERING, 0x0301) ?? 1)) / (num(CLUSTER.METERING, 0x0302) ?? 1);
    const demand = num(CLUSTER.METERING, 0x0400);
    const siteId = text(CLUSTER.METERING, 0x0307);
    const billToDateGbp = money(num(CLUSTER.METERING, 0x0a00));
    out.metering = {
      summationDelivered: scale(summation),
      ...(demand === undefined ? {} : { instantaneousDemand: scale(demand) }),
      ...(siteId ? { siteId } : {}),
      ...(billToDateGbp === undefined ? {} : { billToDateGbp }),
    };
  }
  const creditRemainingGbp = money(num(CLUSTER.PREPAYMENT, 0x0001));
  const paymentControlConfiguration = num(CLUSTER.PREPAYMENT, 0x0000);
  if (creditRemainingGbp !== undefined && paymentControlConfiguration !== undefined) {
    const optional = {
      emergencyCreditRemainingGbp: money(num(CLUSTER.PREPAYMENT, 0x0002)),
      creditStatus: num(CLUSTER.PREPAYMENT, 0x0003),
      accumulatedDebtGbp: money(num(CLUSTER.PREPAYMENT, 0x0005)),
      emergencyCreditLimitGbp: money(num(CLUSTER.PREPAYMENT, 0x0010)),
      emergencyCreditThresholdGbp: money(num(CLUSTER.PREPAYMENT, 0x0011)),
      creditUpdatedAt: mirror.updatedAt,
    };
    out.prepayment = { creditRemainingGbp, paymentControlConfiguration, ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)) };
  }
  return out;
}
