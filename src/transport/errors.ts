import type { Envelope } from './envelope.ts';

/** Base of every error the transport layer raises on purpose. */
export class TransportError extends Error {
  override readonly name: string = 'TransportError';
}

/** Bytes or a value that is not a valid envelope. `cause` holds the CBOR decoder's complaint, when there was one. */
export class EnvelopeError extends TransportError {
  override readonly name = 'EnvelopeError';
}

/**
 * The broker cannot be reached, went away, or did not acknowledge in time. An infrastructure error:
 * the step it interrupts ends in **error**, never **fail**.
 */
export class BrokerUnavailableError extends TransportError {
  override readonly name: string = 'BrokerUnavailableError';
  constructor(
    readonly url: string,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`MQTT broker ${url} unavailable: ${detail}`, options);
  }
}

/** The broker refused our credentials (or our right to a topic). Retrying will not help. */
export class BrokerAuthError extends BrokerUnavailableError {
  override readonly name = 'BrokerAuthError';
}

/** The endpoint or the whole link was closed while a send or a wait was still pending. */
export class LinkClosedError extends TransportError {
  override readonly name = 'LinkClosedError';
}

/** Nobody is attached at the destination address of an in-memory bus. */
export class NoRouteError extends TransportError {
  override readonly name = 'NoRouteError';
  constructor(readonly envelope: Envelope) {
    super(`no endpoint attached at ${JSON.stringify(envelope.to)} for ${envelope.protocol} frame ${envelope.id} from ${envelope.from}`);
  }
}

/** Another endpoint on this bus already has the address. */
export class AddressInUseError extends TransportError {
  override readonly name = 'AddressInUseError';
  constructor(readonly address: string) {
    super(`address ${JSON.stringify(address)} is already attached on this bus`);
  }
}

/** An envelope handler threw or rejected. Delivery to other endpoints and waiters carries on. */
export class HandlerError extends TransportError {
  override readonly name = 'HandlerError';
  constructor(
    readonly envelope: Envelope,
    cause: unknown,
  ) {
    super(`handler at ${envelope.to} failed on ${envelope.protocol} frame ${envelope.id}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
  }
}
