import { equalBytes } from '../src/bytes.ts';
import { normaliseEui, type Eui } from '../src/crypto/eui.ts';
import { GbcsDecodeError } from '../src/gbcs/errors.ts';
import { decodeFrame, type DecodedFrame } from '../src/gbcs/frame.ts';
import type { Random } from '../src/time/random.ts';
import type { Envelope } from '../src/transport/envelope.ts';
import { NoRouteError } from '../src/transport/errors.ts';
import { ZclDecodeError } from '../src/zcl/errors.ts';
import { unwrapTunnel, wrapGbcsInTunnel } from '../src/zcl/tunnel.ts';
import { ChfDeviceLog, type DeviceLogEntry, type HanDeviceType } from './chf/device-log.ts';
import { CHF_MESSAGE_CODE, deviceLogChangedAlert, registerDeviceLogUseCases } from './chf/device-log-use-cases.ts';
import { CHF_FIRMWARE_MESSAGE_CODE, firmwareTransferAlert, readFirmwareVersionHandler, type FirmwareTransfer } from './chf/firmware.ts';
import { admitJoin, admitRejoin, linkQualityFor, type Admission } from './chf/han-admission.ts';
import type { DeviceEnvironment } from './core/device.ts';
import { GbcsDevice, type GbcsDeviceOptions } from './core/gbcs-device.ts';
import { decodeHan, encodeHan, hashTcLinkKey, HanMessageError, installCodeKey, type HanMessage } from './core/han.ts';
import { firmwareChannelOf, FIRMWARE_DELIVERY_PROTOCOL } from '../src/ota/delivery.ts';
import type { FirmwareCatalogue } from '../src/ota/policy/catalogue.ts';
import type { DeviceFirmware } from './firmware/device-firmware.ts';
import type { DistributionSettings, FirmwareDistributor } from './firmware/distributor.ts';
import { FIRMWARE_MESSAGE_CODE, hubFirmware } from './firmware/wiring.ts';

export type { DeviceLogEntry, HanDeviceType } from './chf/device-log.ts';

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
  /** The extended PAN id of the network it forms: its own EUI unless given; CCS03 sets the restored one. */
  extendedPanId?: Eui;
  firmwareVersion?: number;
  deviceLogCapacity?: number;
  /** What the hub checks firmware images against (the simulator's default catalogue unless given). */
  firmwareCatalogue?: FirmwareCatalogue;
  firmwareDistribution?: Partial<DistributionSettings>;
}

export const DEFAULT_DEVICE_LOG_CAPACITY = 16;
const HAN_DEVICE_TYPES = new Set<string>(['ESME', 'GSME', 'PPMID', 'IHD', 'HCALCS', 'GPF']);

/**
 * The Comms Hub Function: on the WAN side it takes GBCS from the head-end; commands for itself it answers,
 * commands for HAN devices it forwards inside ZigBee Smart Energy Tunneling frames (cluster 0x0704) to devices
 * that are in its device log and joined, and what they answer it passes back. GPF and GSME traffic goes to the
 * Gas Proxy Function. Joins are accepted only from devices in the device log that prove their install code
 * (or, after a restore, the TC link key whose hash the log holds); every change of the log is backed up to the
 * DCC with a CS14 alert.
 */
export class CommsHub extends GbcsDevice {
  readonly kind = 'CHF';
  readonly deviceLog: ChfDeviceLog;
  readonly incidents: RoutingIncident[] = [];
  panId: number;
  channel: number;
  firmwareVersion: number;
  gpf: GasProxy | undefined;
  private fw: { own: DeviceFirmware; distributor: FirmwareDistributor } | undefined;
  private readonly firmwareOptions: Pick<CommsHubOptions, 'firmwareCatalogue' | 'firmwareDistribution'>;
  private readonly headEnd: string;
  private readonly linkRandom: Random;
  private tunnelSeq = 0;

  constructor(env: DeviceEnvironment, eui: Eui, options: CommsHubOptions) {
    super(env, eui, options);
    this.headEnd = options.headEnd;
    this.panId = options.panId ?? this.random.int(1, 0xfff0);
    this.channel = options.channel ?? this.random.pick([11, 15, 20, 25]);
    this.firmwareVersion = options.firmwareVersion ?? 0x00010000;
    this.linkRandom = this.random.fork('han-links');
    this.deviceLog = new ChfDeviceLog({ extendedPanId: options.extendedPanId ?? this.eui, capacity: options.deviceLogCapacity ?? DEFAULT_DEVICE_LOG_CAPACITY });
    this.firmwareOptions = { firmwareCatalogue: options.firmwareCatalogue, firmwareDistribution: options.firmwareDistribution };
  }

  /** The hub's firmware, made when first needed: its own (CS05a images, CS06) and the distributor (11.1). */
  private hubFirmwareParts(): { own: DeviceFirmware; distributor: FirmwareDistributor } {
    return (this.fw ??= hubFirmware({
      clock: this.clock,
      random: this.random,
      eui: this.eui,
      guard: this.guard,
      running: { get: () => this.firmwareVersion, set: (v) => (this.firmwareVersion = v) },
      now: () => this.deviceTime(),
      report: (e) => this.onHandlerError(e),
      catalogue: this.firmwareOptions.firmwareCatalogue,
      transmit: (to, frame, meta) => this.transmit(to, 'zcl', frame, meta),
      toWan: (frame) => this.toWan([frame]),
      reachable: (eui) => this.deviceLog.get(eui)?.joined === true,
      reportTransfer: (t) => this.raiseFirmwareTransferAlert(t),
      settings: this.firmwareOptions.firmwareDistribution,
    }));
  }

  /** 11.1 on the hub's side: CS05 images checked and distributed on the HAN (sim/firmware/distributor.ts). */
  get firmware(): FirmwareDistributor {
    return this.hubFirmwareParts().distributor;
  }

  /** The hub's own firmware: CS05a images it holds, CS06 activation. */
  get ownFirmware(): DeviceFirmware {
    return this.hubFirmwareParts().own;
  }

  protected override defineUseCases(): void {
    registerDeviceLogUseCases((codes, handler) => this.useCase(codes, handler), {
      deviceLog: this.deviceLog,
      now: () => this.deviceTime(),
      nextAlertCounter: () => this.guard.nextAlertCounter,
      discard: (frame, detail) => this.discard(frame, detail),
      dropFromHan: (entry) => this.dropFromHan(entry),
      formNetwork: () => {
        this.clock.setTimer(0, () => void this.formNetwork().catch((e: unknown) => this.onHandlerError(e)));
      },
    });
    this.useCase(
      CHF_FIRMWARE_MESSAGE_CODE.ECS52,
      readFirmwareVersionHandler(() => this.firmwareVersion, (frame, detail) => this.discard(frame, detail)),
    );
    this.useCase(FIRMWARE_MESSAGE_CODE.CS06, (ctx) => this.ownFirmware.activate(ctx));
  }

  /** A hub in service is commissioned by being installed; its own use cases need no further step. */
  get commissioned(): boolean {
    return true;
  }

  get extendedPanId(): Eui {
    return this.deviceLog.extendedPanId;
  }

  /**
   * Rig set-up, outside GBCS: the device is in the log as a finished installation leaves it (its TC link key
   * already established, so its join changes nothing and raises no CS14). GBCS's own way in is CCS01 (8.11).
   */
  addToDeviceLog(eui: Eui, deviceType: HanDeviceType, installCode: Uint8Array): void {
    this.deviceLog.add(eui, installCode, { deviceType, hashedTcLinkKey: hashTcLinkKey(installCodeKey(installCode)) });
  }

  removeFromDeviceLog(eui: Eui): boolean {
    return this.deviceLog.remove(eui) !== undefined;
  }

  /** CCS08: reports to the DCC how the transfer of a firmware image to a HAN device ended (signed, as the RTDS). */
  async raiseFirmwareTransferAlert(t: Omit<FirmwareTransfer, 'at'>): Promise<void> {
    const payload = firmwareTransferAlert({ ...t, at: this.deviceTime() });
    await this.toWan([this.guard.alert(this.acb(), CHF_FIRMWARE_MESSAGE_CODE.CCS08, payload, { signed: true })]);
  }

  protected async handle(envelope: Envelope): Promise<void> {
    if (envelope.protocol === 'gbcs' && envelope.from === this.headEnd) return this.fromWan(envelope.payload);
    if (envelope.protocol === FIRMWARE_DELIVERY_PROTOCOL && envelope.from === firmwareChannelOf(this.headEnd)) return this.firmware.fromDcc(envelope.payload);
    // No transfer can be under way before the distributor exists.
    if (envelope.protocol === 'zcl' && this.fw?.distributor.fromHan(envelope, this.eui)) return;
    if (envelope.protocol === 'zcl') return this.fromHanTunnel(envelope);
    if (envelope.protocol === 'han') return this.fromHanNetwork(envelope);
  }

  private incident(i: Omit<RoutingIncident, 'at'>): void {
    this.incidents.push({ at: this.clock.now(), ...i });
  }

  private discard(frame: DecodedFrame, detail: string): void {
    this.refuse({ reason: 'malformed', detail, messageCode: frame.header.other.messageCode, originator: frame.header.originator });
  }

  private acb(): Eui {
    const acb = this.guard.trustAnchor('acb');
    if (!acb) throw new Error(`hub ${this.eui} trusts no Access Control Broker to send its alerts to`);
    return acb;
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
      entry.framesFailed++;
      this.incident({ what: 'not-joined', detail: `${recipient} has not joined the HAN`, device: recipient });
      return;
    }
    this.tunnelSeq = (this.tunnelSeq + 1) & 0xff;
    entry.framesDelivered++;
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
    entry.lastHeardAt = this.deviceTime();
    entry.framesDelivered++;
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
    const entry = this.deviceLog.get(envelope.from);
    if (message.type === 'leave') {
      if (entry) entry.joined = false;
      return;
    }
    let admission: Admission;
    if (message.type === 'join-request') admission = admitJoin(entry, { ...message, device: envelope.from }, this.eui, this.deviceTime());
    else if (message.type === 'rejoin-request') admission = admitRejoin(entry, { ...message, device: envelope.from }, this.eui);
    else return;
    if (!admission.ok || !entry) {
      const reason = admission.ok ? 'not in the device log' : admission.reason;
      this.incident({ what: 'join-refused', detail: reason, device: envelope.from });
      await this.transmit(envelope.from, 'han', encodeHan({ type: 'join-response', status: 'refused', reason }));
      return;
    }
    const keyChanged = !entry.hashedTcLinkKey || !equalBytes(entry.hashedTcLinkKey, admission.hashedTcLinkKey);
    entry.hashedTcLinkKey = admission.hashedTcLinkKey;
    entry.joined = true;
    entry.lastHeardAt = this.deviceTime();
    entry.link ??= linkQualityFor(this.linkRandom.fork(entry.eui));
    if (message.type === 'join-request' && HAN_DEVICE_TYPES.has(message.deviceType)) entry.deviceType = message.deviceType as HanDeviceType;
    await this.transmit(envelope.from, 'han', encodeHan({ type: 'join-response', status: 'accepted', panId: this.panId, channel: this.channel, extendedPanId: this.extendedPanId }));
    // GBCS CS14: a TC link key newly established changes the log's backup.
    if (keyChanged) await this.raiseDeviceLogChanged();
  }

  private async raiseDeviceLogChanged(): Promise<void> {
    const payload = deviceLogChangedAlert(this.guard.nextAlertCounter, this.deviceTime(), this.deviceLog.backup());
    await this.toWan([this.guard.alert(this.acb(), CHF_MESSAGE_CODE.CS14, payload)]);
  }

  /** CCS02: a device taken off the log is told to leave the HAN. */
  private async dropFromHan(entry: DeviceLogEntry): Promise<void> {
    if (!entry.joined) return;
    entry.joined = false;
    await this.sendOnHan(entry.eui, { type: 'leave', device: entry.eui });
  }

  /** After CCS03: the network comes up with the restored extended PAN id, and the devices of the log hear it. */
  private async formNetwork(): Promise<void> {
    for (const entry of this.deviceLog.entries) {
      if (entry.joined || !entry.hashedTcLinkKey) continue;
      await this.sendOnHan(entry.eui, { type: 'beacon', extendedPanId: this.extendedPanId, panId: this.panId, channel: this.channel });
    }
  }

  /** Radio: a device that is not there simply does not hear it. */
  private async sendOnHan(to: Eui, message: HanMessage): Promise<void> {
    try {
      await this.transmit(normaliseEui(to), 'han', encodeHan(message));
    } catch (e) {
      if (!(e instanceof NoRouteError)) throw e;
    }
  }
}

/** Tunnel ids are per device; a stable small number keeps frames reproducible. */
function tunnelIdFor(eui: Eui): number {
  return Number.parseInt(eui.slice(-4), 16);
}
