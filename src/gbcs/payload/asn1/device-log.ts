/**
 * Device log use cases: CS03 join (methods A, B, C), CS04 unjoin, CS07 read device join details, GCS59 restore
 * the GPF device log and the GCS62 GPF device log backup alert.
 */
import type { Eui } from '../../../crypto/eui.ts';
import {
  ALERT,
  codeNumber,
  DEVICE_TYPES,
  JOIN_METHOD_AND_ROLE,
  type Code,
  JOIN_RESPONSE_CODES,
  READ_JOIN_DETAILS_RESPONSE_CODES,
  UNJOIN_RESPONSE_CODES,
} from './codes.ts';
import { alertCode, deviceLogEntry, deviceType, entityId } from './gbcs-types.ts';
import { enumerated, field, generalizedTime, named, optional, presence, sequence, sequenceOf } from './schema.ts';
import { certificate } from './x509.ts';
import { encodeDer, type DerNode } from './der.ts';
import {
  certificateNode,
  euiNode,
  generalizedTimeNode,
  integerNode,
  nullNode,
  sequence as sequenceNode,
  withDeviceLengthForms,
} from './node-builders.ts';

const joinResponseCode = enumerated('JoinResponseCode', JOIN_RESPONSE_CODES);

/** The certificate is there for method C (the other device's key agreement certificate). */
export const joinDeviceCommand = sequence('JoinDeviceCommand', [
  field('joinMethodAndRole', enumerated('JoinMethodAndRole', JOIN_METHOD_AND_ROLE)),
  field('otherDeviceEntityId', entityId('otherDeviceEntityId')),
  field('otherDeviceType', deviceType),
  optional('otherDeviceCertificate', certificate),
]);

export const joinDeviceResponse = named('responseCode', joinResponseCode);

export const unjoinDeviceCommand = named('otherDeviceEntityId', entityId('otherDeviceEntityId'));

export const unjoinDeviceResponse = named('responseCode', enumerated('UnjoinResponseCode', UNJOIN_RESPONSE_CODES));

/** CS07 and CS08 commands carry no parameters: their payload is a bare NULL. */
export const nullCommand = named('empty', presence('NULL command'));

export const readDeviceJoinDetailsResponse = sequence('ReadDeviceJoinDetailsResponse', [
  field('responseCode', enumerated('ReadDeviceJoinDetailsResponseCode', READ_JOIN_DETAILS_RESPONSE_CODES)),
  optional('deviceLogEntries', sequenceOf('deviceLogEntries', deviceLogEntry)),
]);

export const gpfDeviceLogRestoreCommand = sequence('GPFDeviceLogRestoreCommand', [
  field('deviceLogEntries', sequenceOf('deviceLogEntries', deviceLogEntry)),
]);

const restoreOutcome = sequence('GPFDeviceLogRestoreOutcome', [
  field('deviceLogEntry', deviceLogEntry),
  field('joinResponseCode', joinResponseCode),
]);

export const gpfDeviceLogRestoreResponse = sequence('GPFDeviceLogRestoreResponse', [
  field('restoreOutcomes', sequenceOf('restoreOutcomes', restoreOutcome)),
]);

export const gpfDeviceLogBackupAlert = sequence('GPFDeviceLogBackupAlert', [
  field('alertCode', alertCode),
  field('backupDateTime', generalizedTime('backupDateTime')),
  field('deviceLogEntries', sequenceOf('deviceLogEntries', deviceLogEntry)),
]);

// Builders

export interface DeviceLogEntry {
  deviceId: Eui;
  deviceType: Code<typeof DEVICE_TYPES>;
}

function deviceLogEntryNode(entry: DeviceLogEntry): DerNode {
  return sequenceNode([euiNode(entry.deviceId), integerNode(codeNumber(DEVICE_TYPES, entry.deviceType, 'deviceType'))]);
}

export interface JoinDeviceCommand {
  joinMethodAndRole: Code<typeof JOIN_METHOD_AND_ROLE>;
  otherDeviceEntityId: Eui;
  otherDeviceType: Code<typeof DEVICE_TYPES>;
  /** DER certificate of the other device (method C). */
  otherDeviceCertificate?: Uint8Array;
}

/** CS03A1/A2/B/C join command (0x000D, 0x00AB, 0x000E, 0x00AF). */
export function buildJoinDeviceCommand(c: JoinDeviceCommand): Uint8Array {
  const children = [
    integerNode(codeNumber(JOIN_METHOD_AND_ROLE, c.joinMethodAndRole, 'joinMethodAndRole')),
    euiNode(c.otherDeviceEntityId),
    integerNode(codeNumber(DEVICE_TYPES, c.otherDeviceType, 'otherDeviceType')),
  ];
  if (c.otherDeviceCertificate) children.push(certificateNode(c.otherDeviceCertificate));
  return encodeDer(sequenceNode(children));
}

export function buildJoinDeviceResponse(responseCode: Code<typeof JOIN_RESPONSE_CODES>): Uint8Array {
  return encodeDer(integerNode(codeNumber(JOIN_RESPONSE_CODES, responseCode, 'responseCode')));
}

/** CS04AC/CS04B unjoin command (0x000F, 0x0010). */
export function buildUnjoinDeviceCommand(otherDeviceEntityId: Eui): Uint8Array {
  return encodeDer(euiNode(otherDeviceEntityId));
}

export function buildUnjoinDeviceResponse(responseCode: Code<typeof UNJOIN_RESPONSE_CODES>): Uint8Array {
  return encodeDer(integerNode(codeNumber(UNJOIN_RESPONSE_CODES, responseCode, 'responseCode')));
}

/** CS07 read device join details command (0x0013): a bare NULL. */
export function buildReadDeviceJoinDetailsCommand(): Uint8Array {
  return encodeDer(nullNode());
}

export interface ReadDeviceJoinDetailsResponse {
  responseCode: Code<typeof READ_JOIN_DETAILS_RESPONSE_CODES>;
  /** Absent on a read failure. */
  deviceLogEntries?: readonly DeviceLogEntry[];
}

export function buildReadDeviceJoinDetailsResponse(r: ReadDeviceJoinDetailsResponse): Uint8Array {
  const children = [integerNode(codeNumber(READ_JOIN_DETAILS_RESPONSE_CODES, r.responseCode, 'responseCode'))];
  if (r.deviceLogEntries) children.push(sequenceNode(r.deviceLogEntries.map(deviceLogEntryNode)));
  return encodeDer(withDeviceLengthForms(sequenceNode(children)));
}

/** GCS59 restore GPF device log command (0x008C). */
export function buildGpfDeviceLogRestoreCommand(entries: readonly DeviceLogEntry[]): Uint8Array {
  return encodeDer(sequenceNode([sequenceNode(entries.map(deviceLogEntryNode))]));
}

export interface GpfDeviceLogRestoreOutcome extends DeviceLogEntry {
  joinResponseCode: Code<typeof JOIN_RESPONSE_CODES>;
}

export function buildGpfDeviceLogRestoreResponse(outcomes: readonly GpfDeviceLogRestoreOutcome[]): Uint8Array {
  const items = outcomes.map((o) =>
    sequenceNode([deviceLogEntryNode(o), integerNode(codeNumber(JOIN_RESPONSE_CODES, o.joinResponseCode, 'joinResponseCode'))]),
  );
  return encodeDer(withDeviceLengthForms(sequenceNode([sequenceNode(items)])));
}

export interface GpfDeviceLogBackupAlert {
  /** 0x8071 (GPF Device Log changed) unless given. */
  alertCode?: number;
  backupDateTime: Date;
  deviceLogEntries: readonly DeviceLogEntry[];
}

/** GCS62 GPF device log backup alert (0x00B2). */
export function buildGpfDeviceLogBackupAlert(a: GpfDeviceLogBackupAlert): Uint8Array {
  const tree = sequenceNode([
    integerNode(a.alertCode ?? ALERT.gpfDeviceLogChanged),
    generalizedTimeNode(a.backupDateTime),
    sequenceNode(a.deviceLogEntries.map(deviceLogEntryNode)),
  ]);
  return encodeDer(withDeviceLengthForms(tree));
}
