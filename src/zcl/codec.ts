/**
 * ZCL frames through zigbee-herdsman: herdsman resolves clusters and commands (its own plus our Smart Energy custom
 * clusters), builds and parses the header, and reads and writes every field type. We drive its field reader and
 * writer ourselves instead of calling `Frame.toBuffer()` / `Frame.fromBuffer()`, because:
 *  - `toBuffer()` writes into a fixed 250-byte buffer and byte fields are copied with `Buffer.copy`, which truncates
 *    silently: a 3,000-byte GBCS message in Transfer Data comes out as a 250-byte frame with no error;
 *  - `fromBuffer()` returns short byte fields when a length-prefixed or rest-of-frame field runs past the end, and
 *    reports failures without the byte offset.
 * So encoding sizes the buffer from the payload, and decoding checks every field against the end of the frame.
 */
import { Zcl } from 'zigbee-herdsman';
import { BuffaloZcl } from 'zigbee-herdsman/dist/zspec/zcl/buffaloZcl.js';
import type { FoundationDefinition } from 'zigbee-herdsman/dist/zspec/zcl/definition/foundation.js';
import type { BuffaloZclOptions, Cluster, Command, Parameter } from 'zigbee-herdsman/dist/zspec/zcl/definition/tstype.js';
import { customClusters } from './custom-clusters.ts';
import { ZclDecodeError, ZclEncodeError, describeCause } from './errors.ts';

export type ZclDirection = 'clientToServer' | 'serverToClient';
export type ZclFrameType = 'global' | 'specific';
/** Cluster-specific payloads are objects keyed by field name; most global payloads are arrays of records. */
export type ZclPayload = Readonly<Record<string, unknown>> | readonly unknown[];

export interface ZclFrameSpec {
  /** herdsman cluster name ('genOta', 'seTunneling', 'sePrepayment', ...) or cluster id. */
  cluster: string | number;
  /** Command name or id; for global frames a foundation command ('read', 'readRsp', 'defaultRsp', ...). */
  command: string | number;
  frameType: ZclFrameType;
  direction: ZclDirection;
  seq: number;
  payload: ZclPayload;
  manufacturerCode?: number;
  disableDefaultResponse?: boolean;
}

export interface ZclHeaderFields {
  frameType: ZclFrameType;
  direction: ZclDirection;
  disableDefaultResponse: boolean;
  manufacturerCode?: number;
  seq: number;
  commandId: number;
}

export interface DecodedZcl {
  header: ZclHeaderFields;
  clusterId: number;
  /** herdsman's cluster name, or the id in decimal for a cluster nobody defines (possible for global frames only). */
  clusterName: string;
  commandName: string;
  payload: Record<string, unknown> | unknown[];
}

export interface DecodeOptions {
  /**
   * herdsman turns a field holding its type's reserved "no value" marker (0xFF.., or 0x80.. for signed types) into
   * NaN. Typed helpers that promise wire values set this to keep the marker as the number on the wire.
   */
  keepNoValueMarkers?: boolean;
}

const HEADER_LENGTH = 3;
const MANUFACTURER_HEADER_LENGTH = 5;
const MANUFACTURER_SPECIFIC_BIT = 0x04;

const LIST_TYPES: ReadonlySet<number> = new Set([
  Zcl.BuffaloZclDataType.LIST_UINT8,
  Zcl.BuffaloZclDataType.LIST_UINT16,
  Zcl.BuffaloZclDataType.LIST_UINT24,
  Zcl.BuffaloZclDataType.LIST_UINT32,
  Zcl.BuffaloZclDataType.LIST_ZONEINFO,
]);

/** Types whose values are whole numbers; Node's Buffer writers silently truncate 1.5 to 1 and write NaN as 0. */
const INTEGRAL_TYPES: ReadonlySet<number> = new Set(
  Object.entries(Zcl.DataType)
    .filter(([name]) => /^(U?INT|ENUM|BITMAP|DATA)\d+$|^(UTC|CLUSTER_ID|ATTR_ID|BAC_OID)$/.test(name))
    .map(([, id]) => id as number),
);

export const hex = (n: number, digits = 2): string => `0x${n.toString(16).padStart(digits, '0')}`;

/** A plain Uint8Array view of herdsman's Buffer (decoded byte fields are views on the decoder's private copy). */
function plainBytes(value: Uint8Array): Uint8Array {
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

export function typeName(type: number): string {
  return Zcl.DataType[type] ?? Zcl.BuffaloZclDataType[type] ?? `type ${type}`;
}

function isOptional(parameter: Parameter): boolean {
  return parameter.conditions?.some((c) => c.type === Zcl.ParameterCondition.MINIMUM_REMAINING_BUFFER_BYTES) ?? false;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** An upper bound on the bytes a payload can take on the wire, so the write buffer can never be too small. */
function encodedSizeBound(value: unknown): number {
  if (value === null || value === undefined) return 1;
  if (typeof value === 'number' || typeof value === 'bigint') return 8;
  if (typeof value === 'boolean') return 1;
  if (typeof value === 'string') return 2 + 3 * value.length;
  if (value instanceof Uint8Array) return 2 + value.length;
  if (typeof value === 'object') {
    let total = 2;
    for (const item of Array.isArray(value) ? value : Object.values(value)) total += 1 + encodedSizeBound(item);
    return total;
  }
  return 0;
}

function checkIntegral(type: number, value: unknown, where: string): void {
  if (typeof value === 'number' && !Number.isInteger(value) && INTEGRAL_TYPES.has(type)) {
    throw new ZclEncodeError(`${where}: ${value} is not a whole number (${typeName(type)})`);
  }
}

function checkWholeNumber(value: number, what: string, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new ZclEncodeError(`${what} must be a whole number 0..${hex(max)}, got ${value}`);
  }
}

function writeClusterPayload(buffalo: BuffaloZcl, cluster: Cluster, command: Command, payload: ZclPayload): void {
  const where = `${cluster.name}.${command.name}`;
  if (!isRecord(payload)) throw new ZclEncodeError(`${where}: payload must be an object keyed by field name`);
  const known = new Set(command.parameters.map((p) => p.name));
  for (const key of Object.keys(payload)) {
    if (!known.has(key)) throw new ZclEncodeError(`${where} has no field ${key} (fields: ${[...known].join(', ') || 'none'})`);
  }
  let omitted: string | undefined;
  for (const parameter of command.parameters) {
    if (!Zcl.Frame.conditionsValid(parameter, payload, undefined)) continue;
    const value = payload[parameter.name];
    if (value === undefined || value === null) {
      if (!isOptional(parameter)) throw new ZclEncodeError(`${where}: missing field ${parameter.name}`);
      omitted ??= parameter.name;
      continue;
    }
    if (omitted !== undefined) {
      throw new ZclEncodeError(`${where}: ${parameter.name} cannot follow the omitted optional field ${omitted}`);
    }
    checkIntegral(parameter.type, value, `${where}.${parameter.name}`);
    try {
      buffalo.write(parameter.type, Zcl.Utils.processParameterWrite(parameter, value), {});
    } catch (cause) {
      throw new ZclEncodeError(`${where}.${parameter.name} (${typeName(parameter.type)}): ${describeCause(cause)}`, { cause });
    }
  }
}

function writeGlobalPayload(buffalo: BuffaloZcl, command: FoundationDefinition, payload: ZclPayload): void {
  const records = Array.isArray(payload) ? payload : [payload];
  for (const record of records) {
    if (isRecord(record) && typeof record.dataType === 'number') {
      const value = record.attrData;
      if (typeof value === 'number' && Number.isNaN(value)) {
        throw new ZclEncodeError(`${command.name}: attribute ${String(record.attrId)} value is NaN; send the type's "no value" marker explicitly`);
      }
      checkIntegral(record.dataType, value, `${command.name}: attribute ${String(record.attrId)}`);
    }
  }
  try {
    command.write(buffalo, payload as Parameters<FoundationDefinition['write']>[1]);
  } catch (cause) {
    throw new ZclEncodeError(`${command.name}: ${describeCause(cause)}`, { cause });
  }
}

function encodeChecked(spec: ZclFrameSpec): Uint8Array {
  checkWholeNumber(spec.seq, 'seq', 0xff);
  if (spec.manufacturerCode !== undefined) {
    checkWholeNumber(spec.manufacturerCode, 'manufacturerCode', 0xffff);
    // herdsman writes the manufacturer-specific bit but drops a zero code from the header: the frame would be garbage.
    if (spec.manufacturerCode === 0) throw new ZclEncodeError('manufacturer code 0x0000 cannot be encoded with herdsman');
  }
  const frameType = spec.frameType === 'global' ? Zcl.FrameType.GLOBAL : Zcl.FrameType.SPECIFIC;
  const direction = spec.direction === 'clientToServer' ? Zcl.Direction.CLIENT_TO_SERVER : Zcl.Direction.SERVER_TO_CLIENT;
  let frame: Zcl.Frame;
  try {
    frame = Zcl.Frame.create(
      frameType,
      direction,
      spec.disableDefaultResponse ?? false,
      spec.manufacturerCode,
      spec.seq,
      spec.command,
      spec.cluster,
      spec.payload,
      customClusters,
    );
  } catch (cause) {
    throw new ZclEncodeError(
      `no ${spec.frameType} command ${String(spec.command)} (${spec.direction}) in cluster ${String(spec.cluster)}: ${describeCause(cause)}`,
      { cause },
    );
  }
  const buffalo = new BuffaloZcl(Buffer.alloc(MANUFACTURER_HEADER_LENGTH + encodedSizeBound(spec.payload)));
  frame.header.write(buffalo);
  if (spec.frameType === 'global') {
    writeGlobalPayload(buffalo, frame.command as FoundationDefinition, spec.payload);
  } else {
    writeClusterPayload(buffalo, frame.cluster, frame.command as Command, spec.payload);
  }
  const written = buffalo.getWritten();
  return new Uint8Array(written.buffer, written.byteOffset, written.byteLength);
}

/**
 * Encode one ZCL frame. Throws ZclEncodeError for an unknown cluster or command, a missing or unknown field, or a
 * value the field's type or range cannot hold.
 */
export function encodeZcl(spec: ZclFrameSpec): Uint8Array {
  try {
    return encodeChecked(spec);
  } catch (error) {
    if (error instanceof ZclEncodeError) throw error;
    throw new ZclEncodeError(describeCause(error), { cause: error });
  }
}

/** What a failed read found: Node's RangeError on a read past the end becomes a plain "end of frame". */
function foundOnReadFailure(cause: unknown, frameLength: number): string {
  return cause instanceof RangeError ? `end of frame at byte ${frameLength}` : describeCause(cause);
}

function readClusterPayload(
  buffalo: BuffaloZcl,
  frameLength: number,
  cluster: Cluster,
  command: Command,
  options: DecodeOptions,
): Record<string, unknown> {
  const payload: Record<string, unknown> = {};
  command.parameters.forEach((parameter, index) => {
    const at = buffalo.getPosition();
    if (!Zcl.Frame.conditionsValid(parameter, payload, frameLength - at)) return;
    const what = `${cluster.name}.${command.name}.${parameter.name} (${typeName(parameter.type)})`;
    const readOptions: BuffaloZclOptions = { payload };
    if (LIST_TYPES.has(parameter.type)) {
      const count = payload[command.parameters[index - 1]?.name ?? ''];
      if (typeof count === 'number') readOptions.length = count;
    }
    // herdsman reads a rest-of-frame field as buffer.length bytes from wherever it starts, i.e. past the end.
    if (parameter.type === Zcl.BuffaloZclDataType.BUFFER) readOptions.length = frameLength - at;
    let raw: unknown;
    try {
      raw = buffalo.read(parameter.type, readOptions);
    } catch (cause) {
      throw new ZclDecodeError(what, at, foundOnReadFailure(cause, frameLength), { cause });
    }
    if (buffalo.getPosition() > frameLength) throw new ZclDecodeError(what, at, `end of frame at byte ${frameLength}`);
    let value: unknown;
    try {
      value = Zcl.Utils.processParameterRead(parameter, raw);
    } catch (cause) {
      throw new ZclDecodeError(`${what} within its allowed range`, at, String(raw), { cause });
    }
    const kept = options.keepNoValueMarkers && Number.isNaN(value) ? raw : value;
    payload[parameter.name] = kept instanceof Uint8Array ? plainBytes(kept) : kept;
  });
  return payload;
}

/** Offset of the command id byte in a frame with this header. */
export function commandIdOffset(header: ZclHeaderFields): number {
  return header.manufacturerCode === undefined ? HEADER_LENGTH - 1 : MANUFACTURER_HEADER_LENGTH - 1;
}

/** Offset of the first payload byte in a frame with this header. */
export function payloadOffset(header: ZclHeaderFields): number {
  return commandIdOffset(header) + 1;
}

/** herdsman hands out Buffers; callers get plain Uint8Array views, like every other byte field we return. */
function withPlainBytes(record: unknown): unknown {
  if (!isRecord(record)) return record;
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, value instanceof Uint8Array ? plainBytes(value) : value]));
}

function headerFields(header: Zcl.Header): ZclHeaderFields {
  const fields: ZclHeaderFields = {
    frameType: header.isGlobal ? 'global' : 'specific',
    direction: header.frameControl.direction === Zcl.Direction.CLIENT_TO_SERVER ? 'clientToServer' : 'serverToClient',
    disableDefaultResponse: header.frameControl.disableDefaultResponse,
    seq: header.transactionSequenceNumber,
    commandId: header.commandIdentifier,
  };
  if (header.manufacturerCode !== undefined) fields.manufacturerCode = header.manufacturerCode;
  return fields;
}

function decodeChecked(bytes: Uint8Array, clusterId: number, options: DecodeOptions): DecodedZcl {
  if (!Number.isInteger(clusterId) || clusterId < 0 || clusterId > 0xffff) {
    throw new ZclDecodeError('a cluster id 0x0000..0xffff', undefined, String(clusterId));
  }
  // A private copy: byte fields in the result are views on it, never on the caller's array.
  const buffer = Buffer.from(bytes);
  const headerLength = (buffer[0] ?? 0) & MANUFACTURER_SPECIFIC_BIT ? MANUFACTURER_HEADER_LENGTH : HEADER_LENGTH;
  if (buffer.length < headerLength) {
    throw new ZclDecodeError(`a ${headerLength}-byte ZCL header`, 0, `${buffer.length} byte${buffer.length === 1 ? '' : 's'}`);
  }
  const header = Zcl.Header.fromBuffer(buffer);
  if (header === undefined) throw new ZclDecodeError('a ZCL header', 0);
  if (!header.isGlobal && !header.isSpecific) {
    throw new ZclDecodeError('frame type global (0b00) or cluster-specific (0b01)', 0, `0b${header.frameControl.frameType.toString(2).padStart(2, '0')}`);
  }
  const fields = headerFields(header);
  const commandOffset = commandIdOffset(fields);
  const cluster = Zcl.Utils.getCluster(clusterId, header.manufacturerCode, customClusters);
  const buffalo = new BuffaloZcl(buffer, header.length);

  if (header.isGlobal) {
    let command;
    try {
      command = Zcl.Utils.getFoundationCommand(header.commandIdentifier);
    } catch (cause) {
      throw new ZclDecodeError('a global (foundation) command id', commandOffset, hex(header.commandIdentifier), { cause });
    }
    let payload: unknown;
    try {
      payload = command.parse(buffalo);
    } catch (cause) {
      throw new ZclDecodeError(`${command.name} payload`, buffalo.getPosition(), foundOnReadFailure(cause, buffer.length), { cause });
    }
    if (buffalo.getPosition() > buffer.length) {
      throw new ZclDecodeError(`${command.name} payload`, buffer.length, 'a field running past the end of the frame');
    }
    const records = Array.isArray(payload) ? payload.map(withPlainBytes) : withPlainBytes(payload);
    return { header: fields, clusterId, clusterName: cluster.name, commandName: command.name, payload: records as DecodedZcl['payload'] };
  }

  let command: Command;
  try {
    command =
      header.frameControl.direction === Zcl.Direction.CLIENT_TO_SERVER
        ? Zcl.Utils.getClusterCommand(cluster, header.commandIdentifier)
        : Zcl.Utils.getClusterCommandResponse(cluster, header.commandIdentifier);
  } catch (cause) {
    throw new ZclDecodeError(`a ${fields.direction} command of cluster ${cluster.name} (${hex(clusterId, 4)})`, commandOffset, hex(header.commandIdentifier), {
      cause,
    });
  }
  const payload = readClusterPayload(buffalo, buffer.length, cluster, command, options);
  return { header: fields, clusterId, clusterName: cluster.name, commandName: command.name, payload };
}

/**
 * Decode one ZCL frame received on `clusterId`. Trailing bytes after the last field are ignored, as ZCL asks of
 * receivers. Anything else that does not parse throws ZclDecodeError, with the byte offset where known.
 */
export function decodeZcl(bytes: Uint8Array, clusterId: number, options: DecodeOptions = {}): DecodedZcl {
  try {
    return decodeChecked(bytes, clusterId, options);
  } catch (error) {
    if (error instanceof ZclDecodeError) throw error;
    throw new ZclDecodeError('a decodable ZCL frame', undefined, describeCause(error), { cause: error });
  }
}
