import { normaliseEui, type Eui } from '../src/crypto/eui.ts';
import { GbcsDecodeError } from '../src/gbcs/errors.ts';
import { decodeFrame } from '../src/gbcs/frame.ts';
import type { Envelope } from '../src/transport/envelope.ts';
import { ZclDecodeError } from '../src/zcl/errors.ts';
import { unwrapTunnel, wrapGbcsInTunnel } from '../src/zcl/tunnel.ts';
import type { DeviceEnvironment } from './core/device.ts';
import { GbcsDevice, type GbcsDeviceOptions } from './core/gbcs-device.ts';
import { decodeHan, encodeHan, HanMessageError, joinProof, type HanMessage } from './core/han.ts';

export type HanDeviceType = 'ESME' | 'GSME' | 'PPMID' | 'IHD' | 'HCALCS' | 'GPF';

/** One entry of the CHF device log (the HAN whitelist). */
export interface DeviceLogEntry {
  eui: Eui;
  deviceType: HanDeviceType;
  installCode: Uint8Array;
  joined: boolean;
}

/** Something the hub could not pass on, kept for the record rather than lost. */
export interface RoutingIncident {
  at: number;
  what: 'malformed-wan-frame' | 'unknown-recipient' | 'not-joined' | 'malformed-han-frame' | 'join-refused';
  detail: string;
  device?: Eui;
}

/** Where the hub hands GPF and GSME traffic: the Gas Proxy Function lives in the hub. */
export interface GasProxy {
  readonly eui: Eui;
  readonly gsmeEui: Eui | undefined;
  /** A GBCS command for the GPF itself or for the GSME it proxies; returns frames for the head-end. */
  fromWan(bytes: Uint8Array, recipient: Eui): Promise<Uint8Array[]>;
}

export interface CommsHubOptions extends GbcsDeviceOptions {
  headEnd: string;
  panId?: number;
  channel?: number;
  firmwareVersion?: number;
}

/**
 * The Comms Hub Function: on the WAN side it takes GBCS from the head-end; commands for itself it answers,
 * commands for HAN devices it forwards inside ZigBee Smart Energy Tunneling frames (cluster 0x0704) to devices
 * that are in its device log and joined, and what they answer it passes back. GPF and GSME traffic goes to the
 * Gas Proxy Function. Joins are accepted only from devices in the device log that prove their install code.
 */
export class CommsHub extends GbcsDevice {
  readonly kind = 'CHF';
  readonly deviceLog = new Map<Eui, DeviceLogEntry>();
  readonly incidents: RoutingIncident[] = [];
  panId: number;
  channel: number;
  firmwareVersion: number;
  gpf: GasProxy | undefined;
  private readonly headEnd: string;
  private tunnelSeq = 0;

  constructor(env: DeviceEnvironment, eui: Eui, options: CommsHubOptions) {
    super(env, eui, options);
    this.headEnd = options.headEnd;
    this.panId = options.panId ?? this.random.int(1, 0xfff0);
    this.channel = options.channel ?? this.random.pick([11, 15, 20, 25]);
    this.firmwareVersion = options.firmwareVersion ?? 0x00010000;
  }

  /** A hub in service is commissioned by being installed; its own use cases need no further step. */
  get commissioned(): boolean {
    return true;
  }

  addToDeviceLog(eui: Eui, deviceType: HanDeviceType, installCode: Uint8Array): void {
    const id = normaliseEui(eui);
    const existing = this.deviceLog.get(id);
    // GBCS CCS01: a device already in the log keeps its entry; the new install code is discarded.
    if (existing) return;
    this.deviceLog.set(id, { eui: id, deviceType, installCode: Uint8Array.from(installCode), joined: false });
  }

  removeFromDeviceLog(eui: Eui): boolean {
    return this.deviceLog.delete(normaliseEui(eui));
  }

  protected async handle(envelope: Envelope): Promise<void> {
    if (envelope.protocol === 'gbcs' && envelope.from === this.headEnd) return this.fromWan(envelope.payload);
    if (envelope.protocol === 'zcl') return this.fromHanTunnel(envelope);
    if (envelope.protocol === 'han') return this.fromHanNetwork(envelope);
  }

  private incident(i: Omit<RoutingIncident, 'at'>): void {
    this.incidents.push({ at: this.clock.now(), ...i });
  }

  /** Sends GBCS frames to the head-end; the GPF uses it for a sleepy GSME's late responses and for its own alerts. */
  async toWan(frames: Uint8Array[]): Promise<void> {
    for (const f of frames) await this.transmit(this.headEnd, 'gbcs', f);
  }

  private async fromWan(bytes: Uint8Array): Promise<void> {
    let recipient: Eui;
    try {
      recipient = decodeFrame(bytes).header.recipient;
    } catch (e) {
      if (!(e instanceof GbcsDecodeError)) throw e;
      this.incident({ what: 'malformed-wan-frame', detail: e.message });
      return;
    }
    if (recipient === this.eui) return this.toWan(await this.processCommand(bytes));
    if (this.gpf && (recipient === this.gpf.eui || recipient === this.gpf.gsmeEui)) return this.toWan(await this.gpf.fromWan(bytes, recipient));
    const entry = this.deviceLog.get(recipient);
    if (!entry) {
      this.incident({ what: 'unknown-recipient', detail: `${recipient} is not in the device log`, device: recipient });
      return;
    }
    if (!entry.joined) {
      this.incident({ what: 'not-joined', detail: `${recipient} has not joined the HAN`, device: recipient });
      return;
    }
    this.tunnelSeq = (this.tunnelSeq + 1) & 0xff;
    await this.transmit(recipient, 'zcl', wrapGbcsInTunnel(tunnelIdFor(recipient), this.tunnelSeq, bytes, 'serverToClient'));
  }

  private async fromHanTunnel(envelope: Envelope): Promise<void> {
    const entry = this.deviceLog.get(envelope.from);
    if (!entry?.joined) {
      this.incident({ what: 'not-joined', detail: `tunnel frame from ${envelope.from}, which has not joined`, device: envelope.from });
      return;
    }
    let data: Uint8Array;
    try {
      data = unwrapTunnel(envelope.payload).data;
    } catch (e) {
      if (!(e instanceof ZclDecodeError)) throw e;
      this.incident({ what: 'malformed-han-frame', detail: e.message, device: envelope.from });
      return;
    }
    await this.toWan([data]);
  }

  private async fromHanNetwork(envelope: Envelope): Promise<void> {
    let message: HanMessage;
    try {
      message = decodeHan(envelope.payload);
    } catch (e) {
      if (!(e instanceof HanMessageError)) throw e;
      this.incident({ what: 'malformed-han-frame', detail: e.message, device: envelope.from });
      return;
    }
    if (message.type === 'leave') {
      const entry = this.deviceLog.get(envelope.from);
      if (entry) entry.joined = false;
      return;
    }
    if (message.type !== 'join-request') return;
    const entry = this.deviceLog.get(envelope.from);
    const refuse = async (reason: string) => {
      this.incident({ what: 'join-refused', detail: reason, device: envelope.from });
      await this.transmit(envelope.from, 'han', encodeHan({ type: 'join-response', status: 'refused', reason }));
    };
    if (!entry) return refuse(`${envelope.from} is not in the device log`);
    const expected = joinProof(entry.installCode, envelope.from, this.eui, message.nonce);
    if (Buffer.compare(Buffer.from(expected), Buffer.from(message.proof)) !== 0) return refuse('install code proof does not match the device log');
    entry.joined = true;
    await this.transmit(envelope.from, 'han', encodeHan({ type: 'join-response', status: 'accepted', panId: this.panId, channel: this.channel }));
  }
}

/** Tunnel ids are per device; a stable small number keeps frames reproducible. */
function tunnelIdFor(eui: Eui): number {
  return Number.parseInt(eui.slice(-4), 16);
}
