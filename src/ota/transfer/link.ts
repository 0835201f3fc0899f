/**
 * A point-to-point HAN link between an OTA server and one client, in clock time. Both directions share one
 * half-duplex channel: a frame waits until the channel is free, then holds it for each of its radio frames'
 * access time (latency) and airtime. Loss is drawn per radio frame (losing any fragment loses the ZCL frame),
 * corruption per ZCL frame, each from its own fork of the link's Random so that changing one rate leaves the
 * other's draws alone.
 *
 * Corruption here means a frame that reaches the application damaged: cut short or with bytes after its end, as a
 * broken stack or a misframing serial rig delivers it. Bit errors on the air are caught by the 802.15.4 FCS and
 * the NWK MIC and never reach the application; they are loss.
 *
 * `model: 'off'` delivers every frame intact in a microtask: no clock time passes and nothing is drawn.
 */
import type { Clock, TimerHandle } from '../../time/clock.ts';
import type { Random } from '../../time/random.ts';
import { airtimeMs, MAX_ZCL_BYTES_PER_FRAME, radioFramesFor } from './radio.ts';
import type { FramePort, Unsubscribe } from './types.ts';

export interface LinkModel {
  /** Channel bit rate. */
  bitsPerSecond: number;
  /**
   * Channel time per radio frame besides its airtime: CSMA-CA backoff (7/2 × 320 µs on average at the first
   * attempt), clear-channel assessment, RX/TX turnaround and the MAC acknowledgement (11 bytes on air).
   */
  frameLatencyMs: number;
  /** Probability that a radio frame is lost. */
  lossRate: number;
  /** Probability that a ZCL frame arrives damaged (see the module comment). */
  corruptionRate: number;
  /** ZCL bytes one radio frame carries. */
  maxZclBytesPerFrame: number;
}

export const DEFAULT_LINK_MODEL: Readonly<LinkModel> = {
  bitsPerSecond: 250_000,
  frameLatencyMs: 2,
  lossRate: 0,
  corruptionRate: 0,
  maxZclBytesPerFrame: MAX_ZCL_BYTES_PER_FRAME,
};

export type LinkDirection = 'to-client' | 'to-server';

export type FrameFate = 'delivered' | 'lost' | 'corrupted';

/** One ZCL frame as the link handled it: for tracing, the evidence log and determinism checks. */
export interface LinkFrameEvent {
  direction: LinkDirection;
  /** Clock time the frame was handed to the link. */
  sentAt: number;
  /** Clock time it reached (or would have reached) the other end. */
  arrivesAt: number;
  fate: FrameFate;
  frame: Uint8Array;
  /** What the receiver got, when the frame was corrupted. */
  damaged?: Uint8Array;
  radioFrames: number;
}

export interface LinkStats {
  frames: number;
  delivered: number;
  lost: number;
  corrupted: number;
  radioFrames: number;
  /** Sum of channel time taken, ms. */
  channelBusyMs: number;
}

export interface LinkOptions {
  clock: Clock;
  /** Overrides of DEFAULT_LINK_MODEL, or 'off' for zero-cost delivery. */
  model?: Partial<LinkModel> | 'off';
  /** Required when loss or corruption rates are above zero. */
  random?: Random;
}

/** A frame receiver threw. The link carries on; the receiver is at fault. */
export class LinkReceiverError extends Error {
  override readonly name = 'LinkReceiverError';
  constructor(
    readonly direction: LinkDirection,
    cause: unknown,
  ) {
    super(`receiver ${direction} threw: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

function checkedModel(overrides: Partial<LinkModel>): LinkModel {
  const model = { ...DEFAULT_LINK_MODEL, ...overrides };
  if (!(model.bitsPerSecond > 0) || !Number.isFinite(model.bitsPerSecond)) throw new RangeError(`bitsPerSecond must be positive, got ${model.bitsPerSecond}`);
  if (!(model.frameLatencyMs >= 0) || !Number.isFinite(model.frameLatencyMs)) throw new RangeError(`frameLatencyMs must be >= 0, got ${model.frameLatencyMs}`);
  for (const rate of ['lossRate', 'corruptionRate'] as const) {
    if (!(model[rate] >= 0 && model[rate] <= 1)) throw new RangeError(`${rate} must be in [0, 1], got ${model[rate]}`);
  }
  radioFramesFor(0, model.maxZclBytesPerFrame);
  return model;
}

/** Damages a frame: cut at a random point, or a few random bytes appended. */
function damage(frame: Uint8Array, random: Random): Uint8Array {
  if (frame.length > 0 && random.chance(0.5)) return frame.slice(0, random.int(0, frame.length - 1));
  const extra = random.bytes(random.int(1, 8));
  const out = new Uint8Array(frame.length + extra.length);
  out.set(frame);
  out.set(extra, frame.length);
  return out;
}

export class OtaLink {
  readonly server: FramePort;
  readonly client: FramePort;
  private readonly clock: Clock;
  private readonly model: LinkModel | undefined;
  private readonly lossRandom: Random | undefined;
  private readonly corruptionRandom: Random | undefined;
  private readonly receivers = { 'to-client': new Set<(frame: Uint8Array) => void>(), 'to-server': new Set<(frame: Uint8Array) => void>() };
  private readonly frameListeners = new Set<(event: LinkFrameEvent) => void>();
  private readonly errorListeners = new Set<(error: LinkReceiverError) => void>();
  private readonly inFlight = new Set<TimerHandle>();
  private channelFreeAt = -Infinity;
  private closed = false;
  private readonly counts: LinkStats = { frames: 0, delivered: 0, lost: 0, corrupted: 0, radioFrames: 0, channelBusyMs: 0 };

  constructor(options: LinkOptions) {
    this.clock = options.clock;
    this.model = options.model === 'off' ? undefined : checkedModel(options.model ?? {});
    if (this.model !== undefined && (this.model.lossRate > 0 || this.model.corruptionRate > 0)) {
      if (options.random === undefined) throw new RangeError('a link with loss or corruption needs a Random');
      this.lossRandom = options.random.fork('loss');
      this.corruptionRandom = options.random.fork('corruption');
    }
    this.server = this.port('to-client', 'to-server');
    this.client = this.port('to-server', 'to-client');
  }

  get stats(): LinkStats {
    return { ...this.counts };
  }

  onFrame(listener: (event: LinkFrameEvent) => void): Unsubscribe {
    this.frameListeners.add(listener);
    return () => this.frameListeners.delete(listener);
  }

  /** Receivers that threw. Without a listener they become process warnings, never crashes. */
  onError(listener: (error: LinkReceiverError) => void): Unsubscribe {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  /** Frames still in flight are dropped; later sends go nowhere. */
  close(): void {
    this.closed = true;
    for (const timer of this.inFlight) this.clock.clearTimer(timer);
    this.inFlight.clear();
  }

  private port(sendDirection: LinkDirection, receiveDirection: LinkDirection): FramePort {
    return {
      send: (frame) => this.transmit(sendDirection, new Uint8Array(frame)),
      onReceive: (handler) => {
        const receivers = this.receivers[receiveDirection];
        receivers.add(handler);
        return () => receivers.delete(handler);
      },
    };
  }

  private transmit(direction: LinkDirection, frame: Uint8Array): void {
    if (this.closed) return;
    this.counts.frames++;
    const sentAt = this.clock.now();
    if (this.model === undefined) {
      this.counts.delivered++;
      this.counts.radioFrames++;
      this.trace({ direction, sentAt, arrivesAt: sentAt, fate: 'delivered', frame, radioFrames: 1 });
      queueMicrotask(() => {
        if (!this.closed) this.deliver(direction, frame);
      });
      return;
    }
    const { arrivesAt, radioFrames, lost } = this.occupyChannel(this.model, frame.length, sentAt);
    const damaged = !lost && this.corruptionRandom?.chance(this.model.corruptionRate) ? damage(frame, this.corruptionRandom) : undefined;
    const fate: FrameFate = lost ? 'lost' : damaged === undefined ? 'delivered' : 'corrupted';
    this.counts[fate]++;
    this.trace({ direction, sentAt, arrivesAt, fate, frame, radioFrames, ...(damaged === undefined ? {} : { damaged }) });
    if (lost) return;
    const timer = this.clock.setTimer(arrivesAt - sentAt, () => {
      this.inFlight.delete(timer);
      this.deliver(direction, damaged ?? frame);
    });
    this.inFlight.add(timer);
  }

  private occupyChannel(model: LinkModel, length: number, now: number): { arrivesAt: number; radioFrames: number; lost: boolean } {
    const frames = radioFramesFor(length, model.maxZclBytesPerFrame);
    let busyMs = 0;
    let lost = false;
    for (const radioFrame of frames) {
      busyMs += model.frameLatencyMs + airtimeMs(radioFrame.airBytes, model.bitsPerSecond);
      // Drawn for every fragment, so the loss stream advances the same way whatever happened before.
      if (this.lossRandom?.chance(model.lossRate)) lost = true;
    }
    const arrivesAt = Math.max(now, this.channelFreeAt) + busyMs;
    this.channelFreeAt = arrivesAt;
    this.counts.radioFrames += frames.length;
    this.counts.channelBusyMs += busyMs;
    return { arrivesAt, radioFrames: frames.length, lost };
  }

  private deliver(direction: LinkDirection, frame: Uint8Array): void {
    for (const receiver of [...this.receivers[direction]]) {
      try {
        receiver(frame);
      } catch (cause) {
        this.reportError(new LinkReceiverError(direction, cause));
      }
    }
  }

  private trace(event: LinkFrameEvent): void {
    for (const listener of this.frameListeners) listener(event);
  }

  private reportError(error: LinkReceiverError): void {
    if (this.errorListeners.size === 0) {
      process.emitWarning(error);
      return;
    }
    for (const listener of this.errorListeners) listener(error);
  }
}
