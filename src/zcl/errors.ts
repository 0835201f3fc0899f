/**
 * Every failure to decode a ZCL frame is one of these: what the decoder expected and, where known, the byte offset
 * from the start of the ZCL frame (frame control byte = offset 0). Errors thrown inside zigbee-herdsman are kept as
 * `cause`.
 */
export class ZclDecodeError extends Error {
  override readonly name = 'ZclDecodeError';
  constructor(
    readonly expected: string,
    readonly offset?: number,
    readonly found?: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${offset === undefined ? '' : `at byte ${offset}: `}expected ${expected}${found === undefined ? '' : `, found ${found}`}`,
      options,
    );
  }
}

/** Every refusal to encode a ZCL frame (unknown cluster or command, missing field, value out of range, ...). */
export class ZclEncodeError extends Error {
  override readonly name = 'ZclEncodeError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The message of whatever herdsman (or Node's Buffer) threw, for use as a `found` detail. */
export function describeCause(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
