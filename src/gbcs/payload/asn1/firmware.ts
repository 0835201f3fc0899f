/**
 * Firmware use cases: CS06 activate firmware (command, response, future-dated alert), CCS08 firmware transfer
 * alert, CS08 read PPMID/HCALCS firmware version and the CS09 PPMID firmware activation alert.
 */
import type { Eui } from '../../../crypto/eui.ts';
import { GbcsEncodeError } from '../../errors.ts';
import {
  ACTIVATE_FIRMWARE_RESPONSE_CODES,
  codeNumber,
  type Code,
  FIRMWARE_ACTIVATION_STATUS,
  FIRMWARE_TRANSFER_RESPONSE_CODES,
  READ_FIRMWARE_VERSION_RESPONSE_CODES,
} from './codes.ts';
import { encodeDer, type DerNode } from './der.ts';
import { alertCode, entityId } from './gbcs-types.ts';
import {
  counterNode,
  euiNode,
  generalizedTimeNode,
  integerNode,
  nullNode,
  octetStringNode,
  sequence as sequenceNode,
  withDeviceLengthForms,
} from './node-builders.ts';
import { choice, counter, enumerated, field, generalizedTime, named, octets, optional, presence, sequence } from './schema.ts';

/** Without an execution date-time the device activates at once; with one, then (9999-12-31T23:59:59Z cancels). */
export const activateFirmwareCommand = sequence('ActivateFirmwareCommand', [
  field('manufacturerImageHash', octets('manufacturerImageHash', 32)),
  field('originatorCounter', counter('originatorCounter')),
  optional('executionDateTime', generalizedTime('executionDateTime')),
]);

const activationOutcome = sequence('ActivateFirmwareExecutionOutcome', [
  field('responseCode', enumerated('ActivateFirmwareResponseCode', ACTIVATE_FIRMWARE_RESPONSE_CODES)),
  field('firmwareVersion', octets('firmwareVersion')),
]);

/** A future-dated command is acknowledged with NULL; an immediate one answers with its outcome. */
export const activateFirmwareResponse = choice('ActivateFirmwareResponse', [
  named('commandAccepted', presence('commandAccepted')),
  activationOutcome,
]);

export const activateFirmwareAlert = sequence('ActivateFirmwareAlert', [
  field('alertCode', alertCode),
  field('executionDateTime', generalizedTime('executionDateTime')),
  field('originatorCounter', counter('originatorCounter')),
  field('executionOutcome', activationOutcome),
]);

export const firmwareTransferAlert = sequence('FirmwareTransferAlert', [
  field('alertCode', alertCode),
  field('executionDateTime', generalizedTime('executionDateTime')),
  field('entityId', entityId()),
  field('firmwareVersion', octets('firmwareVersion')),
  field('responseCode', enumerated('FirmwareTransferResponseCode', FIRMWARE_TRANSFER_RESPONSE_CODES)),
]);

export const readFirmwareVersionResponse = sequence('ReadPPMIDHCALCSFirmwareVersionResponse', [
  field('firmwareVersion', octets('firmwareVersion')),
  field('responseCode', enumerated('ReadFirmwareVersionResponseCode', READ_FIRMWARE_VERSION_RESPONSE_CODES)),
]);

export const firmwareActivationAlert = sequence('PPMIDHCALCSFirmwareActivationAlert', [
  field('alertCode', alertCode),
  field('executionDateTime', generalizedTime('executionDateTime')),
  field('firmwareVersion', octets('firmwareVersion')),
  field('activationStatus', enumerated('ActivationStatus', FIRMWARE_ACTIVATION_STATUS)),
]);

// Builders

export interface ActivateFirmwareCommand {
  /** SHA-256 the manufacturer computed over the image: the device activates only if its image matches. */
  manufacturerImageHash: Uint8Array;
  originatorCounter: bigint | number;
  /** Absent: activate at once. */
  executionDateTime?: Date;
}

/** CS06 activate firmware command (0x0012). */
export function buildActivateFirmwareCommand(c: ActivateFirmwareCommand): Uint8Array {
  if (c.manufacturerImageHash.length !== 32) throw new GbcsEncodeError(`the manufacturer image hash is 32 bytes, got ${c.manufacturerImageHash.length}`);
  const children = [octetStringNode(c.manufacturerImageHash), counterNode(c.originatorCounter)];
  if (c.executionDateTime) children.push(generalizedTimeNode(c.executionDateTime));
  return encodeDer(sequenceNode(children));
}

/** CS06 response to a future-dated (or cancelling) command: NULL, the command is accepted. */
export function buildActivateFirmwareAcceptedResponse(): Uint8Array {
  return encodeDer(nullNode());
}

export interface ActivationOutcome {
  responseCode: Code<typeof ACTIVATE_FIRMWARE_RESPONSE_CODES>;
  /** The firmware version running after the attempt. */
  firmwareVersion: Uint8Array;
}

function activationOutcomeNode(o: ActivationOutcome): DerNode {
  return sequenceNode([
    integerNode(codeNumber(ACTIVATE_FIRMWARE_RESPONSE_CODES, o.responseCode, 'responseCode')),
    octetStringNode(o.firmwareVersion),
  ]);
}

/** CS06 response to an immediate command: the activation outcome. */
export function buildActivateFirmwareResponse(o: ActivationOutcome): Uint8Array {
  return encodeDer(withDeviceLengthForms(activationOutcomeNode(o)));
}

export interface ActivateFirmwareAlert extends ActivationOutcome {
  /** 0x8F66 when the future-dated activation succeeded, 0x8F67 when not. */
  alertCode: number;
  executionDateTime: Date;
  /** The originator counter of the command that scheduled the activation. */
  originatorCounter: bigint | number;
}

/** Future-dated firmware activation alert (0x00CA). */
export function buildActivateFirmwareAlert(a: ActivateFirmwareAlert): Uint8Array {
  const tree = sequenceNode([
    integerNode(a.alertCode),
    generalizedTimeNode(a.executionDateTime),
    counterNode(a.originatorCounter),
    activationOutcomeNode(a),
  ]);
  return encodeDer(withDeviceLengthForms(tree));
}

export interface FirmwareTransferAlert {
  /** 0x8F8A success, 0x8F89 failure. */
  alertCode: number;
  executionDateTime: Date;
  /** The device the image was for. */
  entityId: Eui;
  firmwareVersion: Uint8Array;
  responseCode: Code<typeof FIRMWARE_TRANSFER_RESPONSE_CODES>;
}

/** CCS08 firmware transfer alert (0x0128), from the Comms Hub. */
export function buildFirmwareTransferAlert(a: FirmwareTransferAlert): Uint8Array {
  const tree = sequenceNode([
    integerNode(a.alertCode),
    generalizedTimeNode(a.executionDateTime),
    euiNode(a.entityId),
    octetStringNode(a.firmwareVersion),
    integerNode(codeNumber(FIRMWARE_TRANSFER_RESPONSE_CODES, a.responseCode, 'responseCode')),
  ]);
  return encodeDer(withDeviceLengthForms(tree));
}

/** CS08 read PPMID/HCALCS firmware version command (0x0129): a bare NULL. */
export function buildReadFirmwareVersionCommand(): Uint8Array {
  return encodeDer(nullNode());
}

export interface ReadFirmwareVersionResponse {
  firmwareVersion: Uint8Array;
  responseCode: Code<typeof READ_FIRMWARE_VERSION_RESPONSE_CODES>;
}

export function buildReadFirmwareVersionResponse(r: ReadFirmwareVersionResponse): Uint8Array {
  const tree = sequenceNode([
    octetStringNode(r.firmwareVersion),
    integerNode(codeNumber(READ_FIRMWARE_VERSION_RESPONSE_CODES, r.responseCode, 'responseCode')),
  ]);
  return encodeDer(withDeviceLengthForms(tree));
}

export interface FirmwareActivationAlert {
  /** 0x8F8B in the RTDS. */
  alertCode: number;
  executionDateTime: Date;
  firmwareVersion: Uint8Array;
  activationStatus: Code<typeof FIRMWARE_ACTIVATION_STATUS>;
}

/** PPMID/HCALCS firmware activation alert: CS09 (0x012B) and the CS08 alert (0x0129). */
export function buildFirmwareActivationAlert(a: FirmwareActivationAlert): Uint8Array {
  const tree = sequenceNode([
    integerNode(a.alertCode),
    generalizedTimeNode(a.executionDateTime),
    octetStringNode(a.firmwareVersion),
    integerNode(codeNumber(FIRMWARE_ACTIVATION_STATUS, a.activationStatus, 'activationStatus')),
  ]);
  return encodeDer(withDeviceLengthForms(tree));
}
