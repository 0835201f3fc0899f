/**
 * Every decoding failure in the GBCS codec is one of these: where in the message it happened (byte offset
 * from the start of the whole message) and what the decoder expected there.
 */
export class GbcsDecodeError extends Error {
  override readonly name = 'GbcsDecodeError';
  constructor(
    readonly offset: number,
    readonly expected: string,
    readonly found?: string,
  ) {
    super(`at byte ${offset}: expected ${expected}${found === undefined ? '' : `, found ${found}`}`);
  }
}

export class GbcsEncodeError extends Error {
  override readonly name = 'GbcsEncodeError';
}
