/**
 * Read Attributes request and response (global commands 0x00 / 0x01) with attributes named as in herdsman's cluster
 * definitions and our Smart Energy ones: e.g. seMetering currentSummDelivered, instantaneousDemand, unitOfMeasure,
 * multiplier, divisor; sePrepayment creditRemaining, emergencyCreditRemaining, creditStatus.
 */
import { Zcl } from 'zigbee-herdsman';
import type { Attribute, Cluster } from 'zigbee-herdsman/dist/zspec/zcl/definition/tstype.js';
import { commandIdOffset, decodeZcl, encodeZcl, type ZclDirection, type ZclHeaderFields } from './codec.ts';
import { customClusters } from './custom-clusters.ts';
import { ZclDecodeError, ZclEncodeError, describeCause } from './errors.ts';

export const AttributeStatus = {
  SUCCESS: 0x00,
  UNSUPPORTED_ATTRIBUTE: 0x86,
} as const;

export type AttributeKey = string | number;

interface FrameOptions {
  seq: number;
  manufacturerCode?: number;
  disableDefaultResponse?: boolean;
}

export interface ReadAttributesRequestSpec extends FrameOptions {
  cluster: string | number;
  attributes: readonly AttributeKey[];
  /** Defaults to clientToServer (reading server attributes). */
  direction?: ZclDirection;
}

export interface ReadAttributesResponseSpec extends FrameOptions {
  cluster: string | number;
  /** The attributes asked for, in request order; each gets one record. */
  requested: readonly AttributeKey[];
  /** Values by attribute name. A requested attribute that the cluster does not define, or that has no value here, is answered UNSUPPORTED_ATTRIBUTE. */
  values: Readonly<Record<string, unknown>>;
  /** Defaults to serverToClient. */
  direction?: ZclDirection;
}

export interface RequestedAttribute {
  id: number;
  name?: string;
}

export interface DecodedReadAttributes {
  header: ZclHeaderFields;
  clusterName: string;
  attributes: RequestedAttribute[];
}

export interface AttributeRecord {
  id: number;
  name?: string;
  status: number;
  /** Present when status is SUCCESS. */
  dataType?: number;
  value?: unknown;
}

export interface DecodedReadAttributesResponse {
  header: ZclHeaderFields;
  clusterName: string;
  records: AttributeRecord[];
}

function resolveCluster(key: string | number, manufacturerCode: number | undefined): Cluster {
  try {
    return Zcl.Utils.getCluster(key, manufacturerCode, customClusters);
  } catch (cause) {
    throw new ZclEncodeError(`unknown cluster ${String(key)}: ${describeCause(cause)}`, { cause });
  }
}

/**
 * Attribute lookups by cluster, kept: herdsman finds an attribute by id with a scan of the whole cluster
 * (Metering has hundreds), and every read and response asks again for the same few. Cluster definitions are
 * fixed objects, so their answers do not change.
 */
const attributeLookups = new WeakMap<Cluster, Map<string, Attribute | undefined>>();

function findAttribute(cluster: Cluster, key: AttributeKey, manufacturerCode: number | undefined): Attribute | undefined {
  let known = attributeLookups.get(cluster);
  if (!known) attributeLookups.set(cluster, (known = new Map()));
  const id = `${typeof key}:${key}:${manufacturerCode ?? ''}`;
  if (known.has(id)) return known.get(id);
  const attribute = Zcl.Utils.getClusterAttribute(cluster, key, manufacturerCode);
  known.set(id, attribute);
  return attribute;
}

function attributeId(cluster: Cluster, key: AttributeKey, manufacturerCode: number | undefined): number {
  if (typeof key === 'number') {
    if (!Number.isInteger(key) || key < 0 || key > 0xffff) throw new ZclEncodeError(`attribute id must be 0..0xffff, got ${key}`);
    return key;
  }
  const attribute = findAttribute(cluster, key, manufacturerCode);
  if (attribute === undefined) throw new ZclEncodeError(`cluster ${cluster.name} has no attribute named ${key}`);
  return attribute.ID;
}

function frameFields(spec: FrameOptions): FrameOptions {
  return {
    seq: spec.seq,
    ...(spec.manufacturerCode === undefined ? {} : { manufacturerCode: spec.manufacturerCode }),
    ...(spec.disableDefaultResponse === undefined ? {} : { disableDefaultResponse: spec.disableDefaultResponse }),
  };
}

export function encodeReadAttributes(spec: ReadAttributesRequestSpec): Uint8Array {
  const cluster = resolveCluster(spec.cluster, spec.manufacturerCode);
  if (spec.attributes.length === 0) throw new ZclEncodeError('a Read Attributes request needs at least one attribute');
  const payload = spec.attributes.map((key) => ({ attrId: attributeId(cluster, key, spec.manufacturerCode) }));
  return encodeZcl({
    cluster: cluster.ID,
    command: 'read',
    frameType: 'global',
    direction: spec.direction ?? 'clientToServer',
    payload,
    ...frameFields(spec),
  });
}

function decodeGlobal(bytes: Uint8Array, clusterId: number, commandName: 'read' | 'readRsp') {
  const decoded = decodeZcl(bytes, clusterId);
  if (decoded.header.frameType !== 'global' || decoded.commandName !== commandName) {
    throw new ZclDecodeError(`a ${commandName} command`, commandIdOffset(decoded.header), `${decoded.header.frameType} ${decoded.commandName}`);
  }
  const cluster = Zcl.Utils.getCluster(clusterId, decoded.header.manufacturerCode, customClusters);
  const nameOf = (id: number) => findAttribute(cluster, id, decoded.header.manufacturerCode)?.name;
  return { decoded, nameOf };
}

export function decodeReadAttributes(bytes: Uint8Array, clusterId: number): DecodedReadAttributes {
  const { decoded, nameOf } = decodeGlobal(bytes, clusterId, 'read');
  const attributes = (decoded.payload as { attrId: number }[]).map(({ attrId }) => {
    const name = nameOf(attrId);
    return name === undefined ? { id: attrId } : { id: attrId, name };
  });
  return { header: decoded.header, clusterName: decoded.clusterName, attributes };
}

export function encodeReadAttributesResponse(spec: ReadAttributesResponseSpec): Uint8Array {
  const cluster = resolveCluster(spec.cluster, spec.manufacturerCode);
  if (spec.requested.length === 0) throw new ZclEncodeError('a Read Attributes response needs at least one record');
  const payload = spec.requested.map((key) => {
    const attribute = findAttribute(cluster, key, spec.manufacturerCode);
    const value = attribute === undefined ? undefined : spec.values[attribute.name];
    if (attribute === undefined || value === undefined) {
      return { attrId: attribute?.ID ?? attributeId(cluster, key, spec.manufacturerCode), status: AttributeStatus.UNSUPPORTED_ATTRIBUTE };
    }
    return { attrId: attribute.ID, status: AttributeStatus.SUCCESS, dataType: attribute.type, attrData: value };
  });
  return encodeZcl({
    cluster: cluster.ID,
    command: 'readRsp',
    frameType: 'global',
    direction: spec.direction ?? 'serverToClient',
    payload,
    ...frameFields(spec),
  });
}

export function decodeReadAttributesResponse(bytes: Uint8Array, clusterId: number): DecodedReadAttributesResponse {
  const { decoded, nameOf } = decodeGlobal(bytes, clusterId, 'readRsp');
  const records = (decoded.payload as { attrId: number; status: number; dataType?: number; attrData?: unknown }[]).map((raw) => {
    const record: AttributeRecord = { id: raw.attrId, status: raw.status };
    const name = nameOf(raw.attrId);
    if (name !== undefined) record.name = name;
    if (raw.dataType !== undefined) {
      record.dataType = raw.dataType;
      record.value = raw.attrData;
    }
    return record;
  });
  return { header: decoded.header, clusterName: decoded.clusterName, records };
}
