import type { Clock } from '../time/clock.ts';
import { withTimeout } from '../time/timeout.ts';
import type { Endpoint, EnvelopeHandler, OutgoingEnvelope, WaitOptions } from './bus.ts';
import type { BusEvents } from './bus-events.ts';
import type { Envelope } from './envelope.ts';
import { EnvelopeError, HandlerError, LinkClosedError } from './errors.ts';

interface Waiter {
  readonly match: (envelope: Envelope) => boolean;
  readonly resolve: (envelope: Envelope) => void;
  readonly reject: (error: unknown) => void;
}

/** The link of a bus that cannot be cut (in memory): one function for every endpoint rather than one each. */
const neverBlocked = (): Error | undefined => undefined;

/** What every endpoint does the same whatever the link: stamping `from`, handler calls, waiters. */
export class EndpointCore {
  private readonly waiters = new Set<Waiter>();
  private closedBy: Error | undefined;

  constructor(
    readonly address: string,
    private readonly handler: EnvelopeHandler | undefined,
    private readonly clock: Clock,
    private readonly events: BusEvents,
    /** Why the link cannot deliver right now (e.g. broker gone), so that new waits fail at once instead of timing out. */
    private readonly linkBlocked: () => Error | undefined = neverBlocked,
  ) {}

  get isClosed(): boolean {
    return this.closedBy !== undefined;
  }

  /** Fills in `from`, refusing to send as someone else. */
  stamp(outgoing: OutgoingEnvelope): Envelope {
    if (this.closedBy !== undefined) throw this.closedBy;
    const from = outgoing.from ?? this.address;
    if (from !== this.address) throw new EnvelopeError(`endpoint ${this.address} cannot send as ${JSON.stringify(from)}`);
    return { ...outgoing, from };
  }

  deliver(envelope: Envelope): void {
    if (this.closedBy !== undefined) return;
    this.callHandler(envelope);
    for (const waiter of this.waiters) {
      let matched: boolean;
      try {
        matched = waiter.match(envelope);
      } catch (error) {
        this.waiters.delete(waiter);
        waiter.reject(error);
        continue;
      }
      if (matched) {
        this.waiters.delete(waiter);
        waiter.resolve(envelope);
      }
    }
  }

  waitFor(options: WaitOptions): Promise<Envelope> {
    const blocked = this.closedBy ?? this.linkBlocked();
    if (blocked !== undefined) return Promise.reject(blocked);
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    let waiter: Waiter | undefined;
    const arrival = new Promise<Envelope>((resolve, reject) => {
      waiter = { match: options.match ?? (() => true), resolve, reject };
      this.waiters.add(waiter);
    });
    const onAbort = (): void => waiter?.reject(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const what = `an envelope at ${this.address}`;
    return withTimeout(this.clock, arrival, options.timeoutMs, what).finally(() => {
      if (waiter !== undefined) this.waiters.delete(waiter);
      signal?.removeEventListener('abort', onAbort);
    });
  }

  async request(send: () => Promise<void>, options: WaitOptions): Promise<Envelope> {
    const cancel = new AbortController();
    const signal = options.signal === undefined ? cancel.signal : AbortSignal.any([cancel.signal, options.signal]);
    const reply = this.waitFor({ ...options, signal });
    // Handled below either way; this stops a failed send from leaving the reply's rejection unobserved.
    reply.catch(() => undefined);
    try {
      await send();
    } catch (error) {
      cancel.abort(error);
      throw error;
    }
    return reply;
  }

  /** Rejects every pending wait with `error`; waits started later still work (the link may come back). */
  failWaiters(error: Error): void {
    for (const waiter of this.waiters) waiter.reject(error);
    this.waiters.clear();
  }

  close(reason = new LinkClosedError(`endpoint ${this.address} is closed`)): void {
    if (this.closedBy !== undefined) return;
    this.closedBy = reason;
    this.failWaiters(reason);
  }

  private callHandler(envelope: Envelope): void {
    if (this.handler === undefined) return;
    const report = (cause: unknown): void => this.events.error(new HandlerError(envelope, cause));
    try {
      const result = this.handler(envelope);
      if (result instanceof Promise) result.catch(report);
    } catch (cause) {
      report(cause);
    }
  }
}

/** The Endpoint a bus hands out for a core: stamped sends through `transmit`, waits and requests on the core. */
export function endpointFor(core: EndpointCore, transmit: (envelope: Envelope) => Promise<void>, close: () => Promise<void>): Endpoint {
  return new CoreEndpoint(core, transmit, close);
}

/**
 * Methods on a class rather than closures in an object: a simulator holds one endpoint per device, and tens of
 * thousands of them, so what each endpoint costs counts (closures made by object literals also carry a property
 * store each under tsx, whose keepNames renames every one of them).
 */
class CoreEndpoint implements Endpoint {
  readonly address: string;

  constructor(
    private readonly core: EndpointCore,
    private readonly transmit: (envelope: Envelope) => Promise<void>,
    readonly close: () => Promise<void>,
  ) {
    this.address = core.address;
  }

  async send(outgoing: OutgoingEnvelope): Promise<void> {
    return this.transmit(this.core.stamp(outgoing));
  }

  waitFor(options: WaitOptions): Promise<Envelope> {
    return this.core.waitFor(options);
  }

  request(outgoing: OutgoingEnvelope, options: WaitOptions): Promise<Envelope> {
    return this.core.request(() => this.send(outgoing), options);
  }
}
