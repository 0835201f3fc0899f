import { Decoder, Encoder } from 'cbor-x';
import { EnvelopeError } from './errors.ts';

export { EnvelopeError };

/** Known protocols, open to others (a rig may carry its own). */
export type Protocol = 'gbcs' | 'zcl' | 'ota' | (string & {});

/** Small, flat annotations (RSSI, a correlation id): nested values are not carried. */
export type EnvelopeMeta = Readonly<Record<string, string | number | boolean>>;

/** One frame between two addresses. `payload` is the protocol's own bytes, untouched. */
export interface Envelope {
  readonly from: string;
  readonly to: string;
  readonly protocol: Protocol;
  readonly payload: Uint8Array;
  /** Unique within a run; the evidence log and request/response matching key on it. */
  readonly id: string;
  readonly meta?: EnvelopeMeta;
}

/** Bumped when the wire shape changes; decoders refuse versions they do not know. */
export const ENVELOPE_WIRE_VERSION = 1;

/**
 * Addresses, protocols and run ids become MQTT topic levels, so they keep to characters that are safe
 * there and readable in a log: letters, digits and . _ : ~ -
 */
const NAME_PATTERN = /^[A-Za-z0-9._:~-]{1,128}$/;
const MAX_ID_LENGTH = 256;
/** Identifier-like, which also keeps out keys such as `__proto__` that CBOR decoders rewrite. */
const META_KEY_PATTERN = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/;

export function isValidName(text: unknown): text is string {
  return typeof text === 'string' && NAME_PATTERN.test(text);
}

export function checkName(text: unknown, what: string): string {
  if (!isValidName(text)) {
    throw new EnvelopeError(`${what} must be 1-128 of A-Z a-z 0-9 . _ : ~ -, got ${describe(text)}`);
  }
  return text;
}

/** Deterministic ids `<prefix>-1`, `<prefix>-2`, ...: same run, same ids. */
export function envelopeIds(prefix: string): () => string {
  let next = 1;
  return () => `${prefix}-${next++}`;
}

const cborOptions = { useRecords: false, mapsAsObjects: true, tagUint8Array: false, pack: false } as const;
const encoder = new Encoder(cborOptions);
const decoder = new Decoder(cborOptions);

/** Checks the envelope, then encodes it as one CBOR map. Throws EnvelopeError on an invalid envelope. */
export function encodeEnvelope(envelope: Envelope): Uint8Array {
  const valid = validateEnvelope(envelope);
  const wire: Record<string, unknown> = {
    v: ENVELOPE_WIRE_VERSION,
    from: valid.from,
    to: valid.to,
    protocol: valid.protocol,
    id: valid.id,
    payload: valid.payload,
  };
  if (valid.meta !== undefined) wire.meta = valid.meta;
  return new Uint8Array(encoder.encode(wire));
}

/** Decodes and checks one envelope; anything else (garbage, trailing bytes, wrong shape) throws EnvelopeError. */
export function decodeEnvelope(bytes: Uint8Array): Envelope {
  if (!(bytes instanceof Uint8Array)) throw new EnvelopeError(`envelope bytes must be a Uint8Array, got ${describe(bytes)}`);
  let wire: unknown;
  try {
    wire = decoder.decode(bytes);
  } catch (cause) {
    throw new EnvelopeError(`not a CBOR envelope (${bytes.length} bytes): ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  if (!isPlainObject(wire)) throw new EnvelopeError(`envelope must be a CBOR map with text keys, got ${describe(wire)}`);
  const { v, ...fields } = wire;
  if (v !== ENVELOPE_WIRE_VERSION) throw new EnvelopeError(`unknown envelope version ${describe(v)} (this build reads ${ENVELOPE_WIRE_VERSION})`);
  return validateEnvelope(fields);
}

const ENVELOPE_KEYS = new Set(['from', 'to', 'protocol', 'id', 'payload', 'meta']);

/** Returns a fresh, checked envelope (payload copied into a plain Uint8Array) or throws EnvelopeError. */
export function validateEnvelope(value: unknown): Envelope {
  if (!isPlainObject(value)) throw new EnvelopeError(`envelope must be an object, got ${describe(value)}`);
  const unknownKeys = Object.keys(value).filter((key) => !ENVELOPE_KEYS.has(key));
  if (unknownKeys.length > 0) throw new EnvelopeError(`envelope has unknown fields: ${unknownKeys.join(', ')}`);
  const from = checkName(value.from, 'envelope.from');
  const to = checkName(value.to, 'envelope.to');
  const protocol = checkName(value.protocol, 'envelope.protocol');
  const { id, payload, meta } = value;
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) {
    throw new EnvelopeError(`envelope.id must be a string of 1-${MAX_ID_LENGTH} characters, got ${describe(id)}`);
  }
  if (!(payload instanceof Uint8Array)) throw new EnvelopeError(`envelope.payload must be bytes, got ${describe(payload)}`);
  const envelope = { from, to, protocol, id, payload: new Uint8Array(payload) };
  return meta === undefined ? envelope : { ...envelope, meta: validateMeta(meta) };
}

function validateMeta(meta: unknown): EnvelopeMeta {
  if (!isPlainObject(meta)) throw new EnvelopeError(`envelope.meta must be a flat map, got ${describe(meta)}`);
  const entries = Object.entries(meta);
  for (const [key, value] of entries) {
    if (!META_KEY_PATTERN.test(key)) throw new EnvelopeError(`envelope.meta key ${describe(key)} must be 1-64 of A-Z a-z 0-9 . _ -, starting with a letter`);
    const ok = typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
    if (!ok) throw new EnvelopeError(`envelope.meta.${key} must be a string, finite number or boolean, got ${describe(value)}`);
  }
  // CBOR has no integer -0; normalising here keeps encode → decode exact.
  return Object.fromEntries(entries.map(([key, value]) => [key, Object.is(value, -0) ? 0 : value])) as EnvelopeMeta;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  return `${typeof value} ${String(value)}`;
}
