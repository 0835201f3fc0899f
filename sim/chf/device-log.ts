import { normaliseEui, type Eui } from '../../src/crypto/eui.ts';

export type HanDeviceType = 'ESME' | 'GSME' | 'PPMID' | 'IHD' | 'HCALCS' | 'GPF';

/** Link statistics the hub keeps for a device it talks to (CCS06 reports them). */
export interface LinkQuality {
  rssi: { min: number; average: number; max: number };
  lqi: { min: number; average: number; max: number };
}

/** One entry of the CHF device log (the HAN whitelist). */
export interface DeviceLogEntry {
  eui: Eui;
  /** What the device said it is when it joined; unknown before (CCS01 does not say). */
  deviceType: HanDeviceType | undefined;
  /** The install code CCS01 gave; a log restored by CCS03 has only the link keys' hashes. */
  installCode: Uint8Array | undefined;
  /** Hash of the TC link key established with the device; undefined until it has joined. */
  hashedTcLinkKey: Uint8Array | undefined;
  joined: boolean;
  /** Install code joining is allowed until then (CCS01's join_timeout); undefined: no limit. */
  joinWindowEndsAt: number | undefined;
  /** When the hub last heard from the device (a join or a frame). */
  lastHeardAt: number | undefined;
  link: LinkQuality | undefined;
  framesDelivered: number;
  framesFailed: number;
}

/** A device removed from the log after it had established a TC link key (CCS02); the log keeps 15 of them. */
export interface HistoricEntry {
  eui: Eui;
  hashedTcLinkKey: Uint8Array;
}

/** What CS14 and CCS07 back up, and CCS03 restores: the network's identity and each device's link key hash. */
export interface DeviceLogBackup {
  extendedPanId: Eui;
  devices: { eui: Eui; hashedTcLinkKey: Uint8Array }[];
}

export type AddOutcome = 'added' | 'already-present' | 'full';

/** GBCS: the CHF historic device log holds 15 entries, the oldest overwritten first. */
export const HISTORIC_LOG_SIZE = 15;

/**
 * The CHF device log: which devices may be on the HAN, what the hub knows of each, and the historic log of
 * removed devices' link keys. State only; the use cases and the HAN decide when it changes.
 */
export class ChfDeviceLog {
  extendedPanId: Eui;
  readonly capacity: number;
  private readonly byEui = new Map<Eui, DeviceLogEntry>();
  private historicEntries: HistoricEntry[] = [];

  constructor(options: { extendedPanId: Eui; capacity: number }) {
    this.extendedPanId = normaliseEui(options.extendedPanId);
    this.capacity = options.capacity;
  }

  get(eui: Eui): DeviceLogEntry | undefined {
    return this.byEui.get(normaliseEui(eui));
  }

  has(eui: Eui): boolean {
    return this.byEui.has(normaliseEui(eui));
  }

  get size(): number {
    return this.byEui.size;
  }

  /** In the order they were added. */
  get entries(): DeviceLogEntry[] {
    return [...this.byEui.values()];
  }

  get historic(): readonly HistoricEntry[] {
    return this.historicEntries;
  }

  /** GBCS CCS01: a device already in the log keeps its entry, and the new install code is discarded. */
  add(eui: Eui, installCode: Uint8Array, options: { deviceType?: HanDeviceType; joinWindowEndsAt?: number; hashedTcLinkKey?: Uint8Array } = {}): AddOutcome {
    const id = normaliseEui(eui);
    if (this.byEui.has(id)) return 'already-present';
    if (this.byEui.size >= this.capacity) return 'full';
    this.byEui.set(id, {
      ...emptyEntry(id),
      deviceType: options.deviceType,
      installCode: Uint8Array.from(installCode),
      hashedTcLinkKey: options.hashedTcLinkKey,
      joinWindowEndsAt: options.joinWindowEndsAt,
    });
    return 'added';
  }

  /**
   * GBCS CCS02: the device leaves the log; if it had established a TC link key, the key's hash goes to the
   * historic log first (replacing an older record of the same device, else the oldest when full).
   */
  remove(eui: Eui): DeviceLogEntry | undefined {
    const id = normaliseEui(eui);
    const entry = this.byEui.get(id);
    if (!entry) return undefined;
    if (entry.hashedTcLinkKey) {
      this.historicEntries = this.historicEntries.filter((h) => h.eui !== id);
      this.historicEntries.push({ eui: id, hashedTcLinkKey: entry.hashedTcLinkKey });
      if (this.historicEntries.length > HISTORIC_LOG_SIZE) this.historicEntries.shift();
    }
    this.byEui.delete(id);
    return entry;
  }

  /** GBCS CCS03: a replacement hub takes the old hub's log and network identity; only an empty log can. */
  restore(backup: DeviceLogBackup): boolean {
    if (this.byEui.size > 0 || backup.devices.length > this.capacity) return false;
    if (new Set(backup.devices.map((d) => normaliseEui(d.eui))).size !== backup.devices.length) return false;
    this.extendedPanId = normaliseEui(backup.extendedPanId);
    for (const d of backup.devices) {
      const id = normaliseEui(d.eui);
      this.byEui.set(id, { ...emptyEntry(id), hashedTcLinkKey: d.hashedTcLinkKey.length > 0 ? Uint8Array.from(d.hashedTcLinkKey) : undefined });
    }
    return true;
  }

  backup(): DeviceLogBackup {
    return { extendedPanId: this.extendedPanId, devices: this.entries.map((e) => ({ eui: e.eui, hashedTcLinkKey: e.hashedTcLinkKey ?? new Uint8Array(0) })) };
  }

  historicBackup(): DeviceLogBackup {
    return { extendedPanId: this.extendedPanId, devices: this.historicEntries.map((h) => ({ eui: h.eui, hashedTcLinkKey: h.hashedTcLinkKey })) };
  }
}

function emptyEntry(eui: Eui): DeviceLogEntry {
  return {
    eui,
    deviceType: undefined,
    installCode: undefined,
    hashedTcLinkKey: undefined,
    joined: false,
    joinWindowEndsAt: undefined,
    lastHeardAt: undefined,
    link: undefined,
    framesDelivered: 0,
    framesFailed: 0,
  };
}
