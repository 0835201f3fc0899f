import { GbcsEncodeError } from '../../errors.ts';
import { Writer } from '../../reader.ts';
import { findClusterCommand } from './clusters.ts';
import { paramsFromInput, type ParamInput } from './layout.ts';
import {
  CONTROL_ENCRYPTED,
  CONTROL_FROM_DATE_TIME,
  CONTROL_LAST_COMPONENT,
  FRAME_DISABLE_DEFAULT_RESPONSE,
  FRAME_SERVER_TO_CLIENT,
  FRAME_TYPE_CLUSTER,
  FRAME_TYPE_GLOBAL,
  SECURITY_CONTROL_ENCRYPTED,
  type GbzAlertBody,
  type GbzComponent,
  type GbzMessage,
  type ReadAttributeRecord,
  type ZclPayload,
} from './model.ts';
import { GLOBAL, NOT_EXECUTED_COMMAND_ID, STATUS_FAILURE, STATUS_SUCCESS } from './names.ts';
import { encodeZclPayload } from './zcl.ts';
import { scalarFrom, zclUtc } from './zcl-types.ts';

/** Encrypts a component's ZCL payload for its message, returning ciphertext followed by the 12-byte tag. */
export type Encryptor = (plaintext: Uint8Array) => Uint8Array;

/** A component before assembly: sequence numbers default to the position, control bits are worked out. */
export interface ComponentDraft {
  clusterId: number;
  frameControl: number;
  commandId: number;
  payload: ZclPayload;
  sequence?: number;
  fromDateTime?: Date | number;
  /** When given, the payload travels encrypted (the tree keeps the plaintext payload for reading). */
  encrypt?: Encryptor;
}

export interface DraftOptions {
  sequence?: number;
  disableDefaultResponse?: boolean;
  fromDateTime?: Date | number;
  encrypt?: Encryptor;
}

export function frameControl(o: { clusterSpecific: boolean; serverToClient: boolean; disableDefaultResponse?: boolean }): number {
  return (
    (o.clusterSpecific ? FRAME_TYPE_CLUSTER : FRAME_TYPE_GLOBAL) |
    (o.serverToClient ? FRAME_SERVER_TO_CLIENT : 0) |
    (o.disableDefaultResponse ? FRAME_DISABLE_DEFAULT_RESPONSE : 0)
  );
}

function withOptions(draft: ComponentDraft, o: DraftOptions): ComponentDraft {
  if (o.sequence !== undefined) draft.sequence = o.sequence;
  if (o.fromDateTime !== undefined) draft.fromDateTime = o.fromDateTime;
  if (o.encrypt) draft.encrypt = o.encrypt;
  return draft;
}

/** A cluster-specific command by its name in the cluster (e.g. `consumerTopUp`), its parameters by name. */
export function commandDraft(clusterId: number, name: string, values: ParamInput, o: DraftOptions = {}): ComponentDraft {
  const found = findClusterCommand(clusterId, name);
  if (!found?.spec.params) throw new GbcsEncodeError(`no command layout ${name} in cluster 0x${clusterId.toString(16).padStart(4, '0')}`);
  const payload: ZclPayload = { type: 'command', params: paramsFromInput(found.spec.params, values, name) };
  const fc = frameControl({ clusterSpecific: true, serverToClient: found.serverToClient, disableDefaultResponse: o.disableDefaultResponse });
  return withOptions({ clusterId, frameControl: fc, commandId: found.commandId, payload }, o);
}

/** A Read Attributes command from the client side. */
export function readAttributesDraft(clusterId: number, attributeIds: number[], o: DraftOptions = {}): ComponentDraft {
  const fc = frameControl({ clusterSpecific: false, serverToClient: false, disableDefaultResponse: o.disableDefaultResponse });
  return withOptions({ clusterId, frameControl: fc, commandId: GLOBAL.READ_ATTRIBUTES, payload: { type: 'read-attributes', attributeIds } }, o);
}

/** A read attribute value: given as a number, bigint, text or bytes, or as the status of a failed read. */
export type AttributeResult = number | bigint | string | Uint8Array | { status: number };

export function attributeRecord(attributeId: number, dataType: number, result: AttributeResult): ReadAttributeRecord {
  if (typeof result === 'object' && !(result instanceof Uint8Array)) {
    if (result.status === 0) throw new GbcsEncodeError(`attribute 0x${attributeId.toString(16)}: a SUCCESS record needs a value`);
    return { attributeId, status: result.status };
  }
  return { attributeId, status: 0, dataType, value: scalarFrom(dataType, result) };
}

export function assembleComponents(drafts: readonly ComponentDraft[]): GbzComponent[] {
  // Encrypted components are numbered in the additional header's frame counter, as the RTDS shows.
  let encryptedSoFar = 0;
  return drafts.map((d, i) => {
    const control =
      (i === drafts.length - 1 ? CONTROL_LAST_COMPONENT : 0) |
      (d.fromDateTime === undefined ? 0 : CONTROL_FROM_DATE_TIME) |
      (d.encrypt ? CONTROL_ENCRYPTED : 0);
    const component: GbzComponent = {
      control,
      clusterId: d.clusterId,
      header: { frameControl: d.frameControl, sequence: d.sequence ?? i, commandId: d.commandId },
      payload: d.payload,
    };
    if (d.fromDateTime !== undefined) component.fromDateTime = zclUtc(d.fromDateTime);
    if (d.encrypt) {
      const w = new Writer();
      encodeZclPayload(w, d.payload);
      component.encryption = {
        additionalHeaderControl: 0,
        additionalFrameCounter: encryptedSoFar++ & 0xff,
        securityHeader: Uint8Array.of(SECURITY_CONTROL_ENCRYPTED, 0, 0, 0, 0),
        ciphertextAndTag: d.encrypt(w.finish()),
      };
    }
    return component;
  });
}

export function gbzCommand(drafts: readonly ComponentDraft[]): GbzMessage {
  return { form: 'command', components: assembleComponents(drafts) };
}

export function gbzResponse(drafts: readonly ComponentDraft[]): GbzMessage {
  return { form: 'response', components: assembleComponents(drafts) };
}

export function gbzAlert(alertCode: number, timestamp: Date | number, body: GbzAlertBody): GbzMessage {
  return { form: 'alert', alertCode, timestamp: zclUtc(timestamp), body };
}

/** How a device answers one component of a command: turns the command's component into the reply's draft. */
export type Reply = (command: GbzComponent) => ComponentDraft;

const answering = (c: GbzComponent) => (c.header.frameControl & FRAME_SERVER_TO_CLIENT) === 0;

/** A Default Response with this status to the component's command. */
export function replyDefault(status: number): Reply {
  return (c) => ({
    clusterId: c.clusterId,
    frameControl: frameControl({ clusterSpecific: false, serverToClient: answering(c) }),
    commandId: GLOBAL.DEFAULT_RESPONSE,
    payload: { type: 'default-response', commandId: c.header.commandId, status },
  });
}

/** What a device returns for a component it did not execute because an earlier one failed. */
export function replyNotExecuted(): Reply {
  return (c) => ({ ...replyDefault(STATUS_FAILURE)(c), payload: { type: 'default-response', commandId: NOT_EXECUTED_COMMAND_ID, status: STATUS_FAILURE } });
}

export function replyAttributes(records: ReadAttributeRecord[], o: DraftOptions = {}): Reply {
  return (c) =>
    withOptions(
      {
        clusterId: c.clusterId,
        frameControl: frameControl({ clusterSpecific: false, serverToClient: answering(c), disableDefaultResponse: o.disableDefaultResponse }),
        commandId: GLOBAL.READ_ATTRIBUTES_RESPONSE,
        payload: { type: 'read-attributes-response', records },
      },
      o,
    );
}

/** A cluster-specific reply (e.g. `consumerTopUpResponse`) in the component's cluster. */
export function replyCommand(name: string, values: ParamInput, o: DraftOptions = {}): Reply {
  return (c) => {
    const draft = commandDraft(c.clusterId, name, values, o);
    if (((draft.frameControl & FRAME_SERVER_TO_CLIENT) !== 0) !== answering(c)) {
      throw new GbcsEncodeError(`${name} travels the same way as the command it would answer`);
    }
    return draft;
  };
}

/** The response to a GBZ command, one reply per command component, echoing each component's sequence number. */
export function respondTo(command: GbzMessage, replies: readonly Reply[]): GbzMessage {
  if (command.form !== 'command') throw new GbcsEncodeError(`can only respond to a command, not a ${command.form}`);
  if (replies.length !== command.components.length) {
    throw new GbcsEncodeError(`the command has ${command.components.length} component(s), ${replies.length} repl${replies.length === 1 ? 'y' : 'ies'} given`);
  }
  return gbzResponse(command.components.map((c, i) => ({ ...replies[i]!(c), sequence: c.header.sequence })));
}

/**
 * A response of Default Responses: the first component answered with the status, any later component reported
 * as not executed. What a GSME gives for GCS41 and GCS06, and for any command it rejects outright (the RTDS error
 * responses of GCS02, GCS03, GCS06, GCS41).
 */
export function statusResponse(command: GbzMessage, status: number = STATUS_SUCCESS): GbzMessage {
  if (command.form !== 'command') throw new GbcsEncodeError(`can only respond to a command, not a ${command.form}`);
  return respondTo(command, command.components.map((_, i) => (i === 0 ? replyDefault(status) : replyNotExecuted())));
}
