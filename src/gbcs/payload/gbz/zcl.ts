import { GbcsEncodeError } from '../../errors.ts';
import type { Reader, Writer } from '../../reader.ts';
import { clusterCommand } from './clusters.ts';
import { decodeParams, encodeParams } from './layout.ts';
import {
  FRAME_MANUFACTURER_SPECIFIC,
  FRAME_SERVER_TO_CLIENT,
  FRAME_TYPE_CLUSTER,
  FRAME_TYPE_GLOBAL,
  FRAME_TYPE_MASK,
  type AttributeValue,
  type ReadAttributeRecord,
  type WriteAttributeStatus,
  type ZclHeader,
  type ZclPayload,
} from './model.ts';
import { GLOBAL } from './names.ts';
import { isSupportedType, readScalar, writeScalar } from './zcl-types.ts';

// ZCL is little-endian; the GBZ framing around it is big-endian, so these read and write by hand.
function u16le(r: Reader, what: string): number {
  const b = r.take(2, what);
  return b[0]! | (b[1]! << 8);
}

function writeU16le(w: Writer, v: number): void {
  w.u8(v & 0xff).u8(v >> 8);
}

export function decodeZclHeader(r: Reader): ZclHeader {
  const frameControl = r.u8('ZCL frame control');
  const header: ZclHeader = { frameControl, sequence: 0, commandId: 0 };
  if (frameControl & FRAME_MANUFACTURER_SPECIFIC) header.manufacturerCode = u16le(r, 'ZCL manufacturer code');
  header.sequence = r.u8('ZCL transaction sequence number');
  header.commandId = r.u8('ZCL command id');
  return header;
}

export function encodeZclHeader(w: Writer, h: ZclHeader): void {
  const manufacturerSpecific = (h.frameControl & FRAME_MANUFACTURER_SPECIFIC) !== 0;
  if (manufacturerSpecific !== (h.manufacturerCode !== undefined)) {
    throw new GbcsEncodeError('a ZCL manufacturer code goes with, and only with, the manufacturer-specific frame control bit');
  }
  w.u8(h.frameControl);
  if (h.manufacturerCode !== undefined) writeU16le(w, h.manufacturerCode);
  w.u8(h.sequence).u8(h.commandId);
}

/** Decodes a ZCL payload that fills the whole reader. */
export function decodeZclPayload(r: Reader, clusterId: number, h: ZclHeader): ZclPayload {
  const frameType = h.frameControl & FRAME_TYPE_MASK;
  if (frameType === FRAME_TYPE_GLOBAL) return decodeGlobal(r, h.commandId) ?? { type: 'raw', bytes: r.rest().slice() };
  if (frameType === FRAME_TYPE_CLUSTER) {
    const spec = clusterCommand(clusterId, (h.frameControl & FRAME_SERVER_TO_CLIENT) !== 0, h.commandId);
    if (spec?.params) {
      const { params, complete } = decodeParams(r, spec.params);
      const payload: ZclPayload = { type: 'command', params };
      if (!complete || !r.done) payload.trailing = r.rest().slice();
      return payload;
    }
  }
  return { type: 'raw', bytes: r.rest().slice() };
}

function decodeGlobal(r: Reader, commandId: number): ZclPayload | undefined {
  switch (commandId) {
    case GLOBAL.READ_ATTRIBUTES: {
      const attributeIds: number[] = [];
      while (!r.done) attributeIds.push(u16le(r, 'attribute id'));
      return { type: 'read-attributes', attributeIds };
    }
    case GLOBAL.READ_ATTRIBUTES_RESPONSE:
      return decodeReadAttributesResponse(r);
    case GLOBAL.WRITE_ATTRIBUTES:
    case GLOBAL.WRITE_ATTRIBUTES_UNDIVIDED:
    case GLOBAL.WRITE_ATTRIBUTES_NO_RESPONSE:
      return decodeWriteAttributes(r);
    case GLOBAL.WRITE_ATTRIBUTES_RESPONSE:
      return decodeWriteAttributesResponse(r);
    case GLOBAL.DEFAULT_RESPONSE: {
      const payload: ZclPayload = { type: 'default-response', commandId: r.u8('command id responded to'), status: r.u8('status') };
      r.end('Default Response');
      return payload;
    }
    default:
      return undefined;
  }
}

function decodeReadAttributesResponse(r: Reader): ZclPayload {
  const records: ReadAttributeRecord[] = [];
  while (!r.done) {
    const start = r.pos;
    const attributeId = u16le(r, 'attribute id');
    const status = r.u8('attribute status');
    if (status !== 0) {
      records.push({ attributeId, status });
      continue;
    }
    const dataType = r.u8('attribute data type');
    if (!isSupportedType(dataType)) {
      // Without the type's size the records that follow cannot be found: keep them as they are.
      r.pos = start;
      return { type: 'read-attributes-response', records, unparsed: r.rest().slice() };
    }
    records.push({ attributeId, status: 0, dataType, value: readScalar(r, dataType, 'attribute value') });
  }
  return { type: 'read-attributes-response', records };
}

function decodeWriteAttributes(r: Reader): ZclPayload {
  const records: AttributeValue[] = [];
  while (!r.done) {
    const start = r.pos;
    const attributeId = u16le(r, 'attribute id');
    const dataType = r.u8('attribute data type');
    if (!isSupportedType(dataType)) {
      r.pos = start;
      return { type: 'write-attributes', records, unparsed: r.rest().slice() };
    }
    records.push({ attributeId, dataType, value: readScalar(r, dataType, 'attribute value') });
  }
  return { type: 'write-attributes', records };
}

function decodeWriteAttributesResponse(r: Reader): ZclPayload {
  // One status alone means every write succeeded; otherwise each record names the attribute it is about.
  if (r.remaining === 1) return { type: 'write-attributes-response', records: [{ status: r.u8('status') }] };
  const records: WriteAttributeStatus[] = [];
  while (!r.done) records.push({ status: r.u8('status'), attributeId: u16le(r, 'attribute id') });
  return { type: 'write-attributes-response', records };
}

export function encodeZclPayload(w: Writer, p: ZclPayload): void {
  switch (p.type) {
    case 'read-attributes':
      for (const id of p.attributeIds) writeU16le(w, id);
      return;
    case 'read-attributes-response':
      for (const rec of p.records) {
        writeU16le(w, rec.attributeId);
        w.u8(rec.status);
        if ('dataType' in rec) {
          if (rec.status !== 0) throw new GbcsEncodeError('only a SUCCESS read attribute record carries a value');
          w.u8(rec.dataType);
          writeScalar(w, rec.dataType, rec.value);
        } else if (rec.status === 0) {
          throw new GbcsEncodeError(`read attribute record 0x${rec.attributeId.toString(16)} has SUCCESS status but no value`);
        }
      }
      if (p.unparsed) w.bytes(p.unparsed);
      return;
    case 'write-attributes':
      for (const rec of p.records) {
        writeU16le(w, rec.attributeId);
        w.u8(rec.dataType);
        writeScalar(w, rec.dataType, rec.value);
      }
      if (p.unparsed) w.bytes(p.unparsed);
      return;
    case 'write-attributes-response':
      for (const rec of p.records) {
        w.u8(rec.status);
        if (rec.attributeId !== undefined) writeU16le(w, rec.attributeId);
      }
      return;
    case 'default-response':
      w.u8(p.commandId).u8(p.status);
      return;
    case 'command':
      encodeParams(w, p.params);
      if (p.trailing) w.bytes(p.trailing);
      return;
    case 'raw':
      w.bytes(p.bytes);
  }
}
