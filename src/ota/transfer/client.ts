/**
 * The OTA client (ZCL cluster 0x0019) as an ESME, a GSME or the Comms Hub itself runs it. The client drives the
 * transfer: it asks for each offset in turn, so it owns retries, pacing and resume. What it must not lose in a
 * power cut (installed version, the bytes received so far) lives in an OtaClientStore, updated with every block.
 *
 * A sleepy client (a GSME) has its radio off except inside `wake()` windows: it hears no Image Notify while
 * asleep, so it queries on each wake, and a download moves on only while it is awake.
 *
 * A pure core: frames in and out through a FramePort, time from a Clock. Every wait is a clock timer: no frame
 * from the server, however malformed, or silence leaves it waiting for ever.
 */
import type { Clock, TimerHandle } from '../../time/clock.ts';
import type { Random } from '../../time/random.ts';
import { ZclDecodeError } from '../../zcl/errors.ts';
import {
  decodeOta,
  encodeOta,
  OtaStatus,
  type ImageBlockResponse,
  type ImageNotify,
  type OtaMessage,
  type QueryNextImageResponse,
  type UpgradeEndRequest,
  type UpgradeEndResponse,
} from '../../zcl/ota.ts';
import { checkStore, copyStore, Download, type OtaClientStore } from './download.ts';
import { ProgressMeter, type TransferProgress } from './progress.ts';
import { checkUint, describeImage, imageIdOf, sameImage, type FramePort, type ImageId, type OfferedImage, type Unsubscribe } from './types.ts';
import { UPGRADE_ON_COMMAND } from './zigbee-time.ts';

/** A check of the whole received image before it is accepted, e.g. the GB signature (`verifyGbImage` fits). */
export type ImageVerifier = (bytes: Uint8Array, image: OfferedImage) => { ok: true } | { ok: false; message: string };

export interface PageOptions {
  /** Bytes per Image Page Request (16-bit field). */
  pageSize: number;
  /** Milliseconds the server should leave between the page's block responses (16-bit field). */
  responseSpacingMs: number;
}

export interface OtaClientOptions {
  clock: Clock;
  port: FramePort;
  /** What flash holds: a fresh device's installed version, or a snapshot taken before a power cut. */
  store: OtaClientStore;
  hardwareVersion?: number;
  /** Most data bytes asked for per block (1..255). Default 64. */
  maximumDataSize?: number;
  /** Clock time to wait for any reply. Default 2000 ms. */
  responseTimeoutMs?: number;
  /** Sends of one request (query, block or page, upgrade end) before giving up. Default 5. */
  maxAttempts?: number;
  /** Fetch with Image Page Requests instead of one Image Block Request per block. */
  pages?: PageOptions;
  /** Largest image accepted. Default 16 MiB. */
  maxImageSize?: number;
  /** Longest WAIT_FOR_DATA delay accepted. Default 1 hour. */
  maxWaitMs?: number;
  /** WAIT_FOR_DATA answers in a row, without a block between, before giving up. Default 100. */
  maxConsecutiveWaits?: number;
  verify?: ImageVerifier;
  /** Draws the Image Notify query jitter; without it the client answers every notify. */
  random?: Random;
  sleepy?: boolean;
}

export type OtaFailureReason =
  /** The server stayed silent (or only sent garbage) through every attempt. The partial download is kept. */
  | 'no-response'
  /** The server answered ABORT: the image was withdrawn or the request refused. */
  | 'server-abort'
  /** The verification hook refused the complete image. */
  | 'invalid-image'
  /** The received bytes disagree with the offered size or with the file's own header. */
  | 'size-mismatch'
  /** The server offered an image this client cannot take (another image type, the installed version, too large). */
  | 'bad-offer'
  /** WAIT_FOR_DATA too long or too often. The partial download is kept. */
  | 'kept-waiting';

export type OtaClientOutcome =
  | { kind: 'upgraded'; image: OfferedImage; bytes: Uint8Array }
  /** Downloaded and accepted; the server said to wait for its command before switching. */
  | { kind: 'awaiting-upgrade'; image: OfferedImage }
  | { kind: 'no-image'; status: number }
  | { kind: 'failed'; reason: OtaFailureReason; detail: string; image?: OfferedImage }
  | { kind: 'powered-off' };

export type RequestKind = 'query' | 'block' | 'page' | 'upgrade-end';

export type OtaClientEvent =
  | OtaClientOutcome
  | { kind: 'request'; request: RequestKind; offset?: number; attempt: number }
  | { kind: 'offered'; image: OfferedImage; resumeFrom: number }
  | { kind: 'progress'; progress: TransferProgress }
  | { kind: 'retry'; request: RequestKind; cause: 'timeout' | 'malformed' | 'gap' | 'bad-block'; attempt: number }
  | { kind: 'wait-for-data'; delayMs: number; minimumBlockPeriodMs: number }
  | { kind: 'downloaded'; image: OfferedImage }
  | { kind: 'upgrade-scheduled'; image: OfferedImage; atMs: number }
  | { kind: 'awake'; untilMs: number }
  | { kind: 'asleep' }
  | { kind: 'ignored'; why: string };

/** What the client is waiting for. `upgrade-pending`: the download is done and an upgrade time or command is due. */
export type ClientStep = 'off' | 'idle' | 'query' | 'block' | 'upgrade-end' | 'upgrade-pending';

const DEFAULTS = {
  maximumDataSize: 64,
  responseTimeoutMs: 2000,
  maxAttempts: 5,
  maxImageSize: 16 * 1024 * 1024,
  maxWaitMs: 60 * 60 * 1000,
  maxConsecutiveWaits: 100,
};

const WILDCARD_16 = 0xffff;

export class OtaClient {
  private readonly clock: Clock;
  private readonly port: FramePort;
  private readonly settings: typeof DEFAULTS;
  private readonly pages: PageOptions | undefined;
  private readonly options: OtaClientOptions;
  private installedImage: ImageId;
  private download: Download | undefined;

  private step: ClientStep = 'off';
  private awake = false;
  private unsubscribe: Unsubscribe | undefined;
  /** Runs while a reply is awaited: its firing is a timeout. */
  private replyTimer: TimerHandle | undefined;
  /** Runs while the client holds back (minimum block period, WAIT_FOR_DATA). */
  private pauseTimer: TimerHandle | undefined;
  private windowTimer: TimerHandle | undefined;
  private upgradeTimer: TimerHandle | undefined;
  private attempt = 0;
  private seq = 0;
  private meter: ProgressMeter | undefined;
  private minimumBlockPeriodMs = 0;
  private lastResponseAt = -Infinity;
  private consecutiveWaits = 0;
  private pageEnd = 0;
  private readonly listeners = new Set<(event: OtaClientEvent) => void>();
  private outcomeWaiters: ((outcome: OtaClientOutcome) => void)[] = [];

  constructor(options: OtaClientOptions) {
    this.options = options;
    this.clock = options.clock;
    this.port = options.port;
    this.settings = { ...DEFAULTS };
    for (const key of Object.keys(DEFAULTS) as (keyof typeof DEFAULTS)[]) {
      const value = options[key];
      if (value !== undefined) this.settings[key] = value;
    }
    checkUint(this.settings.maximumDataSize, 8, 'maximumDataSize');
    if (this.settings.maximumDataSize === 0) throw new RangeError('maximumDataSize must be at least 1');
    if (!(this.settings.responseTimeoutMs > 0) || !Number.isFinite(this.settings.responseTimeoutMs)) {
      throw new RangeError('responseTimeoutMs must be a positive, finite number');
    }
    if (!Number.isInteger(this.settings.maxAttempts) || this.settings.maxAttempts < 1) throw new RangeError('maxAttempts must be a whole number >= 1');
    if (options.pages !== undefined) {
      checkUint(options.pages.pageSize, 16, 'pageSize');
      checkUint(options.pages.responseSpacingMs, 16, 'responseSpacingMs');
      if (options.pages.pageSize === 0) throw new RangeError('pageSize must be at least 1');
    }
    this.pages = options.pages;
    checkStore(options.store);
    this.installedImage = imageIdOf(options.store.installed);
    this.download = options.store.download === undefined ? undefined : Download.restore(options.store.download, this.settings.maxImageSize);
  }

  get installed(): ImageId {
    return { ...this.installedImage };
  }

  get state(): ClientStep {
    return this.step;
  }

  get isAwake(): boolean {
    return this.awake;
  }

  /** What flash holds now: hand it to a new client to model a power cut. */
  snapshot(): OtaClientStore {
    return copyStore({ installed: this.installedImage, ...(this.download === undefined ? {} : { download: this.download.stored() }) });
  }

  onEvent(listener: (event: OtaClientEvent) => void): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves with the next outcome (upgraded, failed, no image, ...). Never rejects. */
  nextOutcome(): Promise<OtaClientOutcome> {
    return new Promise((resolve) => this.outcomeWaiters.push(resolve));
  }

  /** Boots: an always-on client resumes a stored download at once; a sleepy one waits for `wake()`. */
  powerOn(): void {
    if (this.step !== 'off') return;
    this.step = 'idle';
    this.unsubscribe = this.port.onReceive((frame) => this.receive(frame));
    if (this.options.sleepy) return;
    this.awake = true;
    if (this.download !== undefined) this.continueDownload();
  }

  /** Loses everything but the store, at once: no timer fires and no frame is heard afterwards. */
  powerOff(): void {
    if (this.step === 'off') return;
    this.clearTimer('replyTimer');
    this.clearTimer('pauseTimer');
    this.clearTimer('windowTimer');
    this.clearTimer('upgradeTimer');
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.step = 'off';
    this.awake = false;
    this.meter = undefined;
    this.minimumBlockPeriodMs = 0;
    this.lastResponseAt = -Infinity;
    this.consecutiveWaits = 0;
    this.settle({ kind: 'powered-off' });
  }

  /**
   * Radio on for `windowMs` of clock time, then off again: query, or carry on with the download. An always-on
   * client's radio never sleeps, so for it this is just `poll()`.
   */
  wake(windowMs: number): void {
    if (this.step === 'off') throw new RangeError('cannot wake a client that is powered off');
    if (!(windowMs > 0) || !Number.isFinite(windowMs)) throw new RangeError(`wake window must be a positive, finite number of ms, got ${windowMs}`);
    if (!this.options.sleepy) return this.poll();
    this.clearTimer('windowTimer');
    this.windowTimer = this.clock.setTimer(windowMs, () => this.sleep());
    const wasAwake = this.awake;
    this.awake = true;
    this.emit({ kind: 'awake', untilMs: this.clock.now() + windowMs });
    if (!wasAwake) this.poll();
  }

  /** The client's own poll: query if idle, continue a download if one is stored, or ask again for a pending upgrade. */
  poll(): void {
    if (!this.awake) return;
    if (this.step === 'idle') {
      if (this.download === undefined) this.sendQuery(1);
      else this.continueDownload();
    } else if (this.step === 'upgrade-pending' && this.upgradeTimer === undefined && this.download !== undefined) {
      this.sendUpgradeEnd(OtaStatus.SUCCESS, 1);
    }
  }

  private sleep(): void {
    this.windowTimer = undefined;
    if (!this.awake) return;
    this.awake = false;
    this.clearTimer('replyTimer');
    this.clearTimer('pauseTimer');
    if (this.step !== 'upgrade-pending') this.step = 'idle';
    this.emit({ kind: 'asleep' });
  }

  private receive(frame: Uint8Array): void {
    if (!this.awake) return this.emit({ kind: 'ignored', why: 'asleep' });
    let message: OtaMessage;
    let seq: number;
    try {
      const decoded = decodeOta(frame);
      if (decoded.header.direction !== 'serverToClient') return this.emit({ kind: 'ignored', why: `${decoded.message.command} is a client command` });
      message = decoded.message;
      seq = decoded.header.seq;
    } catch (error) {
      if (!(error instanceof ZclDecodeError)) throw error;
      return this.onMalformed(error);
    }
    switch (message.command) {
      case 'imageNotify':
        return this.onNotify(message);
      case 'queryNextImageResponse':
        return this.onQueryResponse(message);
      case 'imageBlockResponse':
        return this.onBlockResponse(message, seq);
      case 'upgradeEndResponse':
        return this.onUpgradeEndResponse(message);
      default:
        return this.emit({ kind: 'ignored', why: `${message.command} is not handled` });
    }
  }

  /** Most likely the reply being awaited, damaged: ask again rather than wait for the timeout. */
  private onMalformed(error: ZclDecodeError): void {
    if (this.replyTimer === undefined) return this.emit({ kind: 'ignored', why: `malformed frame: ${error.message}` });
    this.retry('malformed');
  }

  private onNotify(notify: ImageNotify): void {
    if (this.step !== 'idle') return this.emit({ kind: 'ignored', why: `image notify while ${this.step}` });
    const mine = this.installedImage;
    const names = (field: number, own: number): boolean => field === WILDCARD_16 || field === own;
    const ignore = (why: string): void => this.emit({ kind: 'ignored', why: `image notify ${why}` });
    if (notify.payloadType !== 0 && !names(notify.manufacturerCode, mine.manufacturerCode)) return ignore('for another manufacturer');
    if ((notify.payloadType === 2 || notify.payloadType === 3) && !names(notify.imageType, mine.imageType)) return ignore('for another image type');
    if (notify.payloadType === 3 && notify.fileVersion === mine.fileVersion) return ignore('for the installed version');
    // ZCL: answer only if a draw of 1..100 is within the server's jitter, so a broadcast does not bring every client at once.
    if (this.options.random !== undefined && this.options.random.int(1, 100) > notify.queryJitter) return this.emit({ kind: 'ignored', why: 'query jitter' });
    this.sendQuery(1);
  }

  private sendQuery(attempt: number): void {
    this.step = 'query';
    this.attempt = attempt;
    const { hardwareVersion } = this.options;
    this.send({ command: 'queryNextImageRequest', ...this.installedImage, ...(hardwareVersion === undefined ? {} : { hardwareVersion }) });
    this.emit({ kind: 'request', request: 'query', attempt });
    this.armTimeout(this.settings.responseTimeoutMs);
  }

  private onQueryResponse(response: QueryNextImageResponse): void {
    if (this.step !== 'query') return this.emit({ kind: 'ignored', why: `query response while ${this.step}` });
    this.clearTimer('replyTimer');
    if (response.status !== OtaStatus.SUCCESS) {
      this.step = 'idle';
      return this.settle({ kind: 'no-image', status: response.status });
    }
    const offered: OfferedImage = { ...imageIdOf(response), imageSize: response.imageSize };
    const refusal = this.refusalOf(offered);
    if (refusal !== undefined) {
      this.step = 'idle';
      return this.settle({ kind: 'failed', reason: 'bad-offer', detail: refusal, image: offered });
    }
    const stored = this.download;
    const resuming = stored !== undefined && sameImage(stored.image, offered) && stored.image.imageSize === offered.imageSize;
    if (!resuming) {
      this.download = Download.start(offered);
      this.meter = undefined;
    }
    this.emit({ kind: 'offered', image: offered, resumeFrom: this.download?.offset ?? 0 });
    this.continueDownload();
  }

  private refusalOf(offered: OfferedImage): string | undefined {
    const mine = this.installedImage;
    if (offered.manufacturerCode !== mine.manufacturerCode || offered.imageType !== mine.imageType) {
      return `offered ${describeImage(offered)} for a device running ${describeImage(mine)}`;
    }
    if (offered.fileVersion === mine.fileVersion) return `offered the installed version ${describeImage(offered)}`;
    if (offered.imageSize > this.settings.maxImageSize) return `offered ${offered.imageSize} bytes; this client takes at most ${this.settings.maxImageSize}`;
    return undefined;
  }

  /** Fetches from the stored offset, or finishes a download that is complete. */
  private continueDownload(): void {
    const download = this.download;
    if (download === undefined) return;
    this.meter ??= new ProgressMeter(this.clock, download.image, download.offset);
    this.consecutiveWaits = 0;
    this.step = 'block';
    this.attempt = 0;
    this.requestNextBlock();
  }

  /** Asks for the block at the current offset once the minimum block period since the last response has passed. */
  private requestNextBlock(): void {
    const download = this.download;
    if (download === undefined) return;
    if (download.complete) return this.finish(download);
    this.clearTimer('replyTimer');
    this.clearTimer('pauseTimer');
    const waitMs = this.lastResponseAt + this.minimumBlockPeriodMs - this.clock.now();
    if (waitMs > 0) {
      this.pauseTimer = this.clock.setTimer(waitMs, () => {
        this.pauseTimer = undefined;
        this.sendBlockRequest(download);
      });
      return;
    }
    this.sendBlockRequest(download);
  }

  private sendBlockRequest(download: Download): void {
    this.attempt++;
    const fileOffset = download.offset;
    const common = { ...imageIdOf(download.image), fileOffset, maximumDataSize: this.settings.maximumDataSize };
    if (this.pages === undefined) {
      this.send({ command: 'imageBlockRequest', ...common, ...(this.minimumBlockPeriodMs > 0 ? { minimumBlockPeriod: this.minimumBlockPeriodMs } : {}) });
    } else {
      this.pageEnd = Math.min(fileOffset + this.pages.pageSize, download.image.imageSize);
      this.send({ command: 'imagePageRequest', ...common, pageSize: this.pages.pageSize, responseSpacing: this.pages.responseSpacingMs });
    }
    this.emit({ kind: 'request', request: this.pages === undefined ? 'block' : 'page', offset: fileOffset, attempt: this.attempt });
    this.armTimeout(this.settings.responseTimeoutMs);
  }

  private onBlockResponse(response: ImageBlockResponse, seq: number): void {
    const download = this.download;
    if (this.step !== 'block' || download === undefined) return this.emit({ kind: 'ignored', why: `block response while ${this.step}` });
    if (response.status === OtaStatus.ABORT) {
      this.clearTimer('replyTimer');
      this.clearTimer('pauseTimer');
      const image = download.image;
      this.download = undefined;
      this.step = 'idle';
      const detail = `the server aborted the download of ${describeImage(image)} at byte ${download.offset}`;
      return this.settle({ kind: 'failed', reason: 'server-abort', detail, image });
    }
    if (response.status === OtaStatus.WAIT_FOR_DATA) {
      if (this.replyTimer === undefined) return this.emit({ kind: 'ignored', why: 'WAIT_FOR_DATA with no request outstanding' });
      return this.onWaitForData(response.requestTime - response.currentTime, response.minimumBlockPeriod);
    }
    return this.onBlockData(download, response, seq);
  }

  private onBlockData(download: Download, response: Extract<ImageBlockResponse, { status: typeof OtaStatus.SUCCESS }>, seq: number): void {
    if (!sameImage(response, download.image)) return this.emit({ kind: 'ignored', why: `block of ${describeImage(response)}` });
    const awaited = this.replyTimer !== undefined;
    if (response.fileOffset !== download.offset) {
      // A block of the current page (the server answers a page with its request's sequence number) beyond the
      // offset means one before it was lost: ask again from the offset. The new request's blocks carry a new number.
      const ahead = seq === this.seq && response.fileOffset > download.offset && response.fileOffset < this.pageEnd;
      if (this.pages !== undefined && awaited && ahead) return this.retry('gap');
      return this.emit({ kind: 'ignored', why: `block at ${response.fileOffset}, expecting ${download.offset}` });
    }
    if (response.data.length > this.settings.maximumDataSize || !download.append(response.data)) {
      if (awaited) return this.retry('bad-block');
      return this.emit({ kind: 'ignored', why: `block of ${response.data.length} bytes at ${response.fileOffset} does not fit` });
    }
    this.attempt = 0;
    this.consecutiveWaits = 0;
    this.lastResponseAt = this.clock.now();
    if (this.meter !== undefined) this.emit({ kind: 'progress', progress: this.meter.measure(download.offset) });
    if (this.pages !== undefined && download.offset < this.pageEnd) {
      this.attempt = 1;
      this.armTimeout(this.settings.responseTimeoutMs + this.pages.responseSpacingMs);
      return;
    }
    this.requestNextBlock();
  }

  private onWaitForData(delaySeconds: number, minimumBlockPeriodMs: number): void {
    this.clearTimer('replyTimer');
    this.consecutiveWaits++;
    const delayMs = Math.max(0, delaySeconds) * 1000;
    this.emit({ kind: 'wait-for-data', delayMs, minimumBlockPeriodMs });
    if (delayMs > this.settings.maxWaitMs || this.consecutiveWaits > this.settings.maxConsecutiveWaits) {
      this.step = 'idle';
      const detail =
        delayMs > this.settings.maxWaitMs
          ? `the server asked to wait ${delayMs} ms; at most ${this.settings.maxWaitMs} is accepted`
          : `${this.consecutiveWaits} WAIT_FOR_DATA answers in a row`;
      return this.settle({ kind: 'failed', reason: 'kept-waiting', detail, ...(this.download === undefined ? {} : { image: this.download.image }) });
    }
    this.minimumBlockPeriodMs = minimumBlockPeriodMs;
    this.lastResponseAt = this.clock.now();
    this.attempt = 0;
    this.pauseTimer = this.clock.setTimer(delayMs, () => {
      this.pauseTimer = undefined;
      this.requestNextBlock();
    });
  }

  private finish(download: Download): void {
    this.clearTimer('replyTimer');
    const rejection = this.rejectionOf(download);
    if (rejection !== undefined) {
      this.download = undefined;
      this.step = 'idle';
      // The server answers INVALID_IMAGE with at most a default response: nothing to wait for.
      this.send({ command: 'upgradeEndRequest', status: OtaStatus.INVALID_IMAGE, ...imageIdOf(download.image) });
      return this.settle({ kind: 'failed', ...rejection, image: download.image });
    }
    this.emit({ kind: 'downloaded', image: download.image });
    this.sendUpgradeEnd(OtaStatus.SUCCESS, 1);
  }

  private rejectionOf(download: Download): { reason: OtaFailureReason; detail: string } | undefined {
    const sizeProblem = download.sizeProblem();
    if (sizeProblem !== undefined) return { reason: 'size-mismatch', detail: sizeProblem };
    if (this.options.verify === undefined) return undefined;
    try {
      const verdict = this.options.verify(download.bytes, download.image);
      return verdict.ok ? undefined : { reason: 'invalid-image', detail: verdict.message };
    } catch (error) {
      // An image the device cannot check is an image it must not run.
      return { reason: 'invalid-image', detail: `verification failed: ${error instanceof Error ? error.message : String(error)}` };
    }
  }

  private sendUpgradeEnd(status: UpgradeEndRequest['status'], attempt: number): void {
    const download = this.download;
    if (download === undefined) return;
    this.step = 'upgrade-end';
    this.attempt = attempt;
    this.send({ command: 'upgradeEndRequest', status, ...imageIdOf(download.image) });
    this.emit({ kind: 'request', request: 'upgrade-end', attempt });
    this.armTimeout(this.settings.responseTimeoutMs);
  }

  private onUpgradeEndResponse(response: UpgradeEndResponse): void {
    const download = this.download;
    const expected = this.step === 'upgrade-end' || (this.step === 'upgrade-pending' && this.upgradeTimer === undefined);
    if (!expected || download === undefined || !sameImage(response, download.image)) {
      return this.emit({ kind: 'ignored', why: `upgrade end response while ${this.step}` });
    }
    this.clearTimer('replyTimer');
    this.step = 'upgrade-pending';
    if (response.upgradeTime === UPGRADE_ON_COMMAND) return this.settle({ kind: 'awaiting-upgrade', image: download.image });
    const delayMs = Math.max(0, response.upgradeTime - response.currentTime) * 1000;
    if (delayMs === 0) return this.upgrade(download);
    this.emit({ kind: 'upgrade-scheduled', image: download.image, atMs: this.clock.now() + delayMs });
    this.upgradeTimer = this.clock.setTimer(delayMs, () => {
      this.upgradeTimer = undefined;
      this.upgrade(download);
    });
  }

  private upgrade(download: Download): void {
    this.installedImage = imageIdOf(download.image);
    this.download = undefined;
    this.meter = undefined;
    this.step = 'idle';
    this.settle({ kind: 'upgraded', image: download.image, bytes: new Uint8Array(download.bytes) });
  }

  private armTimeout(ms: number): void {
    this.clearTimer('replyTimer');
    this.replyTimer = this.clock.setTimer(ms, () => {
      this.replyTimer = undefined;
      this.retry('timeout');
    });
  }

  /** Sends the outstanding request again, or gives up once it has been sent maxAttempts times. */
  private retry(cause: 'timeout' | 'malformed' | 'gap' | 'bad-block'): void {
    const request: RequestKind = this.step === 'query' || this.step === 'upgrade-end' ? this.step : this.pages === undefined ? 'block' : 'page';
    this.clearTimer('replyTimer');
    if (this.attempt >= this.settings.maxAttempts) {
      const stillAwaiting = this.step === 'upgrade-end';
      this.step = stillAwaiting ? 'upgrade-pending' : 'idle';
      const image = this.download?.image;
      return this.settle({
        kind: 'failed',
        reason: 'no-response',
        detail: `no usable answer to ${request} request after ${this.attempt} attempts (last: ${cause})`,
        ...(image === undefined ? {} : { image }),
      });
    }
    this.emit({ kind: 'retry', request, cause, attempt: this.attempt });
    if (this.step === 'query') return this.sendQuery(this.attempt + 1);
    if (this.step === 'upgrade-end') return this.sendUpgradeEnd(OtaStatus.SUCCESS, this.attempt + 1);
    if (this.step === 'block' && this.download !== undefined) this.sendBlockRequest(this.download);
  }

  private send(message: OtaMessage): void {
    this.seq = (this.seq + 1) & 0xff;
    this.port.send(encodeOta(message, this.seq, { disableDefaultResponse: true }));
  }

  private clearTimer(which: 'replyTimer' | 'pauseTimer' | 'windowTimer' | 'upgradeTimer'): void {
    const timer = this[which];
    if (timer !== undefined) this.clock.clearTimer(timer);
    this[which] = undefined;
  }

  private emit(event: OtaClientEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private settle(outcome: OtaClientOutcome): void {
    this.emit(outcome);
    const waiters = this.outcomeWaiters;
    this.outcomeWaiters = [];
    for (const resolve of waiters) resolve(outcome);
  }
}
