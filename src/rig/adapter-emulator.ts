import type { Bus, Endpoint } from '../transport/bus.ts';
import type { Envelope } from '../transport/envelope.ts';
import { decodeRigMessage, encodeRigMessage, type Hello, type RigMessage } from './adapter-protocol.ts';
import type { ByteLink } from './byte-link.ts';
import { encodeFrame, FrameDecoder } from './framing.ts';

export interface AdapterEmulatorOptions {
  /** The adapter's end of the serial line. */
  readonly link: ByteLink;
  /** Where the devices live (an InMemoryBus of simulated devices): the emulator stands in there for each host address. */
  readonly bus: Bus;
  /** The addresses of the devices it hosts; they attach to `bus` themselves. */
  readonly devices: readonly string[];
  readonly adapter?: string;
  readonly firmware?: string;
  readonly maxPayloadBytes?: number;
}

/**
 * Plays a lab rig adapter in software, the reference for what adapter firmware must do (docs/rigs.md):
 * answers each hello with an identify, forwards host envelopes to the devices, and device envelopes
 * addressed to the host back up the line. Whatever it cannot deliver, it reports to the host; it never
 * drops a frame silently.
 */
export class AdapterEmulator {
  private readonly decoder: FrameDecoder;
  /** One endpoint on `bus` per address the host announced, so device replies have somewhere to go. */
  private readonly standIns = new Map<string, Endpoint>();
  private devices: readonly string[];
  private work: Promise<void> = Promise.resolve();
  private readonly stopListening: () => void;
  private stopped = false;

  constructor(private readonly options: AdapterEmulatorOptions) {
    this.devices = [...options.devices];
    this.decoder = new FrameDecoder({ maxPayloadBytes: options.maxPayloadBytes });
    this.stopListening = options.link.onData((chunk) => this.receive(chunk));
  }

  /** Changes the devices it hosts and tells the host unprompted, as an adapter does when a device restarts. */
  async setDevices(devices: readonly string[]): Promise<void> {
    this.devices = [...devices];
    await this.write(this.identify());
  }

  /** Stops answering and detaches its stand-ins; the devices stay on their bus. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopListening();
    await this.work;
    await Promise.all([...this.standIns.values()].map((standIn) => standIn.close()));
    this.standIns.clear();
  }

  private receive(chunk: Uint8Array): void {
    for (const item of this.decoder.push(chunk)) {
      if (item.type === 'error') {
        void this.write({ type: 'report', text: `from the host: ${item.error.message}` });
        continue;
      }
      let message: RigMessage;
      try {
        message = decodeRigMessage(item.payload);
      } catch (error) {
        void this.write({ type: 'report', text: `from the host: ${messageOf(error)}` });
        continue;
      }
      // In order: an envelope right behind a hello must see the stand-ins that hello asked for.
      this.work = this.work.then(() => this.handle(message)).catch((error: unknown) => this.write({ type: 'report', text: messageOf(error) }));
    }
  }

  private async handle(message: RigMessage): Promise<void> {
    if (this.stopped) return;
    switch (message.type) {
      case 'hello':
        await this.greet(message);
        return;
      case 'envelope':
        await this.forward(message.envelope);
        return;
      default:
        await this.write({ type: 'report', text: `hosts do not send ${message.type} messages` });
    }
  }

  private async greet(hello: Hello): Promise<void> {
    const wanted = new Set(hello.addresses);
    for (const [address, standIn] of this.standIns) {
      if (wanted.has(address)) continue;
      this.standIns.delete(address);
      await standIn.close();
    }
    for (const address of wanted) {
      if (this.standIns.has(address)) continue;
      this.standIns.set(address, await this.options.bus.attach(address, (envelope) => this.write({ type: 'envelope', envelope })));
    }
    await this.write(this.identify(hello.seq));
  }

  private async forward(envelope: Envelope): Promise<void> {
    const standIn = this.standIns.get(envelope.from);
    const refuse = (text: string): Promise<void> => this.write({ type: 'report', id: envelope.id, text });
    if (standIn === undefined) return refuse(`${envelope.from} was not in the host's last hello`);
    if (!this.devices.includes(envelope.to)) return refuse(`no device ${envelope.to} behind this adapter`);
    try {
      await standIn.send(envelope);
    } catch (error) {
      await refuse(`could not deliver to ${envelope.to}: ${messageOf(error)}`);
    }
  }

  private identify(seq?: number): RigMessage {
    const identity = { adapter: this.options.adapter ?? 'hanlab-adapter-emulator', firmware: this.options.firmware ?? '1.0.0', devices: this.devices };
    return seq === undefined ? { type: 'identify', ...identity } : { type: 'identify', seq, ...identity };
  }

  /** A line nobody listens on loses what is written, as a wire would; that is not the adapter's problem. */
  private async write(message: RigMessage): Promise<void> {
    if (this.stopped) return;
    try {
      await this.options.link.write(encodeFrame(encodeRigMessage(message), { maxPayloadBytes: this.options.maxPayloadBytes }));
    } catch {
      // Nothing to do: see above.
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
