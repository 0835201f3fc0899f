/** ASN.1 types several GBCS use cases share: alert codes, entity identifiers, device types, device log entries. */
import type { Json } from '../types.ts';
import { ALERT_CODES, DEVICE_TYPES } from './codes.ts';
import { TAG } from './der.ts';
import { enumerated, field, octets, sequence, type Schema } from './schema.ts';
import { integerJson, integerValue } from './values.ts';

/** Alert code with its hex spelling (`0x8f66`), as alert tables list them. */
export const alertCode: Schema = {
  tags: [TAG.INTEGER],
  what: 'AlertCode',
  decode(node) {
    const v = integerValue(node, 'AlertCode');
    const out: { [key: string]: Json } = { value: integerJson(v), hex: `0x${v.toString(16).padStart(4, '0')}` };
    const name = v >= 0n && v <= 0xffffn ? ALERT_CODES[Number(v) as keyof typeof ALERT_CODES] : undefined;
    if (name !== undefined) out.name = name;
    return out;
  },
};

/** An EUI-64 device or organisation identifier. */
export const entityId = (what = 'EntityId') => octets(what, 8);

export const deviceType = enumerated('DeviceType', DEVICE_TYPES);

export const deviceLogEntry = sequence('DeviceLogEntry', [field('deviceId', entityId('deviceId')), field('deviceType', deviceType)]);

/** The execution date-time that cancels a pending future-dated command (RTDS CS06 and CS02b cancellations). */
export const CANCELLATION_DATE_TIME = new Date(Date.UTC(9999, 11, 31, 23, 59, 59));
