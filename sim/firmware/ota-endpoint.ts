/**
 * A HAN device's end of a firmware transfer: an OtaClient (src/ota/transfer) whose frames travel as `zcl`
 * envelopes on the bus, marked with cluster 0x0019, to and from the OTA server that serves the device (the hub
 * for an ESME, the GPF for a GSME). The bus is the device's radio: its fault switches (drop, corrupt, delay) act on
 * these frames as on any other, which is how scenarios lose blocks.
 *
 * The client's store is the device's flash: the bytes received so far survive a power cut (`powerOff` keeps the
 * client's snapshot, `powerOn` builds a new client from it, which resumes from the last offset).
 *
 * A sleepy device (GSME) has its radio on only at wakes: it listens for the server's Image Notify for its listen
 * window after each wake, and once a download has begun it keeps the OTA client awake for `windowMs` at every
 * wake, so a long image arrives over several wakes. An always-on device (ESME) answers Image Notify at once.
 */
import type { Eui } from '../../src/crypto/eui.ts';
import { OtaClient } from '../../src/ota/transfer/client.ts';
import type { OtaClientStore } from '../../src/ota/transfer/download.ts';
import { describeImage, type FramePort, type ImageId } from '../../src/ota/transfer/types.ts';
import type { Clock } from '../../src/time/clock.ts';
import type { Envelope, EnvelopeMeta } from '../../src/transport/envelope.ts';
import { OTA_CLUSTER_ID } from '../../src/zcl/ota.ts';
import { ZCL_CLUSTER_META } from '../core/metering-server.ts';
import type { DeviceFirmware } from './device-firmware.ts';
import { simFirmwareModel } from './models.ts';

export const OTA_META: EnvelopeMeta = { [ZCL_CLUSTER_META]: OTA_CLUSTER_ID };

/** An envelope carrying a ZCL OTA cluster frame. */
export function isOtaEnvelope(envelope: Envelope): boolean {
  return envelope.protocol === 'zcl' && envelope.meta?.[ZCL_CLUSTER_META] === OTA_CLUSTER_ID;
}

export interface OtaEndpointOptions {
  clock: Clock;
  firmware: DeviceFirmware;
  model: string;
  /** The address of the OTA server that serves this device. */
  server(): Eui | undefined;
  /** Whether the device is on the HAN (joined): frames are neither sent nor heard otherwise. */
  online(): boolean;
  transmit(to: Eui, frame: Uint8Array, meta: EnvelopeMeta): Promise<void>;
  report(error: unknown): void;
  /** A sleepy device: the OTA client's radio time at each wake once a download has begun. */
  sleepy?: { windowMs: number };
}

/** What the endpoint saw of its downloads: for scenarios and tests (volatile, the record of this run). */
export interface OtaEndpointStats {
  /** Block requests for an offset of the same image already asked for (retries, waits, re-fetches after a cut). */
  repeatedRequests: number;
  /** Offsets a download resumed from after a power cut. */
  resumedFrom: number[];
  /** Blocks asked for again after a power cut that had been asked for before it (the last resume's count). */
  refetchedAfterResume: number;
}

export class OtaEndpoint {
  readonly stats: OtaEndpointStats = { repeatedRequests: 0, resumedFrom: [], refetchedAfterResume: 0 };
  private client: OtaClient | undefined;
  private store: OtaClientStore;
  private listeningUntil = -Infinity;
  private readonly receivers = new Set<(frame: Uint8Array) => void>();
  private readonly requested = new Set<string>();
  /** The image being downloaded, as request keys name it. */
  private downloading = '';
  /** Requests made before the last power cut, and those of them asked for again since. */
  private beforeCut = new Set<string>();
  private refetched = new Set<string>();
  private readonly port: FramePort;

  constructor(private readonly o: OtaEndpointOptions) {
    this.port = {
      send: (frame) => {
        const to = o.server();
        if (to === undefined || !o.online()) return;
        void o.transmit(to, frame, OTA_META).catch((e: unknown) => o.report(e));
      },
      onReceive: (handler) => {
        this.receivers.add(handler);
        return () => this.receivers.delete(handler);
      },
    };
    this.store = { installed: this.installed() };
    o.firmware.onChange((event) => {
      // The client queries as the version it runs from now on.
      if (event === 'activated') this.restart({ installed: this.installed() });
    });
    this.powerOn();
  }

  /** The download in progress: bytes received and the image's size. */
  get download(): { bytes: number; total: number; image: ImageId } | undefined {
    const d = (this.client?.snapshot() ?? this.store).download;
    return d && { bytes: d.bytes.length, total: d.image.imageSize, image: d.image };
  }

  /** Takes an OTA frame from the device's server; false for any other envelope. */
  fromHan(envelope: Envelope): boolean {
    if (!isOtaEnvelope(envelope) || envelope.from !== this.o.server()) return false;
    if (!this.o.online()) return true;
    const client = this.client;
    // A sleepy device that hears its server while it listens after a wake takes part in the transfer.
    if (client && this.o.sleepy && !client.isAwake && this.o.clock.now() <= this.listeningUntil) client.wake(this.o.sleepy.windowMs);
    for (const r of [...this.receivers]) r(envelope.payload);
    return true;
  }

  /** The sleepy device woke: carry on a download, or listen for a notify for `listenMs`. */
  onWake(listenMs: number): void {
    const client = this.client;
    if (!client || !this.o.sleepy) return;
    if (client.snapshot().download !== undefined) client.wake(this.o.sleepy.windowMs);
    else this.listeningUntil = this.o.clock.now() + listenMs;
  }

  powerOff(): void {
    if (!this.client) return;
    this.store = this.client.snapshot();
    this.client.powerOff();
    this.client = undefined;
  }

  powerOn(): void {
    if (this.client) return;
    if (this.store.download) {
      this.stats.resumedFrom.push(this.store.download.bytes.length);
      this.beforeCut = new Set(this.requested);
      this.refetched = new Set();
      this.stats.refetchedAfterResume = 0;
    }
    this.client = this.build(this.store);
    this.client.powerOn();
  }

  private installed(): ImageId {
    const m = simFirmwareModel(this.o.model);
    return { manufacturerCode: m?.manufacturerCode ?? 0, imageType: m?.imageType ?? 0, fileVersion: this.o.firmware.running };
  }

  /** Starts a new client from `store`; while powered off, the next power-on does. */
  private restart(store: OtaClientStore): void {
    this.store = store;
    if (!this.client) return;
    this.client.powerOff();
    this.client = this.build(store);
    this.client.powerOn();
  }

  private build(store: OtaClientStore): OtaClient {
    const { firmware } = this.o;
    const hardwareVersion = simFirmwareModel(this.o.model)?.hardwareVersion;
    const client = new OtaClient({
      clock: this.o.clock,
      port: this.port,
      store,
      ...(hardwareVersion === undefined ? {} : { hardwareVersion }),
      sleepy: this.o.sleepy !== undefined,
      verify: (bytes) => {
        const verdict = firmware.check(bytes);
        if (verdict.ok) return { ok: true };
        firmware.refuse(verdict.refusal, verdict.message);
        return { ok: false, message: `${verdict.refusal}: ${verdict.message}` };
      },
    });
    if (store.download) this.downloading = describeImage(store.download.image);
    client.onEvent((event) => {
      if (event.kind === 'offered') this.downloading = describeImage(event.image);
      else if (event.kind === 'request' && event.request === 'block' && event.offset !== undefined) this.noteRequest(event.offset);
      else if (event.kind === 'downloaded') this.hold(client);
      // The image is held for activation by CS06 (the server said to wait for a command): this transfer is over.
      else if (event.kind === 'awaiting-upgrade' || event.kind === 'upgraded') this.o.clock.setTimer(0, () => this.restart({ installed: this.installed() }));
    });
    return client;
  }

  private noteRequest(offset: number): void {
    const key = `${this.downloading}@${offset}`;
    if (this.requested.has(key)) this.stats.repeatedRequests++;
    else this.requested.add(key);
    if (this.beforeCut.has(key) && !this.refetched.has(key)) {
      this.refetched.add(key);
      this.stats.refetchedAfterResume = this.refetched.size;
    }
  }

  /** The image is complete and verified: the device holds it (and says so with the receipt alert). */
  private hold(client: OtaClient): void {
    const download = client.snapshot().download;
    if (!download) return;
    void this.o.firmware.receive(download.bytes).catch((e: unknown) => this.o.report(e));
  }
}
