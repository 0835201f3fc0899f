/**
 * The Comms Hub's side of 11.1 Update Firmware. The head-end hands the hub an image and its targets (CS05a for
 * the hub itself, CS05b for HAN devices; the `firmware` envelope, see src/headend/requests/firmware.ts). For each
 * target the hub checks the image: GB signature with the supplier key it trusts, then the firmware catalogue's
 * rules (model identity, hardware range, N/N-1, single hop) via `admitImage`. A refused image goes no further: the
 * hub reports CCS08 (0x8F89) with the GBCS response code and keeps the reason (`refusals`).
 *
 * An admitted image for the hub itself is held by the hub at once. For a HAN device it is offered with an OTA
 * server — the hub's own for an ESME, the GPF's for a GSME — over a modelled radio link (han-link.ts). An
 * always-on device is sent Image Notify at once and again until it queries; a sleepy one when it is next heard
 * (the GPF tells the distributor whenever its GSME speaks). The device pulls the blocks, checks the image and ends
 * with Upgrade End Request: SUCCESS means it holds the image, and the hub reports CCS08 0x8F8A; INVALID_IMAGE means
 * it refused it (0x8F89 imageDiscarded); silence for `transferTimeoutMs` is a failed transfer (fileTransferFailure).
 * Devices wait for CS06 to run a held image: the server tells them to upgrade on command.
 */
import type { Eui } from '../../src/crypto/eui.ts';
import { decodeFirmwareDelivery, FirmwareDeliveryError } from '../../src/ota/delivery.ts';
import { parseGbImage, verifyGbImage } from '../../src/ota/gb-image.ts';
import { readOtaHeader } from '../../src/ota/header.ts';
import { OtaImageError } from '../../src/ota/errors.ts';
import { admitImage } from '../../src/ota/policy/admission.ts';
import type { FirmwareCatalogue } from '../../src/ota/policy/catalogue.ts';
import type { EstateDevice } from '../../src/ota/policy/estate.ts';
import type { LinkModel } from '../../src/ota/transfer/link.ts';
import { OtaServer, servedImageFromFile, type OtaServerEvent, type ServedImage } from '../../src/ota/transfer/server.ts';
import { sameImage } from '../../src/ota/transfer/types.ts';
import type { Clock, TimerHandle } from '../../src/time/clock.ts';
import type { Random } from '../../src/time/random.ts';
import type { Envelope, EnvelopeMeta } from '../../src/transport/envelope.ts';
import { OtaStatus } from '../../src/zcl/ota.ts';
import type { FirmwareTransfer, FirmwareTransferOutcome } from '../chf/firmware.ts';
import type { DeviceFirmware } from './device-firmware.ts';
import { HanOtaLink } from './han-link.ts';
import { isOtaEnvelope } from './ota-endpoint.ts';
import { versionOctets } from './payloads.ts';

export interface DistributionSettings {
  /** The radio model of every hub–device link; 'off' for instant, lossless delivery. */
  link: Partial<LinkModel> | 'off';
  /** Data bytes per Image Block Response (one radio frame holds 64 with the 17-byte overhead). */
  blockSize: number;
  /** The least time between two blocks to one device: the hub paces transfers with WAIT_FOR_DATA. */
  minimumBlockPeriodMs: number;
  /** How often an always-on device that has not queried yet is sent Image Notify again. */
  notifyRetryMs: number;
  /** Silence from a device, in the middle of a transfer or before it began, after which the transfer failed. */
  transferTimeoutMs: number;
}

export const DEFAULT_DISTRIBUTION: DistributionSettings = {
  link: {},
  blockSize: 64,
  minimumBlockPeriodMs: 250,
  notifyRetryMs: 60_000,
  transferTimeoutMs: 24 * 3_600_000,
};

type Send = (to: Eui, frame: Uint8Array, meta: EnvelopeMeta) => Promise<void>;

export interface FirmwareDistributorOptions {
  clock: Clock;
  random: Random;
  hub: Eui;
  catalogue: FirmwareCatalogue;
  /** The hub's own firmware: CS05a images end here. */
  own: DeviceFirmware;
  /** Sends from the hub's own address. */
  transmit: Send;
  /** Whether a HAN device is in the hub's device log and joined. */
  reachable(eui: Eui): boolean;
  /** CCS08 to the DCC. */
  reportTransfer(t: Omit<FirmwareTransfer, 'at'>): Promise<void>;
  report(error: unknown): void;
  settings?: Partial<DistributionSettings>;
}

/** A HAN device the hub may distribute to: how it describes itself to image admission, and whether it sleeps. */
export interface DistributionTarget {
  describe(): EstateDevice;
  sleepy: boolean;
}

export interface DistributionRefusal {
  at: number;
  target: Eui;
  /** A policy rule id, or what the hub's own checks found. */
  rule: string;
  message: string;
  outcome: FirmwareTransferOutcome;
}

/** An OTA server with the links to the devices it serves, at one address of the hub (its own, or the GPF's). */
interface ServingPoint {
  eui: Eui;
  server: OtaServer;
  transmit: Send;
  links: Map<Eui, HanOtaLink>;
}

interface Transfer {
  target: Eui;
  point: ServingPoint;
  image: ServedImage;
  sleepy: boolean;
  started: boolean;
  notifiedAt: number;
  notifyTimer?: TimerHandle;
  silenceTimer?: TimerHandle;
}

export class FirmwareDistributor {
  readonly refusals: DistributionRefusal[] = [];
  readonly settings: DistributionSettings;
  private readonly targets = new Map<Eui, DistributionTarget>();
  private readonly transfers = new Map<Eui, Transfer>();
  private readonly hubPoint: ServingPoint;
  private gpfPoint: ServingPoint | undefined;
  private readonly linkRandom: Random;

  constructor(private readonly o: FirmwareDistributorOptions) {
    this.settings = { ...DEFAULT_DISTRIBUTION, ...o.settings };
    this.linkRandom = o.random.fork('ota-links');
    this.hubPoint = this.servingPoint(o.hub, o.transmit);
  }

  /** Makes a HAN device a possible target (the premises' inventory does it for the devices it installs). */
  registerTarget(eui: Eui, target: DistributionTarget): void {
    this.targets.set(eui, target);
  }

  /** The GPF serves the sleepy devices' transfers from its own address. */
  serveVia(gpf: Eui, transmit: Send): void {
    this.gpfPoint = this.servingPoint(gpf, transmit);
  }

  /** Transfers under way, by target. */
  get inProgress(): readonly Eui[] {
    return [...this.transfers.keys()];
  }

  get lastRefusal(): DistributionRefusal | undefined {
    return this.refusals.at(-1);
  }

  /** A CS05 delivery from the head-end. */
  async fromDcc(payload: Uint8Array): Promise<void> {
    let delivery;
    try {
      delivery = decodeFirmwareDelivery(payload);
    } catch (e) {
      if (!(e instanceof FirmwareDeliveryError)) throw e;
      this.refusals.push({ at: this.o.clock.now(), target: this.o.hub, rule: 'malformed-delivery', message: e.message, outcome: 'fileTransferFailure' });
      return;
    }
    for (const target of delivery.targets) await this.admit(target, delivery.image);
  }

  /**
   * ZCL from a HAN device to `via` (the hub or the GPF). Any frame says a sleepy device is awake: it is told of an
   * image waiting for it. OTA frames are the distributor's: true when taken.
   */
  fromHan(envelope: Envelope, via: Eui): boolean {
    const transfer = this.transfers.get(envelope.from);
    if (transfer?.sleepy && !transfer.started && this.o.clock.now() - transfer.notifiedAt >= this.settings.notifyRetryMs) this.notify(transfer);
    if (!isOtaEnvelope(envelope)) return false;
    const point = via === this.hubPoint.eui ? this.hubPoint : via === this.gpfPoint?.eui ? this.gpfPoint : undefined;
    point?.links.get(envelope.from)?.fromPeer(envelope.payload);
    return true;
  }

  private servingPoint(eui: Eui, transmit: Send): ServingPoint {
    const server = new OtaServer({
      clock: this.o.clock,
      blockSize: this.settings.blockSize,
      upgradeTiming: 'on-command',
      // Each device is offered the image meant for it, and nothing else.
      policy: (query, candidate) => {
        const t = this.transfers.get(query.peer);
        return t !== undefined && sameImage(t.image, candidate);
      },
    });
    if (this.settings.minimumBlockPeriodMs > 0) server.throttle({ minimumBlockPeriodMs: this.settings.minimumBlockPeriodMs });
    server.onEvent((event) => this.onServerEvent(event));
    return { eui, server, transmit, links: new Map() };
  }

  private async admit(target: Eui, image: Uint8Array): Promise<void> {
    const fileVersion = versionOf(image);
    const refuse = (rule: string, message: string, outcome: FirmwareTransferOutcome = 'imageDiscarded'): Promise<void> => {
      this.refusals.push({ at: this.o.clock.now(), target, rule, message, outcome });
      return this.o.reportTransfer({ target, firmwareVersion: versionOctets(fileVersion), outcome });
    };
    const own = target === this.o.hub;
    const known = own ? undefined : this.targets.get(target);
    if (!own && !known) return refuse('not-in-device-log', `${target} is not a device this hub distributes to`, 'fileTransferFailure');
    const key = this.o.own.trustedKey();
    if (!key) return refuse('no-trusted-key', 'the hub holds no supplier key to verify the image with');
    const verdict = verifyGbImage(image, key);
    if (!verdict.ok) return refuse(verdict.reason === 'bad-signature' ? 'bad-signature' : 'malformed', verdict.message);
    const { header } = parseGbImage(image).image;
    const device = own ? this.o.own.estate() : known!.describe();
    const admission = admitImage(this.o.catalogue, device, header, { manufacturerImageHash: verdict.manufacturerImageHash });
    if (!admission.ok) {
      const v = admission.violation;
      return refuse(v.rule, v.message, v.rule === 'hardware-out-of-range' ? 'hardwareVersionMismatch' : 'imageDiscarded');
    }
    if (own) {
      const held = await this.o.own.receive(image);
      if (!held.ok) return refuse(held.refusal, held.message);
      return this.o.reportTransfer({ target, firmwareVersion: versionOctets(fileVersion), outcome: 'success' });
    }
    if (!this.o.reachable(target)) return refuse('not-joined', `${target} has not joined the HAN`, 'fileTransferFailure');
    this.start(target, known!, servedImageFromFile(image));
  }

  private start(target: Eui, known: DistributionTarget, image: ServedImage): void {
    const previous = this.transfers.get(target);
    // A new image for a device replaces the one on its way there, without a report for the one dropped.
    if (previous) this.end(previous);
    const point = known.sleepy && this.gpfPoint ? this.gpfPoint : this.hubPoint;
    if (!point.links.has(target)) {
      const link = new HanOtaLink({
        clock: this.o.clock,
        random: this.linkRandom.fork(target),
        model: this.settings.link,
        server: point.server,
        peer: target,
        transmit: point.transmit,
        report: this.o.report,
      });
      point.links.set(target, link);
    }
    point.server.addImage(image);
    const transfer: Transfer = { target, point, image, sleepy: known.sleepy, started: false, notifiedAt: -Infinity };
    this.transfers.set(target, transfer);
    this.touch(transfer);
    if (!known.sleepy) this.notify(transfer);
  }

  private notify(t: Transfer): void {
    t.notifiedAt = this.o.clock.now();
    t.point.server.notify(t.target, { image: t.image });
    if (t.sleepy) return;
    if (t.notifyTimer) this.o.clock.clearTimer(t.notifyTimer);
    t.notifyTimer = this.o.clock.setTimer(this.settings.notifyRetryMs, () => {
      t.notifyTimer = undefined;
      if (!t.started && this.transfers.get(t.target) === t) this.notify(t);
    });
  }

  /** The device did something: the silence that fails a transfer counts from now. */
  private touch(t: Transfer): void {
    if (t.silenceTimer) this.o.clock.clearTimer(t.silenceTimer);
    t.silenceTimer = this.o.clock.setTimer(this.settings.transferTimeoutMs, () => {
      t.silenceTimer = undefined;
      this.conclude(t, 'fileTransferFailure');
    });
  }

  private onServerEvent(event: OtaServerEvent): void {
    const t = this.transfers.get(event.peer);
    if (!t) return;
    if (event.kind === 'query' && event.offered) {
      t.started = true;
      this.touch(t);
    } else if (event.kind === 'block') {
      this.touch(t);
    } else if (event.kind === 'upgrade-end' && sameImage(event.image, t.image)) {
      this.conclude(t, event.status === OtaStatus.SUCCESS ? 'success' : 'imageDiscarded');
    }
  }

  private conclude(t: Transfer, outcome: FirmwareTransferOutcome): void {
    if (this.transfers.get(t.target) !== t) return;
    this.end(t);
    if (outcome !== 'success') this.refusals.push({ at: this.o.clock.now(), target: t.target, rule: outcome === 'imageDiscarded' ? 'refused-by-device' : 'transfer-timeout', message: `the transfer to ${t.target} ended: ${outcome}`, outcome });
    void this.o.reportTransfer({ target: t.target, firmwareVersion: versionOctets(t.image.fileVersion), outcome }).catch((e: unknown) => this.o.report(e));
  }

  private end(t: Transfer): void {
    for (const timer of [t.notifyTimer, t.silenceTimer]) if (timer) this.o.clock.clearTimer(timer);
    this.transfers.delete(t.target);
    const stillUsed = [...this.transfers.values()].some((other) => other.point === t.point && sameImage(other.image, t.image));
    if (!stillUsed) t.point.server.withdrawImage(t.image);
  }
}

/** The file version an image declares, or 0 for a file with no readable OTA header. */
function versionOf(image: Uint8Array): number {
  try {
    return readOtaHeader(image).header.fileVersion;
  } catch (e) {
    if (e instanceof OtaImageError) return 0;
    throw e;
  }
}
