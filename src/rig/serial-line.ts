import { SerialPortStream } from '@serialport/stream';
import type { Clock, TimerHandle } from '../time/clock.ts';
import { withTimeout } from '../time/timeout.ts';
import { EnvelopeError, LinkClosedError } from '../transport/errors.ts';
import { RigLinkError } from './errors.ts';
import { encodeFrame, FrameDecoder, type FrameError } from './framing.ts';

/** How ports are opened: serialport's binding for the operating system's driver, or a mock. */
export type SerialBinding = ConstructorParameters<typeof SerialPortStream>[0]['binding'];

export interface SerialLineOptions {
  readonly path: string;
  readonly baud: number;
  readonly binding: SerialBinding;
  readonly clock: Clock;
  readonly openTimeoutMs: number;
  /** Fixed write deadline; by default the frame's time on the wire at `baud` plus WRITE_MARGIN_MS. */
  readonly writeTimeoutMs?: number;
  readonly maxPayloadBytes?: number;
}

export interface SerialLineEvents {
  frame(payload: Uint8Array): void;
  frameError(error: FrameError): void;
  /** The line went down by itself (unplugged, I/O error, stalled). Called at most once, never after close(). */
  lost(error: RigLinkError): void;
}

const WRITE_MARGIN_MS = 2000;
/** A UART byte is 10 bits on the wire (start, 8 data, stop). */
const BITS_PER_BYTE = 10;

/**
 * One opening of a serial port, carrying frames: payloads in, payloads out. It goes down once, for good;
 * reopening means a new SerialLine. Every pending write settles the moment it goes down.
 */
export class SerialLine {
  private readonly port: SerialPortStream;
  private readonly decoder: FrameDecoder;
  private readonly pendingWrites = new Set<(error: Error) => void>();
  private downBy: Error | undefined;
  private opened = false;

  constructor(
    private readonly options: SerialLineOptions,
    private readonly events: SerialLineEvents,
  ) {
    this.decoder = new FrameDecoder({ maxPayloadBytes: options.maxPayloadBytes });
    this.port = new SerialPortStream({ binding: options.binding, path: options.path, baudRate: options.baud, autoOpen: false });
    // Kept for the life of the stream: a stream with no error listener crashes the process.
    this.port.on('error', (error: Error) => this.goDown(this.linkError(error.message, error)));
    this.port.on('close', (error: Error | null) => this.goDown(this.linkError(error == null ? 'port closed' : `disconnected: ${error.message}`, error ?? undefined)));
    this.port.on('data', (chunk: Buffer) => this.receive(chunk));
  }

  get path(): string {
    return this.options.path;
  }

  /** Opens the port, or rejects with RigLinkError (no such port, busy, no answer from the driver in time). */
  async open(): Promise<void> {
    const { path, baud, openTimeoutMs, clock } = this.options;
    const opening = new Promise<void>((resolve, reject) => this.port.open((error) => (error == null ? resolve() : reject(error))));
    try {
      await withTimeout(clock, opening, openTimeoutMs, `${path} to open`, () => this.linkError(`did not open within ${openTimeoutMs} ms`));
    } catch (error) {
      const failure = error instanceof RigLinkError ? error : this.linkError(`cannot open at ${baud} baud: ${messageOf(error)}`, error);
      this.downBy = failure;
      // If it opens after all, nobody wants it.
      opening.then(() => this.port.close(() => undefined), () => undefined);
      throw failure;
    }
    if (this.downBy !== undefined) throw this.downBy;
    this.opened = true;
  }

  /** Resolves once the frame is written and drained; RigLinkError if the line goes down first or stalls. */
  send(payload: Uint8Array): Promise<void> {
    if (this.downBy !== undefined) return Promise.reject(this.downBy);
    let frame: Uint8Array;
    try {
      frame = encodeFrame(payload, { maxPayloadBytes: this.options.maxPayloadBytes });
    } catch (error) {
      return Promise.reject(new EnvelopeError(`cannot go over ${this.path}: ${messageOf(error)}`, { cause: error }));
    }
    const deadline = this.options.writeTimeoutMs ?? Math.ceil((frame.length * BITS_PER_BYTE * 1000) / this.options.baud) + WRITE_MARGIN_MS;
    return new Promise<void>((resolve, reject) => {
      let timer: TimerHandle | undefined;
      const settle = (error?: Error): void => {
        if (!this.pendingWrites.delete(fail)) return;
        if (timer !== undefined) this.options.clock.clearTimer(timer);
        if (error === undefined) resolve();
        else reject(error);
      };
      const fail = (error: Error): void => settle(error);
      this.pendingWrites.add(fail);
      // A frame stuck in the driver may still go out later, so a stalled line cannot be trusted again.
      timer = this.options.clock.setTimer(deadline, () => this.goDown(this.linkError(`a ${frame.length}-byte write did not drain within ${deadline} ms: the line stalled`)));
      this.port.write(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength), (writeError) => {
        if (writeError != null) return this.goDown(this.linkError(`write failed: ${writeError.message}`, writeError));
        this.port.drain((drainError) => {
          if (drainError != null) this.goDown(this.linkError(`drain failed: ${drainError.message}`, drainError));
          else settle();
        });
      });
    });
  }

  /** Closes the port on purpose: pending writes reject with LinkClosedError and `lost` is not called. */
  async close(): Promise<void> {
    if (this.downBy === undefined) this.downBy = new LinkClosedError(`serial line ${this.path} is closed`);
    this.failPending(this.downBy);
    if (!this.port.isOpen) return;
    const closed = new Promise<void>((resolve) => this.port.close(() => resolve()));
    await withTimeout(this.options.clock, closed, this.options.openTimeoutMs, `${this.path} to close`).catch(() => this.port.destroy());
  }

  private receive(chunk: Buffer): void {
    for (const item of this.decoder.push(chunk)) {
      if (item.type === 'frame') this.events.frame(item.payload);
      else this.events.frameError(item.error);
    }
  }

  private goDown(error: RigLinkError): void {
    if (this.downBy !== undefined) return;
    this.downBy = error;
    this.failPending(error);
    const partial = this.decoder.reset();
    if (partial !== undefined) this.events.frameError(partial);
    if (this.port.isOpen) this.port.close(() => undefined);
    if (this.opened) this.events.lost(error);
  }

  private failPending(error: Error): void {
    for (const fail of [...this.pendingWrites]) fail(error);
  }

  private linkError(detail: string, cause?: unknown): RigLinkError {
    return new RigLinkError(this.path, detail, cause === undefined ? undefined : { cause });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
