import { normaliseEui, type Eui } from '../../src/crypto/eui.ts';
import type { Clock } from '../../src/time/clock.ts';
import type { Random } from '../../src/time/random.ts';
import type { Bus, Endpoint } from '../../src/transport/bus.ts';
import { envelopeIds, type Envelope, type EnvelopeMeta, type Protocol } from '../../src/transport/envelope.ts';
import { FaultSwitches } from './faults.ts';

/** What every simulated device runs on: one clock, its own random stream, and the bus it is attached to. */
export interface DeviceEnvironment {
  clock: Clock;
  random: Random;
  bus: Bus;
}

export type DeviceKind = 'CHF' | 'GPF' | 'ESME' | 'GSME' | 'PPMID' | 'IHD';

/**
 * A simulated device on the bus: an address (its EUI-64), fault switches on everything it sends and receives,
 * and power. Powered off, it neither receives nor sends; what it keeps across a power cut is its own business
 * (`onPowerOff`/`onPowerOn`), as with real devices that keep non-volatile state.
 */
export abstract class SimDevice {
  readonly eui: Eui;
  abstract readonly kind: DeviceKind;
  readonly faults: FaultSwitches;
  protected readonly clock: Clock;
  protected readonly random: Random;
  private readonly bus: Bus;
  private endpoint: Endpoint | undefined;
  private poweredOn = true;
  private readonly nextId: () => string;

  constructor(env: DeviceEnvironment, eui: Eui) {
    this.eui = normaliseEui(eui);
    this.clock = env.clock;
    this.bus = env.bus;
    this.random = env.random.fork(`device/${this.eui}`);
    this.faults = new FaultSwitches(() => this.random.fork('faults'));
    this.nextId = envelopeIds(this.eui);
  }

  get powered(): boolean {
    return this.poweredOn;
  }

  /** The device's own idea of the time: the clock plus any drift switched on. */
  deviceTime(): number {
    return this.clock.now() + this.faults.clockDriftMs;
  }

  async start(): Promise<void> {
    if (this.endpoint) return;
    this.endpoint = await this.bus.attach(this.eui, (envelope) => this.receive(envelope));
  }

  async stop(): Promise<void> {
    const ep = this.endpoint;
    this.endpoint = undefined;
    await ep?.close();
  }

  powerOff(): void {
    if (!this.poweredOn) return;
    this.poweredOn = false;
    this.onPowerOff();
  }

  powerOn(): void {
    if (this.poweredOn) return;
    this.poweredOn = true;
    this.onPowerOn();
  }

  reboot(): void {
    this.powerOff();
    this.powerOn();
  }

  /** Volatile state is lost here. */
  protected onPowerOff(): void {}
  protected onPowerOn(): void {}

  protected abstract handle(envelope: Envelope): void | Promise<void>;

  /** A handler that failed outside the bus's own call (after a fault delay): reported, never thrown. */
  protected onHandlerError(error: unknown): void {
    process.emitWarning(`device ${this.eui}: ${error instanceof Error ? error.message : String(error)}`);
  }

  /** Sends through the fault switches; a powered-off or detached device sends nothing. */
  protected async transmit(to: string, protocol: Protocol, payload: Uint8Array, meta?: EnvelopeMeta): Promise<void> {
    if (!this.poweredOn || !this.endpoint) return;
    const verdict = this.faults.judge('out', payload);
    if (!verdict.deliver) return;
    const endpoint = this.endpoint;
    const send = async () => {
      for (let i = 0; i < verdict.copies; i++) {
        const id = this.nextId();
        await endpoint.send(meta ? { id, to, protocol, payload: verdict.payload, meta } : { id, to, protocol, payload: verdict.payload });
      }
    };
    if (verdict.delayMs > 0) {
      this.clock.setTimer(verdict.delayMs, () => void send().catch((e: unknown) => this.onHandlerError(e)));
      return;
    }
    await send();
  }

  private async receive(envelope: Envelope): Promise<void> {
    if (!this.poweredOn) return;
    const verdict = this.faults.judge('in', envelope.payload);
    if (!verdict.deliver) return;
    const delivered = verdict.payload === envelope.payload ? envelope : { ...envelope, payload: verdict.payload };
    const run = async () => {
      for (let i = 0; i < verdict.copies; i++) if (this.poweredOn) await this.handle(delivered);
    };
    if (verdict.delayMs > 0) this.clock.setTimer(verdict.delayMs, () => void run().catch((e: unknown) => this.onHandlerError(e)));
    else await run();
  }
}
