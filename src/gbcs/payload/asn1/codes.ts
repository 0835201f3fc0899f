/**
 * Named values of the GBCS ASN.1 enumerations, spelt as the GBCS ASN.1 modules spell them, plus the alert codes
 * ASN.1 alerts carry. Decoders turn numbers into these names; builders accept either.
 */
import { GbcsEncodeError } from '../../errors.ts';


export type CodeTable = Readonly<Record<number, string>>;

export const DEVICE_TYPES = {
  0: 'GSME',
  1: 'ESME',
  2: 'CHF',
  3: 'GPF',
  4: 'HCALCS',
  5: 'PPMID',
  6: 'Type2',
} as const satisfies CodeTable;

export const JOIN_METHOD_AND_ROLE = {
  0: 'methodAInitiator',
  1: 'methodAResponder',
  2: 'methodB',
  3: 'methodC',
} as const satisfies CodeTable;

export const JOIN_RESPONSE_CODES = {
  0: 'success',
  1: 'invalidMessageCodeForJoinMethodAndRole',
  2: 'invalidJoinMethodAndRole',
  3: 'incompatibleWithExistingEntry',
  4: 'deviceLogFull',
  5: 'writeFailure',
  6: 'keyAgreementNoResources',
  7: 'keyAgreementUnknownIssuer',
  8: 'keyAgreementUnsupportedSuite',
  9: 'keyAgreementBadMessage',
  10: 'keyAgreementBadKeyConfirm',
  11: 'invalidOrMissingCertificate',
  12: 'noPartnerLinkKeyReceived',
  13: 'noCbkeResponse',
} as const satisfies CodeTable;

export const UNJOIN_RESPONSE_CODES = {
  0: 'success',
  1: 'notInDeviceLog',
  2: 'otherFailure',
} as const satisfies CodeTable;

export const READ_JOIN_DETAILS_RESPONSE_CODES = {
  0: 'success',
  1: 'readFailure',
} as const satisfies CodeTable;

export const ACTIVATE_FIRMWARE_RESPONSE_CODES = {
  0: 'success',
  1: 'noImageHeld',
  2: 'hashMismatch',
  3: 'activationFailure',
} as const satisfies CodeTable;

export const FIRMWARE_TRANSFER_RESPONSE_CODES = {
  0: 'success',
  1: 'imageDiscarded',
  2: 'hardwareVersionMismatch',
  3: 'fileTransferFailure',
} as const satisfies CodeTable;

export const READ_FIRMWARE_VERSION_RESPONSE_CODES = {
  0: 'readSuccess',
  1: 'readFailure',
} as const satisfies CodeTable;

export const FIRMWARE_ACTIVATION_STATUS = {
  0: 'success',
  1: 'failure',
} as const satisfies CodeTable;

export const DEVICE_TIME_STATUS = {
  0: 'reliable',
  1: 'invalid',
  2: 'unreliable',
} as const satisfies CodeTable;

export const REMOTE_PARTY_ROLES = {
  0: 'root',
  1: 'recovery',
  2: 'supplier',
  3: 'networkOperator',
  4: 'accessControlBroker',
  5: 'transitionalCoS',
  6: 'wanProvider',
  7: 'issuingAuthority',
  8: 'loadController',
  127: 'other',
} as const satisfies CodeTable;

/** CS02b/CS02g message codes are 0x0100 + mode for modes 0..9. */
export const CREDENTIALS_REPLACEMENT_MODES = {
  0: 'rootBySupplier',
  1: 'rootByWanProvider',
  2: 'supplierBySupplier',
  3: 'networkOperatorByNetworkOperator',
  4: 'accessControlBrokerByAccessControlBroker',
  5: 'wanProviderByWanProvider',
  6: 'transCoSByTransCoS',
  7: 'supplierByTransCoS',
  8: 'anyExceptAbnormalRootByRecovery',
  9: 'anyByContingency',
  10: 'loadControllerByLoadController',
  11: 'loadControllerBySupplier',
} as const satisfies CodeTable;

export const CREDENTIAL_STATUS_CODES = {
  0: 'success',
  5: 'badCertificate',
  10: 'noTrustAnchor',
  17: 'insufficientMemory',
  25: 'trustAnchorNotFound',
  30: 'resourcesBusy',
  127: 'other',
} as const satisfies CodeTable;

export const CELL_USAGE = {
  0: 'management',
  1: 'prepaymentTopUp',
} as const satisfies CodeTable;

export const TIME_BASED_CPV_CHECKS = {
  0: 'apply',
  1: 'disapply',
} as const satisfies CodeTable;

export const SEQ_NUMBER_USAGE = {
  0: 'prepaymentTopUp',
} as const satisfies CodeTable;

export const ISSUE_CREDENTIALS_RESPONSE_CODES = {
  1: 'invalidKeyUsage',
  2: 'keyPairGenerationFailed',
  3: 'certificationRequestProductionFailed',
} as const satisfies CodeTable;

export const UPDATE_DEVICE_CERTIFICATE_RESPONSE_CODES = {
  0: 'success',
  1: 'invalidCertificate',
  2: 'wrongDeviceIdentity',
  3: 'invalidKeyUsage',
  4: 'noCorrespondingKeyPairGenerated',
  5: 'wrongPublicKey',
  6: 'certificateStorageFailed',
  7: 'privateKeyChangeFailed',
} as const satisfies CodeTable;

export const PROVIDE_DEVICE_CERTIFICATE_RESPONSE_CODES = {
  1: 'invalidKeyUsage',
  2: 'noCertificateHeld',
  3: 'certificateRetrievalFailure',
} as const satisfies CodeTable;

/** X.509 KeyUsage bit names in bit order (RFC 5280). */
export const KEY_USAGE_BITS = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;

export type KeyUsageName = (typeof KEY_USAGE_BITS)[number];

/** Alert codes the ASN.1 alerts carry, by name, for builders. */
export const ALERT = {
  gpfDeviceLogChanged: 0x8071,
  futureDatedSuccess: 0x8f66,
  futureDatedFailure: 0x8f67,
  firmwareTransferFailure: 0x8f89,
  firmwareTransferSuccess: 0x8f8a,
  firmwareVersionRead: 0x8f8b,
} as const;

/** What the ASN.1 alerts' codes mean. */
export const ALERT_CODES = {
  0x8071: 'GPF Device Log changed',
  0x8f66: 'Future-dated command executed successfully',
  0x8f67: 'Future-dated command not executed successfully',
  0x8f89: 'Firmware transfer failed',
  0x8f8a: 'Firmware transfer succeeded',
  0x8f8b: 'Firmware version read after activation',
} as const satisfies CodeTable;

export type NameOf<T extends CodeTable> = T[keyof T];

/** A builder's input for an enumerated field: its name, or the raw number for values outside the table. */
export type Code<T extends CodeTable> = NameOf<T> | number;

export function codeNumber<T extends CodeTable>(table: T, code: Code<T>, what: string): number {
  if (typeof code === 'number') {
    if (!Number.isSafeInteger(code)) throw new GbcsEncodeError(`${what}: ${code} is not an integer`);
    return code;
  }
  for (const [value, name] of Object.entries(table)) if (name === code) return Number(value);
  throw new GbcsEncodeError(`${what}: unknown name ${JSON.stringify(code)}`);
}
