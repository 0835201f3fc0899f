import type { CraFlag } from '../frame.ts';

/** JSON-safe values: payload fields are printed and written as evidence. Bytes are lower-case hex strings. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export type PayloadEncoding = 'dlms' | 'gbz' | 'asn1';

export interface PayloadContext {
  messageCode: number;
  cra: CraFlag;
  /** Absolute offset of the payload in the whole message: decoders report errors at whole-message offsets. */
  offset: number;
  /**
   * Decrypts an encrypted part of this message (AES-128-GCM ciphertext followed by its 12-byte tag) with the
   * key derived for this message; undefined when the key store lacks the keys or the tag does not authenticate.
   */
  decrypt?(ciphertextAndTag: Uint8Array): Uint8Array | undefined;
}

export interface DecodedPayload {
  encoding: PayloadEncoding;
  /** The structure decoded, e.g. `access-request`, `gbz-command`, `join-device-command`. */
  kind: string;
  /** Named fields, JSON-safe. Parts the decoder does not understand are kept as `{ "raw": "<hex>" }`, never dropped. */
  fields: Json;
  /** Whatever the codec needs to encode the payload again byte for byte. */
  tree: unknown;
}

export interface PayloadCodec {
  readonly encoding: PayloadEncoding;
  /** Throws GbcsDecodeError (with absolute offsets) on anything it cannot account for. */
  decode(bytes: Uint8Array, ctx: PayloadContext): DecodedPayload;
  /** encode(decode(b)) gives b again. */
  encode(payload: DecodedPayload): Uint8Array;
}
