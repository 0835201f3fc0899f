import { checkedDelay, type Clock, type TimerHandle } from '../time/clock.ts';
import type { Bus, Endpoint, EnvelopeHandler, ErrorListener, FrameListener, Unsubscribe } from './bus.ts';
import { BusEvents } from './bus-events.ts';
import { EndpointCore, endpointFor } from './endpoint-core.ts';
import { checkName, validateEnvelope, type Envelope } from './envelope.ts';
import { AddressInUseError, LinkClosedError, NoRouteError } from './errors.ts';

export interface InMemoryBusOptions {
  /** Delivery is scheduled on this clock: with a VirtualClock nothing arrives until time is advanced. */
  readonly clock: Clock;
  /** Delay from send to delivery, fixed or per envelope (e.g. jitter from a Random fork). Default 0. */
  readonly latencyMs?: number | ((envelope: Envelope) => number);
}

/**
 * Endpoints in one process, delivering through the clock. Frames due at the same time arrive in the
 * order they were sent, so under a VirtualClock delivery order is deterministic. Every envelope is checked
 * as the CBOR codec checks it, so an envelope MQTT would refuse is refused here too, and its payload is
 * copied on the way: sender and receiver never share bytes.
 */
export class InMemoryBus implements Bus {
  private readonly clock: Clock;
  private readonly latencyOf: (envelope: Envelope) => number;
  private readonly events: BusEvents;
  private readonly endpoints = new Map<string, EndpointCore>();
  private readonly inFlight = new Set<TimerHandle>();
  private closed = false;

  constructor(options: InMemoryBusOptions) {
    this.clock = options.clock;
    const latency = options.latencyMs ?? 0;
    this.latencyOf = typeof latency === 'number' ? () => latency : latency;
    this.events = new BusEvents(this.clock);
  }

  async attach(address: string, handler?: EnvelopeHandler): Promise<Endpoint> {
    if (this.closed) throw new LinkClosedError('in-memory bus is closed');
    checkName(address, 'endpoint address');
    if (this.endpoints.has(address)) throw new AddressInUseError(address);
    const core = new EndpointCore(address, handler, this.clock, this.events);
    this.endpoints.set(address, core);
    return endpointFor(core, async (e) => this.transmit(e), async () => {
      core.close();
      if (this.endpoints.get(address) === core) this.endpoints.delete(address);
    });
  }

  onFrame(listener: FrameListener): Unsubscribe {
    return this.events.onFrame(listener);
  }

  onError(listener: ErrorListener): Unsubscribe {
    return this.events.onError(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.inFlight) this.clock.clearTimer(timer);
    this.inFlight.clear();
    for (const core of this.endpoints.values()) core.close(new LinkClosedError('in-memory bus is closed'));
    this.endpoints.clear();
  }

  private transmit(envelope: Envelope): void {
    if (this.closed) throw new LinkClosedError('in-memory bus is closed');
    // The same checks the CBOR codec applies (so what MQTT would refuse is refused here), and a copy of the
    // payload: sender and receiver never share bytes. Encoding to CBOR and back would add nothing to either.
    const sent = validateEnvelope(envelope);
    if (!this.endpoints.has(sent.to)) throw new NoRouteError(sent);
    const latency = checkedDelay(this.latencyOf(sent));
    this.events.frame('sent', sent, true);
    const timer = this.clock.setTimer(latency, () => {
      this.inFlight.delete(timer);
      this.deliver(validateEnvelope(sent));
    });
    this.inFlight.add(timer);
  }

  private deliver(envelope: Envelope): void {
    const target = this.endpoints.get(envelope.to);
    if (target === undefined) {
      this.events.frame('unclaimed', envelope);
      this.events.error(new NoRouteError(envelope));
      return;
    }
    this.events.frame('delivered', envelope);
    target.deliver(envelope);
  }
}
