/**
 * How a simulated device takes part in firmware: one call in its constructor. A hub gets its own firmware (CS06,
 * ECS52's version, CS05a images) and the distributor for its HAN; a meter gets its firmware and an OTA endpoint.
 * Everything device-specific comes in as closures, so the device classes keep their members to themselves.
 */
import { cosemDateTime } from '../../src/gbcs/payload/dlms/cosem-time.ts';
import type { Eui } from '../../src/crypto/eui.ts';
import type { FirmwareCatalogue } from '../../src/ota/policy/catalogue.ts';
import type { Clock } from '../../src/time/clock.ts';
import type { Random } from '../../src/time/random.ts';
import type { Envelope, EnvelopeMeta } from '../../src/transport/envelope.ts';
import type { FirmwareTransfer } from '../chf/firmware.ts';
import type { GbcsGuard } from '../core/gbcs-guard.ts';
import { DeviceFirmware } from './device-firmware.ts';
import { FirmwareDistributor, type DistributionSettings } from './distributor.ts';
import { DEFAULT_FIRMWARE_CATALOGUE, SIM_HUB_MODEL } from './models.ts';
import { isOtaEnvelope, OtaEndpoint } from './ota-endpoint.ts';
import type { ReceiptEncoding } from './payloads.ts';

export { FIRMWARE_MESSAGE_CODE, versionFromOctets, versionOctets } from './payloads.ts';

interface Common {
  clock: Clock;
  eui: Eui;
  guard: GbcsGuard;
  running: { get(): number; set(version: number): void };
  /** The device's own clock. */
  now(): number;
  report(error: unknown): void;
  catalogue?: FirmwareCatalogue | undefined;
}

const wholeSecond = (ms: number) => new Date(Math.floor(ms / 1000) * 1000);

export interface HubFirmwareOptions extends Common {
  random: Random;
  transmit(to: Eui, frame: Uint8Array, meta: EnvelopeMeta): Promise<void>;
  toWan(frame: Uint8Array): Promise<void>;
  reachable(eui: Eui): boolean;
  reportTransfer(t: Omit<FirmwareTransfer, 'at'>): Promise<void>;
  settings?: Partial<DistributionSettings> | undefined;
}

export function hubFirmware(o: HubFirmwareOptions): { own: DeviceFirmware; distributor: FirmwareDistributor } {
  const catalogue = o.catalogue ?? DEFAULT_FIRMWARE_CATALOGUE;
  const own = new DeviceFirmware({
    clock: o.clock,
    eui: o.eui,
    model: SIM_HUB_MODEL,
    receipt: 'dlms',
    running: o.running,
    now: o.now,
    guard: o.guard,
    send: o.toWan,
    report: o.report,
    responseDateTime: () => cosemDateTime(wholeSecond(o.now())),
    catalogue,
  });
  const distributor = new FirmwareDistributor({
    clock: o.clock,
    random: o.random,
    hub: o.eui,
    catalogue,
    own,
    transmit: o.transmit,
    reachable: o.reachable,
    reportTransfer: o.reportTransfer,
    report: o.report,
    ...(o.settings ? { settings: o.settings } : {}),
  });
  return { own, distributor };
}

export interface MeterFirmwareOptions extends Common {
  model: string;
  receipt: ReceiptEncoding;
  send(frame: Uint8Array): Promise<void>;
  server(): Eui | undefined;
  online(): boolean;
  transmit(to: Eui, frame: Uint8Array, meta: EnvelopeMeta): Promise<void>;
  /** A sleepy meter: how long its OTA client may keep the radio on at each wake once a download has begun. */
  sleepy?: { windowMs: number };
}

/** A sleepy meter's OTA radio time per wake while a download is under way. */
export const DEFAULT_OTA_WINDOW_MS = 60_000;

/**
 * A meter's firmware: what it runs, holds and activates (`device`), and its end of transfers (`ota`). Both are
 * made when first needed (an OTA frame, a CS06, a look at the held image): ten thousand idle meters carry none.
 */
export interface MeterFirmware {
  readonly device: DeviceFirmware;
  readonly ota: OtaEndpoint;
  /** An OTA frame from the HAN: taken (true) or not one (false). */
  fromHan(envelope: Envelope): boolean;
  /** The sleepy meter woke. */
  onWake(listenMs: number): void;
  /** Power lost: the pending activation's timer and the OTA client go; held image and flash stay. */
  powerOff(): void;
  powerOn(): void;
}

export function meterFirmware(o: MeterFirmwareOptions): MeterFirmware {
  let firmware: DeviceFirmware | undefined;
  let ota: OtaEndpoint | undefined;
  const device = (): DeviceFirmware =>
    (firmware ??= new DeviceFirmware({
      clock: o.clock,
      eui: o.eui,
      model: o.model,
      receipt: o.receipt,
      running: o.running,
      now: o.now,
      guard: o.guard,
      send: o.send,
      report: o.report,
      responseDateTime: () => cosemDateTime(wholeSecond(o.now())),
      ...(o.catalogue ? { catalogue: o.catalogue } : {}),
    }));
  const endpoint = (): OtaEndpoint =>
    (ota ??= new OtaEndpoint({
      clock: o.clock,
      firmware: device(),
      model: o.model,
      server: o.server,
      online: o.online,
      transmit: o.transmit,
      report: o.report,
      ...(o.sleepy ? { sleepy: o.sleepy } : {}),
    }));
  return {
    get device() {
      return device();
    },
    get ota() {
      return endpoint();
    },
    fromHan: (envelope) => isOtaEnvelope(envelope) && endpoint().fromHan(envelope),
    onWake: (listenMs) => ota?.onWake(listenMs),
    powerOff: () => {
      firmware?.powerOff();
      ota?.powerOff();
    },
    powerOn: () => {
      firmware?.powerOn();
      ota?.powerOn();
    },
  };
}
