import { SerialPort } from 'serialport';
import type { Clock } from '../time/clock.ts';
import { RealClock } from '../time/real-clock.ts';
import { withTimeout } from '../time/timeout.ts';
import type { Bus, Endpoint, EnvelopeHandler, ErrorListener, FrameListener, Unsubscribe } from '../transport/bus.ts';
import { BusEvents } from '../transport/bus-events.ts';
import { EndpointCore, endpointFor } from '../transport/endpoint-core.ts';
import { checkName, type Envelope } from '../transport/envelope.ts';
import { AddressInUseError, LinkClosedError, NoRouteError, type TransportError } from '../transport/errors.ts';
import { decodeRigMessage, encodeRigMessage, type Identify, type RigMessage } from './adapter-protocol.ts';
import { AdapterReportError, RigLinkError, RigProtocolError } from './errors.ts';
import { SerialLine, type SerialBinding } from './serial-line.ts';

export interface SerialBusOptions {
  /** The serial port, e.g. /dev/ttyUSB0. */
  readonly path: string;
  readonly baud: number;
  /** How the port is opened: the operating system's serial driver unless given (tests pass a MockRigLine's binding). */
  readonly binding?: SerialBinding;
  /** Times every wait; a RealClock unless given (a rig with real devices keeps real time). */
  readonly clock?: Clock;
  /** Longest wait for the port to open, and for the adapter to answer each hello. Default 2000. */
  readonly helloTimeoutMs?: number;
  /** Longest wait for a frame to be written and drained; by default its time on the wire plus 2 s. */
  readonly writeTimeoutMs?: number;
  readonly maxPayloadBytes?: number;
  /** Who we are, in the hello. Default `hanlab`. */
  readonly host?: string;
}

/** `open` once the adapter has identified itself; `lost` after the line went down until reopen(); `closed` for good. */
export type SerialBusState = 'opening' | 'open' | 'lost' | 'closed';

export type AdapterIdentity = Omit<Identify, 'seq'>;

interface PendingHello {
  readonly resolve: (identify: Identify) => void;
  readonly reject: (error: Error) => void;
}

/**
 * Endpoints on the host side of one serial port, with a rig adapter at the other end that hosts the
 * devices (docs/rigs.md). Envelopes travel as CBOR in CRC-checked frames. Every attach and reopen tells
 * the adapter our addresses in a hello and waits for its identify, so once `attach` resolves the
 * adapter knows where to send device output. A send resolves once the frame is written and drained.
 *
 * When the port closes or fails, pending sends and waits reject at once with RigLinkError, listeners
 * hear it through onError, and the bus refuses work until reopen() succeeds; endpoints stay attached.
 */
export class SerialBus implements Bus {
  private readonly events: BusEvents;
  private readonly endpoints = new Map<string, EndpointCore>();
  private readonly pendingHellos = new Map<number, PendingHello>();
  private readonly clock: Clock;
  private readonly helloTimeoutMs: number;
  private line: SerialLine | undefined;
  private status: SerialBusState = 'opening';
  private lostBy: Error | undefined;
  private identity: AdapterIdentity | undefined;
  private nextSeq = 1;
  private reopening: Promise<void> | undefined;

  private constructor(private readonly options: SerialBusOptions) {
    this.clock = options.clock ?? new RealClock();
    this.helloTimeoutMs = options.helloTimeoutMs ?? 2000;
    this.events = new BusEvents(this.clock);
  }

  /** Opens the port and greets the adapter; RigLinkError if either fails, RigProtocolError if it speaks another protocol. */
  static async open(options: SerialBusOptions): Promise<SerialBus> {
    checkBaud(options.baud);
    const bus = new SerialBus(options);
    try {
      await bus.connect();
    } catch (error) {
      await bus.close();
      throw error;
    }
    return bus;
  }

  get path(): string {
    return this.options.path;
  }

  get state(): SerialBusState {
    return this.status;
  }

  /** What the adapter last said it is and which devices it hosts. */
  get adapter(): AdapterIdentity {
    if (this.identity === undefined) throw new RigLinkError(this.path, 'the adapter has not identified itself');
    return this.identity;
  }

  /** After a loss: opens the port afresh and greets the adapter again. Does nothing while open. */
  reopen(): Promise<void> {
    if (this.status === 'closed') return Promise.reject(new LinkClosedError(`serial bus on ${this.path} is closed`));
    if (this.status === 'open') return Promise.resolve();
    this.reopening ??= this.connect()
      .catch((error: unknown) => {
        if (this.status === 'opening') {
          this.status = 'lost';
          this.lostBy = error instanceof Error ? error : new RigLinkError(this.path, String(error));
        }
        throw error;
      })
      .finally(() => {
        this.reopening = undefined;
      });
    return this.reopening;
  }

  async attach(address: string, handler?: EnvelopeHandler): Promise<Endpoint> {
    checkName(address, 'endpoint address');
    const blocked = this.blockedReason();
    if (blocked !== undefined) throw blocked;
    if (this.endpoints.has(address) || this.identity?.devices.includes(address)) throw new AddressInUseError(address);
    const core = new EndpointCore(address, handler, this.clock, this.events, () => this.blockedReason());
    this.endpoints.set(address, core);
    try {
      await this.hello(this.currentLine());
    } catch (error) {
      this.endpoints.delete(address);
      core.close();
      throw error;
    }
    return endpointFor(core, (e) => this.transmit(e), () => this.detach(core));
  }

  onFrame(listener: FrameListener): Unsubscribe {
    return this.events.onFrame(listener);
  }

  onError(listener: ErrorListener): Unsubscribe {
    return this.events.onError(listener);
  }

  async close(): Promise<void> {
    if (this.status === 'closed') return;
    this.status = 'closed';
    const closed = new LinkClosedError(`serial bus on ${this.path} is closed`);
    this.failHellos(closed);
    for (const core of this.endpoints.values()) core.close(closed);
    this.endpoints.clear();
    await this.line?.close();
  }

  private async connect(): Promise<void> {
    this.status = 'opening';
    const line: SerialLine = new SerialLine(
      {
        path: this.path,
        baud: this.options.baud,
        binding: this.options.binding ?? SerialPort.binding,
        clock: this.clock,
        openTimeoutMs: this.helloTimeoutMs,
        writeTimeoutMs: this.options.writeTimeoutMs,
        maxPayloadBytes: this.options.maxPayloadBytes,
      },
      {
        frame: (payload) => this.receive(line, payload),
        frameError: (error) => this.events.error(error),
        lost: (error) => this.onLost(line, error),
      },
    );
    this.line = line;
    await line.open();
    const identify = await this.hello(line);
    if (this.line !== line || this.status !== 'opening') throw this.blockedReason() ?? new RigLinkError(this.path, 'reopened meanwhile');
    this.identity = withoutSeq(identify);
    this.lostBy = undefined;
    this.status = 'open';
  }

  /** Tells the adapter our addresses; resolves with its identify. */
  private async hello(line: SerialLine): Promise<Identify> {
    const seq = this.nextSeq++;
    const answer = new Promise<Identify>((resolve, reject) => this.pendingHellos.set(seq, { resolve, reject }));
    answer.catch(() => undefined);
    try {
      const host = this.options.host ?? 'hanlab';
      await line.send(encodeRigMessage({ type: 'hello', seq, host, addresses: [...this.endpoints.keys()] }));
      const noAnswer = (): RigLinkError =>
        new RigLinkError(this.path, `the adapter did not answer hello ${seq} within ${this.helloTimeoutMs} ms (is it powered, on this port, at ${this.options.baud} baud, speaking rig protocol 1?)`);
      return await withTimeout(this.clock, answer, this.helloTimeoutMs, `the adapter on ${this.path}`, noAnswer);
    } finally {
      this.pendingHellos.delete(seq);
    }
  }

  private async transmit(envelope: Envelope): Promise<void> {
    const blocked = this.blockedReason();
    if (blocked !== undefined) throw blocked;
    if (!this.adapter.devices.includes(envelope.to)) throw new NoRouteError(envelope);
    const payload = encodeRigMessage({ type: 'envelope', envelope });
    this.events.frame('sent', envelope);
    await this.currentLine().send(payload);
  }

  private receive(line: SerialLine, payload: Uint8Array): void {
    if (line !== this.line) return;
    let message: RigMessage;
    try {
      message = decodeRigMessage(payload);
    } catch (error) {
      this.events.error(error as TransportError);
      return;
    }
    switch (message.type) {
      case 'envelope':
        return this.deliver(message.envelope);
      case 'identify':
        return this.identified(message);
      case 'report':
        return this.events.error(new AdapterReportError(this.path, message.text, message.id));
      case 'hello':
        return this.events.error(new RigProtocolError(`the adapter on ${this.path} sent a hello; only the host does`));
    }
  }

  private deliver(envelope: Envelope): void {
    const core = this.endpoints.get(envelope.to);
    if (core === undefined) {
      this.events.error(new NoRouteError(envelope));
      return;
    }
    this.events.frame('delivered', envelope);
    core.deliver(envelope);
  }

  private identified(identify: Identify): void {
    if (identify.seq === undefined) {
      // Unprompted: the devices behind the adapter changed (one restarted, or was swapped).
      if (this.status === 'open') this.identity = withoutSeq(identify);
      return;
    }
    const pending = this.pendingHellos.get(identify.seq);
    if (pending === undefined) {
      this.events.error(new RigProtocolError(`the adapter on ${this.path} answered hello ${identify.seq}, which is not awaited`));
      return;
    }
    if (this.status === 'open') this.identity = withoutSeq(identify);
    pending.resolve(identify);
  }

  private onLost(line: SerialLine, error: RigLinkError): void {
    if (line !== this.line || this.status === 'closed') return;
    const wasOpen = this.status === 'open';
    this.status = 'lost';
    this.lostBy = error;
    this.failHellos(error);
    for (const core of this.endpoints.values()) core.failWaiters(error);
    if (wasOpen) this.events.error(error);
  }

  private async detach(core: EndpointCore): Promise<void> {
    if (core.isClosed) return;
    core.close();
    if (this.endpoints.get(core.address) === core) this.endpoints.delete(core.address);
    if (this.status !== 'open') return;
    // The adapter stops sending to the address; if it does not hear, its frames are reported as unroutable.
    await this.hello(this.currentLine()).catch(() => undefined);
  }

  private currentLine(): SerialLine {
    if (this.line === undefined) throw new RigLinkError(this.path, 'not open');
    return this.line;
  }

  /** Why nothing can be sent or awaited right now, or undefined when open. */
  private blockedReason(): Error | undefined {
    switch (this.status) {
      case 'open':
        return undefined;
      case 'opening':
        return new RigLinkError(this.path, 'still opening');
      case 'lost':
        return this.lostBy ?? new RigLinkError(this.path, 'link lost');
      case 'closed':
        return new LinkClosedError(`serial bus on ${this.path} is closed`);
    }
  }

  private failHellos(error: Error): void {
    for (const pending of this.pendingHellos.values()) pending.reject(error);
    this.pendingHellos.clear();
  }
}

function withoutSeq({ adapter, firmware, devices }: Identify): AdapterIdentity {
  return { adapter, firmware, devices };
}

function checkBaud(baud: number): void {
  if (!Number.isSafeInteger(baud) || baud <= 0) throw new RangeError(`baud must be a positive integer, got ${baud}`);
}
