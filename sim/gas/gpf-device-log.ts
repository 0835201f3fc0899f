import { normaliseEui, type Eui } from '../../src/crypto/eui.ts';
import { DEVICE_TYPES, type DeviceLogEntry, type NameOf } from '../../src/gbcs/payload/asn1/index.ts';

/**
 * The GPF device log: the devices joined with the GPF (the GSME, and PPMIDs and IHDs that read gas data). The GPF
 * backs it up to the DCC (GCS62) whenever it changes, so a replacement hub's GPF can be given it back (GCS59).
 */

export type DeviceTypeName = NameOf<typeof DEVICE_TYPES>;

/** The join response codes a device log change can end in (GCS59 restore outcomes). */
export type DeviceLogOutcome = 'success' | 'deviceLogFull' | 'incompatibleWithExistingEntry';

export interface GpfDeviceLogEntry {
  deviceId: Eui;
  deviceType: DeviceTypeName;
}

export function deviceTypeName(code: DeviceLogEntry['deviceType']): DeviceTypeName | undefined {
  if (typeof code === 'string') return code;
  return DEVICE_TYPES[code as keyof typeof DEVICE_TYPES];
}

export class GpfDeviceLog {
  private readonly byId = new Map<Eui, GpfDeviceLogEntry>();

  constructor(readonly capacity: number) {}

  get entries(): GpfDeviceLogEntry[] {
    return [...this.byId.values()];
  }

  get(eui: Eui): GpfDeviceLogEntry | undefined {
    return this.byId.get(eui.toLowerCase());
  }

  /** The GSME the GPF proxies: the log holds at most one. */
  get gsme(): Eui | undefined {
    return this.entries.find((e) => e.deviceType === 'GSME')?.deviceId;
  }

  /** Adds a device; `changed` is false when the same entry was already there. */
  add(entry: GpfDeviceLogEntry): { outcome: DeviceLogOutcome; changed: boolean } {
    const deviceId = normaliseEui(entry.deviceId);
    const existing = this.byId.get(deviceId);
    if (existing) return existing.deviceType === entry.deviceType ? { outcome: 'success', changed: false } : { outcome: 'incompatibleWithExistingEntry', changed: false };
    if (entry.deviceType === 'GSME' && this.gsme !== undefined) return { outcome: 'incompatibleWithExistingEntry', changed: false };
    if (this.byId.size >= this.capacity) return { outcome: 'deviceLogFull', changed: false };
    this.byId.set(deviceId, { deviceId, deviceType: entry.deviceType });
    return { outcome: 'success', changed: true };
  }

  remove(eui: Eui): boolean {
    return this.byId.delete(normaliseEui(eui));
  }
}
