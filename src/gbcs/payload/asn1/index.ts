/**
 * The ASN.1 DER payload codec (Comms Hub, join, certificate and firmware activation use cases) and the
 * builders the simulator and head-end use to make these payloads.
 */
import { GbcsEncodeError } from '../../errors.ts';
import type { DecodedPayload, PayloadCodec, PayloadContext } from '../types.ts';
import { structureFor } from './catalogue.ts';
import { decodeDer, encodeDer, type DerNode } from './der.ts';
import { describeTree } from './generic.ts';
import { decodeAs } from './schema.ts';

/** `kind` of a payload whose message code and CRA flag name no known structure. */
export const GENERIC_KIND = 'asn1-value';

function isDerNode(value: unknown, depth = 0): value is DerNode {
  if (typeof value !== 'object' || value === null || depth > 64) return false;
  const node = value as Partial<DerNode>;
  if (typeof node.tag !== 'number') return false;
  if (node.kind === 'primitive') return node.value instanceof Uint8Array;
  return node.kind === 'constructed' && Array.isArray(node.children) && node.children.every((c) => isDerNode(c, depth + 1));
}

export const asn1Codec: PayloadCodec = {
  encoding: 'asn1',

  decode(bytes: Uint8Array, ctx: PayloadContext): DecodedPayload {
    const tree = decodeDer(bytes, ctx.offset);
    const structure = structureFor(ctx.messageCode, ctx.cra);
    if (!structure) return { encoding: 'asn1', kind: GENERIC_KIND, fields: { asn1: describeTree(tree) }, tree };
    return { encoding: 'asn1', kind: structure.kind, fields: decodeAs(structure.schema, tree), tree };
  },

  encode(payload: DecodedPayload): Uint8Array {
    if (payload.encoding !== 'asn1') throw new GbcsEncodeError(`the ASN.1 codec cannot encode a ${payload.encoding} payload`);
    if (!isDerNode(payload.tree)) throw new GbcsEncodeError('the ASN.1 payload tree is not a DER node');
    return encodeDer(payload.tree);
  },
};

export type { DerNode, DerPrimitive, DerConstructed } from './der.ts';
export { decodeDer, encodeDer, describeTag, MAX_DEPTH } from './der.ts';
export { certificateFields } from './x509.ts';
export { CANCELLATION_DATE_TIME } from './gbcs-types.ts';
export * from './codes.ts';
export {
  buildJoinDeviceCommand,
  buildJoinDeviceResponse,
  buildUnjoinDeviceCommand,
  buildUnjoinDeviceResponse,
  buildReadDeviceJoinDetailsCommand,
  buildReadDeviceJoinDetailsResponse,
  buildGpfDeviceLogRestoreCommand,
  buildGpfDeviceLogRestoreResponse,
  buildGpfDeviceLogBackupAlert,
  type DeviceLogEntry,
  type JoinDeviceCommand,
  type ReadDeviceJoinDetailsResponse,
  type GpfDeviceLogRestoreOutcome,
  type GpfDeviceLogBackupAlert,
} from './device-log.ts';
export {
  buildActivateFirmwareCommand,
  buildActivateFirmwareAcceptedResponse,
  buildActivateFirmwareResponse,
  buildActivateFirmwareAlert,
  buildFirmwareTransferAlert,
  buildReadFirmwareVersionCommand,
  buildReadFirmwareVersionResponse,
  buildFirmwareActivationAlert,
  type ActivateFirmwareCommand,
  type ActivationOutcome,
  type ActivateFirmwareAlert,
  type FirmwareTransferAlert,
  type ReadFirmwareVersionResponse,
  type FirmwareActivationAlert,
} from './firmware.ts';
export { buildSetTimeCommand, buildSetTimeResponse, type SetTimeCommand, type SetTimeResponse } from './set-time.ts';
export {
  buildUpdateSecurityCredentialsCommand,
  buildUpdateSecurityCredentialsResponse,
  buildUpdateSecurityCredentialsAlert,
  type TrustAnchorCell,
  type SpecialistSeqNumber,
  type RemotePartySeqNumberChange,
  type AuthorisingRemotePartyControl,
  type TrustAnchorReplacement,
  type UpdateSecurityCredentialsCommand,
  type ReplacementOutcome,
  type UpdateSecurityCredentialsOutcome,
  type UpdateSecurityCredentialsAlert,
} from './security-credentials.ts';
