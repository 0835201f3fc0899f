import { GbcsEncodeError } from '../../errors.ts';
import type { DecodedPayload, PayloadCodec, PayloadContext } from '../types.ts';
import { renderGbzMessage } from './fields.ts';
import { decodeGbzMessage, encodeGbzMessage } from './framing.ts';
import type { GbzMessage } from './model.ts';

/** GBZ payloads: ZigBee ZCL commands, responses and alerts for the GSME and GPF, in GBCS's GBZ container. */
export const gbzCodec: PayloadCodec = {
  encoding: 'gbz',
  decode(bytes: Uint8Array, ctx: PayloadContext): DecodedPayload {
    const message = decodeGbzMessage(bytes, ctx);
    return gbzPayload(message);
  },
  encode(payload: DecodedPayload): Uint8Array {
    if (payload.encoding !== 'gbz') throw new GbcsEncodeError(`the GBZ codec cannot encode a ${payload.encoding} payload`);
    return encodeGbzMessage(payload.tree as GbzMessage);
  },
};

/** A GBZ message as a decoded payload, e.g. to log what a builder made. */
export function gbzPayload(message: GbzMessage): DecodedPayload {
  return { encoding: 'gbz', kind: `gbz-${message.form}`, fields: renderGbzMessage(message), tree: message };
}

export { decodeGbzMessage, encodeGbzMessage, MESSAGE_CODE } from './framing.ts';
export * from './model.ts';
export { CLUSTER, attributeName, clusterName, clusterCommand } from './clusters.ts';
export { GLOBAL, NOT_EXECUTED_COMMAND_ID, STATUS_FAILURE, STATUS_HARDWARE_FAILURE, STATUS_NOT_FOUND, STATUS_SUCCESS, alertCodeName, statusName } from './names.ts';
export { T as ZCL_TYPE, UTC_NONE, zclDate, zclUtc, utcToIso, dataTypeName } from './zcl-types.ts';
export * from './builders.ts';
export * from './use-cases.ts';
