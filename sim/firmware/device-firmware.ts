/**
 * A device's firmware as GBCS sees it: the version it runs, the verified image it holds (the only image that
 * can ever be activated), and a future-dated activation waiting for its time. Images come in complete (from the
 * OTA client, or to the hub for itself from the WAN); each is checked (see image-check.ts) and either refused or
 * held, and a held one is reported with the distribution receipt alert. CS06 activates the held image.
 *
 * Held image and pending activation are non-volatile: they survive power cuts (the pending timer is re-armed on
 * power-on, firing at once if its time has passed meanwhile).
 */
import type { Eui } from '../../src/crypto/eui.ts';
import type { PublicKey } from '../../src/crypto/keys.ts';
import type { FirmwareCatalogue } from '../../src/ota/policy/catalogue.ts';
import type { EstateDevice } from '../../src/ota/policy/estate.ts';
import type { Clock, TimerHandle } from '../../src/time/clock.ts';
import type { CommandContext, UseCaseHandler, UseCaseReply } from '../core/gbcs-device.ts';
import type { GbcsGuard } from '../core/gbcs-guard.ts';
import { activationVerdict, readActivateCommand, type PendingActivation } from './activation.ts';
import { checkImage, type HeldImage, type ImageCheck, type ImageIdentity, type ImageRefusal } from './image-check.ts';
import { estateDeviceOf, simFirmwareModel } from './models.ts';
import { activationAlert, activationResponse, FIRMWARE_MESSAGE_CODE, receiptAlert, type ActivationResponseCode, type ReceiptEncoding } from './payloads.ts';

export interface DeviceFirmwareOptions {
  clock: Clock;
  eui: Eui;
  model: string;
  /** The encoding of the device's receipt alert: DLMS (ESME, hub) or GBZ (GSME). */
  receipt: ReceiptEncoding;
  /** The running version, 32 bits, as the device's Read Firmware Version reports it. */
  running: { get(): number; set(version: number): void };
  /** The device's own clock (what it schedules future-dated activations on and stamps alerts with). */
  now(): number;
  guard: GbcsGuard;
  /** Sends a frame (an alert) towards the head-end the way the device does. */
  send(frame: Uint8Array): Promise<void>;
  /** Reports an error raised outside a handler's call (a timer). */
  report(error: unknown): void;
  /** The response header's date-time for CS06, when the device dates its responses (the RTDS does). */
  responseDateTime?: () => Uint8Array;
  catalogue?: FirmwareCatalogue;
}

export interface FirmwareRefusalRecord {
  at: number;
  refusal: ImageRefusal | ActivationResponseCode;
  detail: string;
}

export class DeviceFirmware {
  readonly identity: ImageIdentity;
  readonly refusals: FirmwareRefusalRecord[] = [];
  private heldImage: HeldImage | undefined;
  private pendingActivation: PendingActivation | undefined;
  private timer: TimerHandle | undefined;
  private powered = true;
  private readonly listeners = new Set<(event: 'held' | 'activated') => void>();

  constructor(private readonly o: DeviceFirmwareOptions) {
    const m = simFirmwareModel(o.model);
    // A model outside the simulator's table takes no image at all (nothing can match manufacturer 0).
    this.identity = m ? { manufacturerCode: m.manufacturerCode, imageType: m.imageType, hardwareVersion: m.hardwareVersion } : { manufacturerCode: 0, imageType: 0, hardwareVersion: 0 };
  }

  get running(): number {
    return this.o.running.get();
  }

  get held(): Readonly<HeldImage> | undefined {
    return this.heldImage;
  }

  get pending(): Readonly<PendingActivation> | undefined {
    return this.pendingActivation;
  }

  /** The device as the estate sees it. */
  estate(): EstateDevice {
    return estateDeviceOf(this.o.eui, this.o.model, this.running);
  }

  /** 'held' when an image is kept, 'activated' when a new version runs. */
  onChange(listener: (event: 'held' | 'activated') => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The firmware signing key the device trusts: its supplier's DS key. */
  trustedKey(): PublicKey | undefined {
    const supplier = this.o.guard.trustAnchor('supplier');
    return supplier === undefined ? undefined : this.o.guard.security.keys.publicKey(supplier, 'ds');
  }

  check(bytes: Uint8Array): ImageCheck {
    return checkImage(bytes, this.trustedKey(), this.identity);
  }

  /** Records a refusal made on the device's behalf (its OTA client's check of an image). */
  refuse(refusal: ImageRefusal, detail: string): void {
    this.refusals.push({ at: this.o.clock.now(), refusal, detail });
  }

  /** Takes a complete image: refused (recorded, nothing else changes) or held, then the receipt alert. */
  async receive(bytes: Uint8Array): Promise<ImageCheck> {
    const verdict = this.check(bytes);
    if (!verdict.ok) {
      this.refuse(verdict.refusal, verdict.message);
      return verdict;
    }
    this.heldImage = verdict.image;
    this.emit('held');
    const supplier = this.o.guard.trustAnchor('supplier');
    if (supplier !== undefined) {
      const alert = receiptAlert(this.o.receipt, { at: this.o.now(), alertCounter: this.o.guard.nextAlertCounter, hash: verdict.image.hash });
      await this.o.send(this.o.guard.alert(supplier, alert.messageCode, alert.payload, { signed: true }));
    }
    return verdict;
  }

  /** The CS06 use case handler. */
  readonly activate: UseCaseHandler = (ctx) => this.onActivate(ctx);

  powerOff(): void {
    this.powered = false;
    this.disarm();
  }

  powerOn(): void {
    this.powered = true;
    this.arm();
  }

  private onActivate({ frame }: CommandContext): UseCaseReply | undefined {
    const command = readActivateCommand(frame);
    if (typeof command === 'string') {
      // Discarded unanswered, as a device does with a payload it cannot read.
      this.refuse('malformed', command);
      return undefined;
    }
    const dated = this.o.responseDateTime ? { responseDateTime: this.o.responseDateTime() } : {};
    if (command.at === 'cancel') {
      this.pendingActivation = undefined;
      this.disarm();
      return { payload: activationResponse('accepted'), ...dated };
    }
    if (command.at !== undefined && command.at > this.o.now()) {
      this.pendingActivation = { at: command.at, hash: command.hash, originatorCounter: command.originatorCounter, originator: frame.header.originator };
      this.arm();
      return { payload: activationResponse('accepted'), ...dated };
    }
    const responseCode = this.carryOut(command.hash);
    return { payload: activationResponse({ responseCode, running: this.running }), ...dated };
  }

  /** Activates the held image if the hash and the policy allow; the response code either way. */
  private carryOut(hash: string): ActivationResponseCode {
    const verdict = activationVerdict(hash, { held: this.heldImage, device: this.estate(), catalogue: this.o.catalogue });
    if (!verdict.ok) {
      this.refusals.push({ at: this.o.clock.now(), refusal: verdict.responseCode, detail: verdict.detail });
      return verdict.responseCode;
    }
    this.o.running.set(verdict.image.fileVersion);
    this.heldImage = undefined;
    this.emit('activated');
    return 'success';
  }

  private arm(): void {
    this.disarm();
    const p = this.pendingActivation;
    if (!p || !this.powered) return;
    this.timer = this.o.clock.setTimer(p.at - this.o.now(), () => {
      this.timer = undefined;
      void this.executePending().catch((e: unknown) => this.o.report(e));
    });
  }

  private disarm(): void {
    if (this.timer) this.o.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  /** The future-dated activation's time has come: carry it out and say how it went (0x00CA, signed). */
  private async executePending(): Promise<void> {
    const p = this.pendingActivation;
    if (!p) return;
    this.pendingActivation = undefined;
    const responseCode = this.carryOut(p.hash);
    const payload = activationAlert({ at: this.o.now(), originatorCounter: p.originatorCounter, responseCode, running: this.running });
    await this.o.send(this.o.guard.alert(p.originator, FIRMWARE_MESSAGE_CODE.CS06_ALERT, payload, { signed: true }));
  }

  private emit(event: 'held' | 'activated'): void {
    for (const l of this.listeners) l(event);
  }
}
