import { toHex } from '../../../bytes.ts';
import type { Json } from '../types.ts';
import { attributeName, clusterCommand, clusterName } from './clusters.ts';
import { encodeComponentBody } from './framing.ts';
import { renderParams } from './layout.ts';
import {
  CONTROL_ENCRYPTED,
  CONTROL_FROM_DATE_TIME,
  CONTROL_LAST_COMPONENT,
  FRAME_DISABLE_DEFAULT_RESPONSE,
  FRAME_SERVER_TO_CLIENT,
  FRAME_TYPE_CLUSTER,
  FRAME_TYPE_GLOBAL,
  FRAME_TYPE_MASK,
  GBZ_PROFILE_ID,
  type GbzAlertBody,
  type GbzComponent,
  type GbzMessage,
  type ZclHeader,
  type ZclPayload,
} from './model.ts';
import { alertCodeName, globalCommandName, hexCode, integrityIssueName, NOT_EXECUTED_COMMAND_ID, statusName } from './names.ts';
import { dataTypeName, renderScalar, utcToIso } from './zcl-types.ts';

type Fields = { [key: string]: Json };

/** Adds `key: value` only when the value is known, so that fields never hold undefined. */
function named(out: Fields, key: string, value: string | undefined): Fields {
  if (value !== undefined) out[key] = value;
  return out;
}

/** The named, JSON-safe view of a GBZ payload that evidence logs and people read. */
export function renderGbzMessage(m: GbzMessage): Fields {
  if (m.form !== 'alert') {
    return { profileId: hexCode(GBZ_PROFILE_ID, 4), componentCount: m.components.length, components: m.components.map(renderComponent) };
  }
  const out: Fields = { profileId: hexCode(GBZ_PROFILE_ID, 4) };
  out.componentCount = m.body.type === 'components' ? m.body.components.length : m.body.componentCount;
  out.alertCode = hexCode(m.alertCode, 4);
  named(out, 'alert', alertCodeName(m.alertCode));
  out.timestamp = utcToIso(m.timestamp);
  return { ...out, ...renderAlertBody(m.body) };
}

function renderAlertBody(body: GbzAlertBody): Fields {
  switch (body.type) {
    case 'components':
      return { components: body.components.map(renderComponent) };
    case 'future-dated': {
      const serverToClient = (body.frameControl & FRAME_SERVER_TO_CLIENT) !== 0;
      const executed: Fields = {
        messageCode: hexCode(body.messageCode, 4),
        originatorCounter: body.originatorCounter.toString(),
        clusterId: hexCode(body.clusterId, 4),
      };
      named(executed, 'cluster', clusterName(body.clusterId));
      executed.frameControl = hexCode(body.frameControl, 2);
      executed.commandId = hexCode(body.commandId, 2);
      named(executed, 'command', commandName(body.clusterId, body.frameControl, body.commandId));
      executed.direction = serverToClient ? 'server-to-client' : 'client-to-server';
      return { executedCommand: executed };
    }
    case 'firmware-distribution-receipt':
      return { calculatedManufacturerHash: toHex(body.manufacturerHash) };
    case 'meter-integrity':
      return named({ otherInfo: hexCode(body.otherInfo, 4) }, 'issue', integrityIssueName(body.otherInfo));
  }
}

function commandName(clusterId: number, frameControl: number, commandId: number): string | undefined {
  const frameType = frameControl & FRAME_TYPE_MASK;
  if (frameType === FRAME_TYPE_GLOBAL) return globalCommandName(commandId);
  if (frameType !== FRAME_TYPE_CLUSTER) return undefined;
  return clusterCommand(clusterId, (frameControl & FRAME_SERVER_TO_CLIENT) !== 0, commandId)?.name;
}

function renderComponent(c: GbzComponent): Fields {
  const out: Fields = {
    control: hexCode(c.control, 2),
    lastComponent: (c.control & CONTROL_LAST_COMPONENT) !== 0,
    encrypted: (c.control & CONTROL_ENCRYPTED) !== 0,
    clusterId: hexCode(c.clusterId, 4),
  };
  named(out, 'cluster', clusterName(c.clusterId));
  out.length = encodeComponentBody(c).length;
  if (c.control & CONTROL_FROM_DATE_TIME && c.fromDateTime !== undefined) out.fromDateTime = utcToIso(c.fromDateTime);
  if (c.encryption) {
    const e = c.encryption;
    out.encryption = {
      additionalHeaderControl: hexCode(e.additionalHeaderControl, 2),
      additionalFrameCounter: e.additionalFrameCounter,
      securityHeader: toHex(e.securityHeader),
      ciphertext: toHex(e.ciphertextAndTag.subarray(0, e.ciphertextAndTag.length - 12)),
      tag: toHex(e.ciphertextAndTag.subarray(e.ciphertextAndTag.length - 12)),
      decrypted: c.payload !== undefined,
    };
  }
  out.zcl = renderZcl(c.clusterId, c.header, c.payload);
  return out;
}

function renderZcl(clusterId: number, h: ZclHeader, payload: ZclPayload | undefined): Fields {
  const frameType = h.frameControl & FRAME_TYPE_MASK;
  const out: Fields = {
    frameControl: hexCode(h.frameControl, 2),
    frameType: frameType === FRAME_TYPE_GLOBAL ? 'global' : frameType === FRAME_TYPE_CLUSTER ? 'cluster-specific' : 'reserved',
    direction: h.frameControl & FRAME_SERVER_TO_CLIENT ? 'server-to-client' : 'client-to-server',
    disableDefaultResponse: (h.frameControl & FRAME_DISABLE_DEFAULT_RESPONSE) !== 0,
  };
  if (h.manufacturerCode !== undefined) out.manufacturerCode = hexCode(h.manufacturerCode, 4);
  out.sequence = h.sequence;
  out.commandId = hexCode(h.commandId, 2);
  named(out, 'command', commandName(clusterId, h.frameControl, h.commandId));
  if (payload) out.payload = renderPayload(clusterId, h, payload);
  return out;
}

function attribute(clusterId: number, attributeId: number): Fields {
  return named({ attributeId: hexCode(attributeId, 4) }, 'attribute', attributeName(clusterId, attributeId));
}

function status(code: number): Fields {
  return { status: statusName(code), statusCode: hexCode(code, 2) };
}

function typedValue(dataType: number, value: Parameters<typeof renderScalar>[1]): Fields {
  return { dataType: dataTypeName(dataType), value: renderScalar(dataType, value) };
}

function renderPayload(clusterId: number, h: ZclHeader, p: ZclPayload): Fields {
  switch (p.type) {
    case 'read-attributes':
      return { attributes: p.attributeIds.map((id) => attribute(clusterId, id)) };
    case 'read-attributes-response':
    case 'write-attributes': {
      const records = p.records.map((rec) => {
        const out = attribute(clusterId, rec.attributeId);
        if ('status' in rec) Object.assign(out, status(rec.status));
        if ('dataType' in rec) Object.assign(out, typedValue(rec.dataType, rec.value));
        return out;
      });
      return p.unparsed ? { records, unparsed: { raw: toHex(p.unparsed) } } : { records };
    }
    case 'write-attributes-response':
      return {
        records: p.records.map((rec) => (rec.attributeId === undefined ? status(rec.status) : { ...attribute(clusterId, rec.attributeId), ...status(rec.status) })),
      };
    case 'default-response': {
      // A Default Response answers a command that travelled the other way.
      const answered = p.commandId === NOT_EXECUTED_COMMAND_ID
        ? 'notExecuted'
        : clusterCommand(clusterId, (h.frameControl & FRAME_SERVER_TO_CLIENT) === 0, p.commandId)?.name;
      return { ...named({ commandId: hexCode(p.commandId, 2) }, 'command', answered), ...status(p.status) };
    }
    case 'command': {
      const out = renderParams(p.params);
      return p.trailing ? { ...out, trailing: { raw: toHex(p.trailing) } } : out;
    }
    case 'raw':
      return { raw: toHex(p.bytes) };
  }
}
