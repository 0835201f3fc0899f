/**
 * The rig adapter protocol (docs/rigs.md): what one frame's payload means. The first byte says what the
 * message is, the rest is CBOR:
 *
 *   'H' hello     host → adapter   { v, seq, host, addresses }   the host's attached addresses, now
 *   'I' identify  adapter → host   { v, seq?, adapter, firmware, devices }   answers a hello (same seq), or
 *                                  unprompted (no seq) when the devices it hosts change
 *   'E' envelope  both ways        the transport envelope, exactly as encodeEnvelope writes it
 *   'R' report    adapter → host   { v, text, id? }   a problem on the adapter's side, about frame `id`
 *
 * Receivers ignore map keys they do not know, so firmware can add fields without a version change.
 */
import { Decoder, Encoder } from 'cbor-x';
import { decodeEnvelope, encodeEnvelope, isValidName, type Envelope } from '../transport/envelope.ts';
import { RigProtocolError } from './errors.ts';

export const RIG_PROTOCOL_VERSION = 1;

const TYPE_BYTE = { hello: 0x48, identify: 0x49, envelope: 0x45, report: 0x52 } as const;
type MessageType = keyof typeof TYPE_BYTE;

export interface Hello {
  readonly seq: number;
  /** The host software, e.g. `hanlab 0.1.0`. */
  readonly host: string;
  /** Every address attached on the host's side of this link; the adapter sends device output to these. */
  readonly addresses: readonly string[];
}

export interface Identify {
  /** The hello this answers; absent when the adapter speaks unprompted. */
  readonly seq?: number;
  /** What the adapter is, e.g. `hanlab-adapter-emulator` or a lab bridge's model. */
  readonly adapter: string;
  readonly firmware: string;
  /** The addresses (device EUIs) of the devices behind the adapter. */
  readonly devices: readonly string[];
}

export interface Report {
  readonly text: string;
  readonly id?: string;
}

export type RigMessage =
  | ({ readonly type: 'hello' } & Hello)
  | ({ readonly type: 'identify' } & Identify)
  | { readonly type: 'envelope'; readonly envelope: Envelope }
  | ({ readonly type: 'report' } & Report);

const cborOptions = { useRecords: false, mapsAsObjects: true, tagUint8Array: false, pack: false } as const;
const encoder = new Encoder(cborOptions);
const decoder = new Decoder(cborOptions);

const MAX_TEXT = 1024;

/** The payload of one frame. Throws EnvelopeError for an invalid envelope. */
export function encodeRigMessage(message: RigMessage): Uint8Array {
  let body: Uint8Array;
  switch (message.type) {
    case 'envelope':
      body = encodeEnvelope(message.envelope);
      break;
    case 'hello':
      body = cbor({ seq: message.seq, host: message.host, addresses: [...message.addresses] });
      break;
    case 'identify':
      body = cbor({ ...(message.seq === undefined ? {} : { seq: message.seq }), adapter: message.adapter, firmware: message.firmware, devices: [...message.devices] });
      break;
    case 'report':
      body = cbor({ text: message.text, ...(message.id === undefined ? {} : { id: message.id }) });
      break;
  }
  const out = new Uint8Array(body.length + 1);
  out[0] = TYPE_BYTE[message.type];
  out.set(body, 1);
  return out;
}

/** Reads one frame's payload: RigProtocolError when it is not a rig message, EnvelopeError for a bad envelope. */
export function decodeRigMessage(payload: Uint8Array): RigMessage {
  const type = messageType(payload[0]);
  const body = payload.subarray(1);
  if (type === 'envelope') return { type, envelope: decodeEnvelope(body) };
  const fields = cborMap(body, type);
  switch (type) {
    case 'hello':
      return { type, seq: sequence(fields.seq, type), host: text(fields.host, 'hello.host'), addresses: names(fields.addresses, 'hello.addresses') };
    case 'identify': {
      const identify = { adapter: text(fields.adapter, 'identify.adapter'), firmware: text(fields.firmware, 'identify.firmware'), devices: names(fields.devices, 'identify.devices') };
      return fields.seq === undefined ? { type, ...identify } : { type, seq: sequence(fields.seq, type), ...identify };
    }
    case 'report': {
      const reportText = text(fields.text, 'report.text');
      return fields.id === undefined ? { type, text: reportText } : { type, text: reportText, id: text(fields.id, 'report.id') };
    }
  }
}

function cbor(fields: Record<string, unknown>): Uint8Array {
  return new Uint8Array(encoder.encode({ v: RIG_PROTOCOL_VERSION, ...fields }));
}

function messageType(byte: number | undefined): MessageType {
  if (byte === undefined) throw new RigProtocolError('empty rig message');
  const type = (Object.keys(TYPE_BYTE) as MessageType[]).find((key) => TYPE_BYTE[key] === byte);
  if (type === undefined) throw new RigProtocolError(`unknown rig message type 0x${byte.toString(16).padStart(2, '0')}`);
  return type;
}

function cborMap(body: Uint8Array, type: MessageType): Record<string, unknown> {
  let value: unknown;
  try {
    value = decoder.decode(body);
  } catch (cause) {
    throw new RigProtocolError(`${type} message is not CBOR: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
    throw new RigProtocolError(`${type} message must be a CBOR map`);
  }
  const fields = value as Record<string, unknown>;
  if (fields.v !== RIG_PROTOCOL_VERSION) {
    throw new RigProtocolError(`${type} message speaks rig protocol version ${String(fields.v)}; this build speaks ${RIG_PROTOCOL_VERSION}`);
  }
  return fields;
}

function sequence(value: unknown, type: MessageType): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new RigProtocolError(`${type}.seq must be a non-negative integer`);
  return value;
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_TEXT) throw new RigProtocolError(`${what} must be a string of 1-${MAX_TEXT} characters`);
  return value;
}

function names(value: unknown, what: string): string[] {
  if (!Array.isArray(value)) throw new RigProtocolError(`${what} must be an array of addresses`);
  const bad = value.findIndex((item) => !isValidName(item));
  if (bad >= 0) throw new RigProtocolError(`${what}[${bad}] is ${JSON.stringify(value[bad])}, not an address (1-128 of A-Z a-z 0-9 . _ : ~ -)`);
  return value as string[];
}
