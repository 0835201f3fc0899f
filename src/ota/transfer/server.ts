/**
 * The OTA server (ZCL cluster 0x0019) as the Comms Hub runs it: it holds images, tells clients about them and
 * answers their requests. It keeps no transfer state per client beyond pacing: every Image Block Request is
 * answered from its offset, so a client's retries and its resume after a power cut need nothing from the server.
 *
 * A pure core: frames in and out through FramePorts, time from a Clock, no I/O.
 */
import type { Clock, TimerHandle } from '../../time/clock.ts';
import { ZclDecodeError } from '../../zcl/errors.ts';
import {
  decodeOta,
  encodeOta,
  OtaStatus,
  type ImageBlockRequest,
  type ImagePageRequest,
  type OtaMessage,
  type QueryNextImageRequest,
  type UpgradeEndRequest,
} from '../../zcl/ota.ts';
import { readOtaHeader } from '../header.ts';
import { checkUint, describeImage, imageIdOf, sameImage, type FramePort, type ImageId, type OfferedImage, type Unsubscribe } from './types.ts';
import { toZigbeeUtc, toZigbeeUtcCeil, UPGRADE_ON_COMMAND } from './zigbee-time.ts';

/** An image the server can send: its identity and the bytes of the whole file. */
export interface ServedImage extends ImageId {
  bytes: Uint8Array;
}

/** What the policy sees of a Query Next Image Request. */
export interface ImageQuery {
  peer: string;
  installed: ImageId;
  hardwareVersion?: number;
}

/** Decides whether `candidate` may be offered to the querying device. */
export type OtaPolicy = (query: ImageQuery, candidate: OfferedImage) => boolean;

/** The default policy: newer versions only, so no device is downgraded unless the hub's policy says so. */
export const offerNewerOnly: OtaPolicy = (query, candidate) => candidate.fileVersion > query.installed.fileVersion;

/** When a client that finished downloading should switch to the new image. */
export type UpgradeTiming = 'immediate' | 'on-command' | { atMs: number };

export interface ThrottleOptions {
  /** Least clock time between two blocks sent to one client; 0..65535 ms (the field is 16 bits). */
  minimumBlockPeriodMs: number;
  /** Serve nobody for this long from now ("data not ready yet"). */
  holdForMs?: number;
}

export interface OtaServerOptions {
  clock: Clock;
  /** Most data bytes per Image Block Response, whatever the client allows: 1..255. Default 64 (one radio frame). */
  blockSize?: number;
  policy?: OtaPolicy;
  upgradeTiming?: UpgradeTiming;
}

export type AbortCause = 'image-not-held' | 'offset-beyond-image' | 'zero-data-size';

export type OtaServerEvent =
  | { kind: 'notify'; peer: string }
  | { kind: 'query'; peer: string; request: QueryNextImageRequest; offered?: OfferedImage; refused: OfferedImage[] }
  | { kind: 'block'; peer: string; image: ImageId; offset: number; length: number; page: boolean }
  | { kind: 'wait-for-data'; peer: string; delayMs: number; minimumBlockPeriodMs: number }
  | { kind: 'abort'; peer: string; image: ImageId; cause: AbortCause }
  | { kind: 'upgrade-end'; peer: string; image: ImageId; status: UpgradeEndRequest['status']; upgradeTime?: number }
  | { kind: 'malformed'; peer: string; error: ZclDecodeError }
  | { kind: 'ignored'; peer: string; command: string };

interface Session {
  readonly port: FramePort;
  readonly unsubscribe: Unsubscribe;
  lastBlockAt: number;
  seq: number;
  page?: TimerHandle;
}

const DEFAULT_BLOCK_SIZE = 64;

/** Reads the identity of an OTA file from its header and serves the image as the header declares it. */
export function servedImageFromFile(file: Uint8Array): ServedImage {
  const { header, totalImageSize } = readOtaHeader(file);
  const { manufacturerCode, imageType, fileVersion } = header;
  return { manufacturerCode, imageType, fileVersion, bytes: file.slice(0, totalImageSize) };
}

export class OtaServer {
  private readonly clock: Clock;
  private readonly blockSize: number;
  private readonly policy: OtaPolicy;
  private readonly upgradeTiming: UpgradeTiming;
  private readonly held: ServedImage[] = [];
  private readonly sessions = new Map<string, Session>();
  private readonly listeners = new Set<(event: OtaServerEvent) => void>();
  private throttling: { minimumBlockPeriodMs: number; heldUntil: number } | undefined;

  constructor(options: OtaServerOptions) {
    this.clock = options.clock;
    this.blockSize = checkUint(options.blockSize ?? DEFAULT_BLOCK_SIZE, 8, 'blockSize');
    if (this.blockSize === 0) throw new RangeError('blockSize must be at least 1');
    this.policy = options.policy ?? offerNewerOnly;
    this.upgradeTiming = options.upgradeTiming ?? 'immediate';
  }

  /** Holds an image (replacing one with the same identity). Throws RangeError for an identity ZCL cannot carry. */
  addImage(image: ServedImage): void {
    checkUint(image.bytes.length, 32, 'image size');
    try {
      encodeOta({ command: 'queryNextImageResponse', status: OtaStatus.SUCCESS, ...imageIdOf(image), imageSize: image.bytes.length }, 0);
    } catch (error) {
      throw new RangeError(`image ${describeImage(image)} cannot be offered: ${(error as Error).message}`, { cause: error });
    }
    this.withdrawImage(image);
    this.held.push({ ...imageIdOf(image), bytes: new Uint8Array(image.bytes) });
  }

  /** Stops serving an image: block requests for it are answered ABORT from now on. */
  withdrawImage(id: ImageId): boolean {
    const index = this.held.findIndex((image) => sameImage(image, id));
    if (index >= 0) this.held.splice(index, 1);
    return index >= 0;
  }

  get images(): OfferedImage[] {
    return this.held.map((image) => ({ ...imageIdOf(image), imageSize: image.bytes.length }));
  }

  connect(peer: string, port: FramePort): void {
    if (this.sessions.has(peer)) throw new RangeError(`peer ${JSON.stringify(peer)} is already connected`);
    const unsubscribe = port.onReceive((frame) => this.receive(peer, frame));
    this.sessions.set(peer, { port, unsubscribe, lastBlockAt: -Infinity, seq: 0 });
  }

  disconnect(peer: string): void {
    const session = this.sessions.get(peer);
    if (session === undefined) return;
    if (session.page !== undefined) this.clock.clearTimer(session.page);
    session.unsubscribe();
    this.sessions.delete(peer);
  }

  onEvent(listener: (event: OtaServerEvent) => void): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Image Notify: tells a client to query now. With `image`, names the exact image (payload type 3). */
  notify(peer: string, options: { image?: ImageId; queryJitter?: number } = {}): void {
    const session = this.session(peer);
    const queryJitter = checkUint(options.queryJitter ?? 100, 8, 'queryJitter');
    const message: OtaMessage =
      options.image === undefined
        ? { command: 'imageNotify', payloadType: 0, queryJitter }
        : { command: 'imageNotify', payloadType: 3, queryJitter, ...imageIdOf(options.image) };
    this.send(session, message, this.nextSeq(session));
    this.emit({ kind: 'notify', peer });
  }

  /** Paces block responses with WAIT_FOR_DATA; `undefined` lifts the throttle. */
  throttle(options: ThrottleOptions | undefined): void {
    if (options === undefined) {
      this.throttling = undefined;
      return;
    }
    checkUint(options.minimumBlockPeriodMs, 16, 'minimumBlockPeriodMs');
    const holdForMs = options.holdForMs ?? 0;
    if (!(holdForMs >= 0) || !Number.isFinite(holdForMs)) throw new RangeError(`holdForMs must be a finite number >= 0, got ${holdForMs}`);
    this.throttling = { minimumBlockPeriodMs: options.minimumBlockPeriodMs, heldUntil: this.clock.now() + holdForMs };
  }

  /** An unsolicited Upgrade End Response: tells a client that was told to wait when to switch to `image`. */
  commandUpgrade(peer: string, image: ImageId, timing: Exclude<UpgradeTiming, 'on-command'>): void {
    const session = this.session(peer);
    const times = this.upgradeTimes(timing);
    this.send(session, { command: 'upgradeEndResponse', ...imageIdOf(image), ...times }, this.nextSeq(session));
  }

  private session(peer: string): Session {
    const session = this.sessions.get(peer);
    if (session === undefined) throw new RangeError(`peer ${JSON.stringify(peer)} is not connected`);
    return session;
  }

  private receive(peer: string, frame: Uint8Array): void {
    const session = this.sessions.get(peer);
    if (session === undefined) return;
    let decoded;
    try {
      decoded = decodeOta(frame);
    } catch (error) {
      if (!(error instanceof ZclDecodeError)) throw error;
      this.emit({ kind: 'malformed', peer, error });
      return;
    }
    const { header, message } = decoded;
    if (header.direction !== 'clientToServer') {
      this.emit({ kind: 'ignored', peer, command: message.command });
      return;
    }
    switch (message.command) {
      case 'queryNextImageRequest':
        return this.answerQuery(peer, session, message, header.seq);
      case 'imageBlockRequest':
        return this.answerBlock(peer, session, message, header.seq);
      case 'imagePageRequest':
        return this.answerPage(peer, session, message, header.seq);
      case 'upgradeEndRequest':
        return this.answerUpgradeEnd(peer, session, message, header.seq);
      default:
        this.emit({ kind: 'ignored', peer, command: message.command });
    }
  }

  private answerQuery(peer: string, session: Session, request: QueryNextImageRequest, seq: number): void {
    const query: ImageQuery = {
      peer,
      installed: imageIdOf(request),
      ...(request.hardwareVersion === undefined ? {} : { hardwareVersion: request.hardwareVersion }),
    };
    const candidates = this.images
      .filter((image) => image.manufacturerCode === request.manufacturerCode && image.imageType === request.imageType)
      .sort((a, b) => b.fileVersion - a.fileVersion);
    const refused: OfferedImage[] = [];
    let offered: OfferedImage | undefined;
    for (const candidate of candidates) {
      if (this.policy(query, candidate)) {
        offered = candidate;
        break;
      }
      refused.push(candidate);
    }
    this.send(
      session,
      offered === undefined
        ? { command: 'queryNextImageResponse', status: OtaStatus.NO_IMAGE_AVAILABLE }
        : { command: 'queryNextImageResponse', status: OtaStatus.SUCCESS, ...offered },
      seq,
    );
    this.emit({ kind: 'query', peer, request, refused, ...(offered === undefined ? {} : { offered }) });
  }

  /** The image and the bytes a request may have, or the reason to abort. */
  private servable(request: ImageBlockRequest | ImagePageRequest): { image: ServedImage; dataSize: number } | { cause: AbortCause } {
    const image = this.held.find((held) => sameImage(held, request));
    if (image === undefined) return { cause: 'image-not-held' };
    if (request.fileOffset >= image.bytes.length) return { cause: 'offset-beyond-image' };
    if (request.maximumDataSize === 0) return { cause: 'zero-data-size' };
    return { image, dataSize: Math.min(request.maximumDataSize, this.blockSize) };
  }

  /** When the next block may go to this session. */
  private readyAt(session: Session): number {
    if (this.throttling === undefined) return this.clock.now();
    return Math.max(this.clock.now(), this.throttling.heldUntil, session.lastBlockAt + this.throttling.minimumBlockPeriodMs);
  }

  /** WAIT_FOR_DATA if the session must wait; true when it was sent. */
  private waitIfThrottled(peer: string, session: Session, seq: number): boolean {
    const now = this.clock.now();
    const readyAt = this.readyAt(session);
    if (readyAt <= now) return false;
    const minimumBlockPeriod = this.throttling?.minimumBlockPeriodMs ?? 0;
    const currentTime = toZigbeeUtc(now);
    const requestTime = toZigbeeUtcCeil(readyAt);
    this.send(session, { command: 'imageBlockResponse', status: OtaStatus.WAIT_FOR_DATA, currentTime, requestTime, minimumBlockPeriod }, seq);
    this.emit({ kind: 'wait-for-data', peer, delayMs: (requestTime - currentTime) * 1000, minimumBlockPeriodMs: minimumBlockPeriod });
    return true;
  }

  private sendBlock(peer: string, session: Session, image: ServedImage, offset: number, dataSize: number, seq: number, page: boolean): number {
    const data = image.bytes.subarray(offset, Math.min(offset + dataSize, image.bytes.length));
    this.send(session, { command: 'imageBlockResponse', status: OtaStatus.SUCCESS, ...imageIdOf(image), fileOffset: offset, data }, seq);
    session.lastBlockAt = this.clock.now();
    this.emit({ kind: 'block', peer, image: imageIdOf(image), offset, length: data.length, page });
    return data.length;
  }

  private abort(peer: string, session: Session, image: ImageId, cause: AbortCause, seq: number): void {
    this.send(session, { command: 'imageBlockResponse', status: OtaStatus.ABORT }, seq);
    this.emit({ kind: 'abort', peer, image: imageIdOf(image), cause });
  }

  private answerBlock(peer: string, session: Session, request: ImageBlockRequest, seq: number): void {
    const servable = this.servable(request);
    if ('cause' in servable) return this.abort(peer, session, request, servable.cause, seq);
    if (this.waitIfThrottled(peer, session, seq)) return;
    this.sendBlock(peer, session, servable.image, request.fileOffset, servable.dataSize, seq, false);
  }

  /** Sends the blocks of one page, `responseSpacing` apart (or the throttle's period, if longer). A new page request replaces it. */
  private answerPage(peer: string, session: Session, request: ImagePageRequest, seq: number): void {
    if (session.page !== undefined) this.clock.clearTimer(session.page);
    session.page = undefined;
    const first = this.servable(request);
    if ('cause' in first) return this.abort(peer, session, request, first.cause, seq);
    if (this.waitIfThrottled(peer, session, seq)) return;
    const pageEnd = Math.min(request.fileOffset + request.pageSize, first.image.bytes.length);
    const sendFrom = (offset: number): void => {
      session.page = undefined;
      const servable = this.servable({ ...request, fileOffset: offset });
      if ('cause' in servable) return this.abort(peer, session, request, servable.cause, seq);
      const next = offset + this.sendBlock(peer, session, servable.image, offset, servable.dataSize, seq, true);
      if (next >= pageEnd) return;
      const spacing = Math.max(request.responseSpacing, this.throttling?.minimumBlockPeriodMs ?? 0);
      session.page = this.clock.setTimer(spacing, () => sendFrom(next));
    };
    sendFrom(request.fileOffset);
  }

  private answerUpgradeEnd(peer: string, session: Session, request: UpgradeEndRequest, seq: number): void {
    if (request.status !== OtaStatus.SUCCESS) {
      this.emit({ kind: 'upgrade-end', peer, image: imageIdOf(request), status: request.status });
      return;
    }
    const times = this.upgradeTimes(this.upgradeTiming);
    this.send(session, { command: 'upgradeEndResponse', ...imageIdOf(request), ...times }, seq);
    this.emit({ kind: 'upgrade-end', peer, image: imageIdOf(request), status: request.status, upgradeTime: times.upgradeTime });
  }

  private upgradeTimes(timing: UpgradeTiming): { currentTime: number; upgradeTime: number } {
    const currentTime = toZigbeeUtc(this.clock.now());
    if (timing === 'immediate') return { currentTime, upgradeTime: currentTime };
    if (timing === 'on-command') return { currentTime, upgradeTime: UPGRADE_ON_COMMAND };
    return { currentTime, upgradeTime: Math.max(currentTime, toZigbeeUtcCeil(timing.atMs)) };
  }

  private nextSeq(session: Session): number {
    session.seq = (session.seq + 1) & 0xff;
    return session.seq;
  }

  private send(session: Session, message: OtaMessage, seq: number): void {
    session.port.send(encodeOta(message, seq, { disableDefaultResponse: true }));
  }

  private emit(event: OtaServerEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
