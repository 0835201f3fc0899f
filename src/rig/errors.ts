import { TransportError } from '../transport/errors.ts';

/**
 * The serial link to a rig adapter cannot carry frames: the port would not open, was unplugged, failed a
 * write, stalled, or the adapter did not identify itself. An infrastructure error: the step it interrupts
 * ends in **error**, never **fail**.
 */
export class RigLinkError extends TransportError {
  override readonly name = 'RigLinkError';
  constructor(
    /** The serial port, e.g. /dev/ttyUSB0. */
    readonly path: string,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`rig link ${path}: ${detail}`, options);
  }
}

/** The adapter sent a well-framed message that breaks the rig protocol (unknown type, bad fields, other version). */
export class RigProtocolError extends TransportError {
  override readonly name = 'RigProtocolError';
}

/** The adapter reported a problem of its own, e.g. a device behind it that did not take a frame. */
export class AdapterReportError extends TransportError {
  override readonly name = 'AdapterReportError';
  constructor(
    readonly path: string,
    readonly text: string,
    /** The envelope the report is about, when it is about one. */
    readonly envelopeId?: string,
  ) {
    super(`rig adapter on ${path} reports${envelopeId === undefined ? '' : ` about frame ${envelopeId}`}: ${text}`);
  }
}
