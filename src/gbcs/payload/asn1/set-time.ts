/** GCS28 set time on the GSME: the validity interval the device may take its time from, and its answer. */
import { codeNumber, DEVICE_TIME_STATUS, type Code } from './codes.ts';
import { encodeDer } from './der.ts';
import { generalizedTimeNode, integerNode, sequence as sequenceNode, withDeviceLengthForms } from './node-builders.ts';
import { enumerated, field, generalizedTime, sequence } from './schema.ts';

export const setTimeCommand = sequence('SetTimeCommand', [
  field('validityIntervalStart', generalizedTime('validityIntervalStart')),
  field('validityIntervalEnd', generalizedTime('validityIntervalEnd')),
]);

export const setTimeResponse = sequence('SetTimeResponse', [
  field('deviceTime', generalizedTime('deviceTime')),
  field('deviceTimeStatus', enumerated('DeviceTimeStatus', DEVICE_TIME_STATUS)),
]);

// Builders

export interface SetTimeCommand {
  /** The device takes the time from the command only while its clock lies in this interval. */
  validityIntervalStart: Date;
  validityIntervalEnd: Date;
}

/** GCS28 set time command (0x007F), as GSME commissioning sends it. */
export function buildSetTimeCommand(c: SetTimeCommand): Uint8Array {
  return encodeDer(sequenceNode([generalizedTimeNode(c.validityIntervalStart), generalizedTimeNode(c.validityIntervalEnd)]));
}

export interface SetTimeResponse {
  deviceTime: Date;
  deviceTimeStatus: Code<typeof DEVICE_TIME_STATUS>;
}

export function buildSetTimeResponse(r: SetTimeResponse): Uint8Array {
  const tree = sequenceNode([
    generalizedTimeNode(r.deviceTime),
    integerNode(codeNumber(DEVICE_TIME_STATUS, r.deviceTimeStatus, 'deviceTimeStatus')),
  ]);
  return encodeDer(withDeviceLengthForms(tree));
}
