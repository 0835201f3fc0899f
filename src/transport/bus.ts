import type { Envelope } from './envelope.ts';
import type { TransportError } from './errors.ts';

/** Receives every envelope addressed to an endpoint. A throw or rejection is reported as a HandlerError. */
export type EnvelopeHandler = (envelope: Envelope) => void | Promise<void>;

/** What an endpoint sends: `from` defaults to the endpoint's own address (and may not be anything else). */
export type OutgoingEnvelope = Omit<Envelope, 'from'> & { readonly from?: string };

export interface WaitOptions {
  /** Clock time to wait before rejecting with a TimeoutError. Required: no wait in hanlab is open-ended. */
  readonly timeoutMs: number;
  /** Which envelope to wait for; any, if omitted. */
  readonly match?: (envelope: Envelope) => boolean;
  /** Aborting rejects the wait with the signal's reason. */
  readonly signal?: AbortSignal;
}

export interface Endpoint {
  readonly address: string;
  /**
   * Resolves once the link has taken the envelope (in memory: scheduled; MQTT: acknowledged by the
   * broker). Rejects with EnvelopeError, NoRouteError, BrokerUnavailableError or LinkClosedError.
   */
  send(envelope: OutgoingEnvelope): Promise<void>;
  /** The next envelope arriving here after this call that matches. Rejects on timeout, link loss or close. */
  waitFor(options: WaitOptions): Promise<Envelope>;
  /** Starts waiting, then sends: a reply cannot slip in between, and a failed send cancels the wait. */
  request(envelope: OutgoingEnvelope, options: WaitOptions): Promise<Envelope>;
  /** Detaches; pending waits reject with LinkClosedError. */
  close(): Promise<void>;
}

/**
 * One frame seen by a bus: `sent` when an endpoint of this bus sent it, `delivered` when one received it, and
 * `unclaimed` when it came back for an endpoint of this bus that has gone since (it is dropped).
 */
export interface FrameEvent {
  readonly kind: 'sent' | 'delivered' | 'unclaimed';
  readonly envelope: Envelope;
  /** `sent` only: an endpoint of this bus has the recipient's address, so a `delivered` (or `unclaimed`) follows. */
  readonly local?: boolean;
  /** The bus clock's time, ms since the epoch. */
  readonly at: number;
}

export type FrameListener = (event: FrameEvent) => void;
export type ErrorListener = (error: TransportError) => void;
export type Unsubscribe = () => void;

/** A link that endpoints attach to by address. */
export interface Bus {
  attach(address: string, handler?: EnvelopeHandler): Promise<Endpoint>;
  /** Sees every envelope this bus sends or delivers, both directions; for the evidence log. */
  onFrame(listener: FrameListener): Unsubscribe;
  /**
   * Errors nobody's call is waiting on: a handler that threw, a malformed frame from the broker, a
   * connection lost or regained. Without a listener they become process warnings, never crashes.
   */
  onError(listener: ErrorListener): Unsubscribe;
  /** Detaches every endpoint; pending sends and waits reject with LinkClosedError. */
  close(): Promise<void>;
}
