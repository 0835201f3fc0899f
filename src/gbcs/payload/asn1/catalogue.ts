/** Which ASN.1 structure each message code carries as a command, a response and an alert. */
import type { CraFlag } from '../../frame.ts';
import {
  gpfDeviceLogBackupAlert,
  gpfDeviceLogRestoreCommand,
  gpfDeviceLogRestoreResponse,
  joinDeviceCommand,
  joinDeviceResponse,
  nullCommand,
  readDeviceJoinDetailsResponse,
  unjoinDeviceCommand,
  unjoinDeviceResponse,
} from './device-log.ts';
import {
  activateFirmwareAlert,
  activateFirmwareCommand,
  activateFirmwareResponse,
  firmwareActivationAlert,
  firmwareTransferAlert,
  readFirmwareVersionResponse,
} from './firmware.ts';
import type { Schema } from './schema.ts';
import {
  issueCredentialsResponse,
  keyUsageCommand,
  provideCredentialDetailsCommand,
  provideCredentialDetailsResponse,
  provideDeviceCertificateResponse,
  updateCredentialsAlert,
  updateCredentialsCommand,
  updateCredentialsResponse,
  updateDeviceCertificateCommand,
  updateDeviceCertificateResponse,
} from './security-credentials.ts';
import { setTimeCommand, setTimeResponse } from './set-time.ts';

export interface Structure {
  /** e.g. `activate-firmware-command` */
  kind: string;
  schema: Schema;
}

type ByCra = Partial<Record<CraFlag, Structure>>;

const s = (kind: string, schema: Schema): Structure => ({ kind, schema });

const provideCredentialDetails: ByCra = {
  1: s('provide-security-credential-details-command', provideCredentialDetailsCommand),
  2: s('provide-security-credential-details-response', provideCredentialDetailsResponse),
};
const updateCredentials: ByCra = {
  1: s('update-security-credentials-command', updateCredentialsCommand),
  2: s('update-security-credentials-response', updateCredentialsResponse),
};
const updateCredentialsFutureAlert: ByCra = { 3: s('update-security-credentials-alert', updateCredentialsAlert) };
const join: ByCra = { 1: s('join-device-command', joinDeviceCommand), 2: s('join-device-response', joinDeviceResponse) };
const unjoin: ByCra = { 1: s('unjoin-device-command', unjoinDeviceCommand), 2: s('unjoin-device-response', unjoinDeviceResponse) };

const STRUCTURES = new Map<number, ByCra>([
  [0x0008, provideCredentialDetails], // CS02a
  [0x011b, provideCredentialDetails], // CS02f
  [0x000a, { 1: s('issue-security-credentials-command', keyUsageCommand), 2: s('issue-security-credentials-response', issueCredentialsResponse) }],
  [0x000b, { 1: s('update-device-certificate-command', updateDeviceCertificateCommand), 2: s('update-device-certificate-response', updateDeviceCertificateResponse) }],
  [0x000c, { 1: s('provide-device-certificate-command', keyUsageCommand), 2: s('provide-device-certificate-response', provideDeviceCertificateResponse) }],
  [0x000d, join], // CS03A1
  [0x00ab, join], // CS03A2
  [0x000e, join], // CS03B
  [0x00af, join], // CS03C
  [0x000f, unjoin], // CS04AC
  [0x0010, unjoin], // CS04B
  [0x0012, { 1: s('activate-firmware-command', activateFirmwareCommand), 2: s('activate-firmware-response', activateFirmwareResponse) }],
  [0x00ca, { 3: s('activate-firmware-alert', activateFirmwareAlert) }],
  [0x0013, { 1: s('read-device-join-details-command', nullCommand), 2: s('read-device-join-details-response', readDeviceJoinDetailsResponse) }],
  [0x007f, { 1: s('set-time-command', setTimeCommand), 2: s('set-time-response', setTimeResponse) }],
  [0x008c, { 1: s('gpf-device-log-restore-command', gpfDeviceLogRestoreCommand), 2: s('gpf-device-log-restore-response', gpfDeviceLogRestoreResponse) }],
  [0x00b2, { 3: s('gpf-device-log-backup-alert', gpfDeviceLogBackupAlert) }],
  [0x00cb, updateCredentialsFutureAlert], // CS02b
  [0x0124, updateCredentialsFutureAlert], // CS02g
  [0x0125, updateCredentials], // CS02g load controller by load controller
  [0x0126, updateCredentials], // CS02g load controller by supplier
  [0x0128, { 3: s('firmware-transfer-alert', firmwareTransferAlert) }],
  [
    0x0129,
    {
      1: s('read-firmware-version-command', nullCommand),
      2: s('read-firmware-version-response', readFirmwareVersionResponse),
      3: s('firmware-activation-alert', firmwareActivationAlert),
    },
  ],
  [0x012b, { 3: s('firmware-activation-alert', firmwareActivationAlert) }], // CS09
]);
for (let code = 0x0100; code <= 0x0109; code++) STRUCTURES.set(code, updateCredentials);

export function structureFor(messageCode: number, cra: CraFlag): Structure | undefined {
  return STRUCTURES.get(messageCode)?.[cra];
}
