import type { Eui } from '../../src/crypto/eui.ts';
import type { DecodedFrame, GroupingHeader } from '../../src/gbcs/frame.ts';
import {
  decodeGbzMessage,
  FRAME_SERVER_TO_CLIENT,
  FRAME_TYPE_CLUSTER,
  FRAME_TYPE_MASK,
  GLOBAL,
  isGroup,
  replyAttributes,
  replyNotExecuted,
  respondTo,
  type Encryptor,
  type GbzComponent,
  type GbzMessage,
  type ReadAttributeRecord,
  type Reply,
  type ZclScalar,
} from '../../src/gbcs/payload/gbz/index.ts';
import { findClusterCommand } from '../../src/gbcs/payload/gbz/clusters.ts';
import type { GbcsSecurity } from '../../src/gbcs/security.ts';

/** ZCL statuses GSME and GPF answers use beyond those the codec names. */
export const ZCL_STATUS = {
  NOT_AUTHORIZED: 0x7e,
  MALFORMED_COMMAND: 0x80,
  INVALID_VALUE: 0x87,
} as const;

/** The GBZ payload of an admitted command; throws GbcsDecodeError when it is not GBZ. */
export function gbzCommandOf(frame: DecodedFrame): GbzMessage {
  return decodeGbzMessage(frame.payload, { messageCode: frame.header.other.messageCode, cra: 1, offset: frame.payloadOffset });
}

/** A command component's parameters by name (groups left out). */
export type CommandParams = Readonly<Record<string, ZclScalar>>;

/**
 * The one component of a single-command use case, if the message is exactly that: the named cluster-specific
 * command in the given cluster. Undefined for anything else, which the device answers as malformed.
 */
export function singleCommand(message: GbzMessage, clusterId: number, name: string): { component: GbzComponent; params: CommandParams } | undefined {
  if (message.form !== 'command' || message.components.length !== 1) return undefined;
  const component = message.components[0]!;
  const expected = findClusterCommand(clusterId, name);
  const h = component.header;
  if (!expected || component.clusterId !== clusterId || (h.frameControl & FRAME_TYPE_MASK) !== FRAME_TYPE_CLUSTER) return undefined;
  if (h.commandId !== expected.commandId || ((h.frameControl & FRAME_SERVER_TO_CLIENT) !== 0) !== expected.serverToClient) return undefined;
  if (component.payload?.type !== 'command') return undefined;
  const params: Record<string, ZclScalar> = {};
  for (const p of component.payload.params) if (!isGroup(p)) params[p.name] = p.value;
  return { component, params };
}

export function textParam(params: CommandParams, name: string): string | undefined {
  const v = params[name];
  return v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : undefined;
}

export function numberParam(params: CommandParams, name: string): number | undefined {
  const v = params[name];
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined;
}

export type AttributeLookup = (clusterId: number, attributeId: number) => ReadAttributeRecord;

/**
 * Answers a command made only of Read Attributes components, from a table of attributes. As the RTDS error
 * responses show, once a component has a record that failed, the components after it are not executed.
 * Undefined when a component is not a Read Attributes command.
 */
export function answerReads(command: GbzMessage, lookup: AttributeLookup, encryptFor: (clusterId: number) => Encryptor | undefined = () => undefined): GbzMessage | undefined {
  if (command.form !== 'command') return undefined;
  const isRead = (c: GbzComponent) => (c.header.frameControl & FRAME_TYPE_MASK) !== FRAME_TYPE_CLUSTER && c.header.commandId === GLOBAL.READ_ATTRIBUTES && c.payload?.type === 'read-attributes';
  if (!command.components.every(isRead)) return undefined;
  let failed = false;
  const replies: Reply[] = command.components.map((c) => {
    if (failed) return replyNotExecuted();
    const ids = c.payload?.type === 'read-attributes' ? c.payload.attributeIds : [];
    const records = ids.map((id) => lookup(c.clusterId, id));
    if (records.some((r) => r.status !== 0)) failed = true;
    const encrypt = encryptFor(c.clusterId);
    return replyAttributes(records, encrypt ? { encrypt } : {});
  });
  return respondTo(command, replies);
}

/** Encrypts response components for the command's originator, with the responding device's keys. */
export function responseEncryptor(security: GbcsSecurity, command: DecodedFrame, responder: Eui): Encryptor {
  const header: GroupingHeader = {
    cra: 2,
    counter: command.header.counter,
    originator: responder,
    recipient: command.header.originator,
    other: { messageCode: command.header.other.messageCode },
  };
  return (plaintext) => security.encryptPayload(header, plaintext);
}
