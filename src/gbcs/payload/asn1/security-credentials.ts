/**
 * Security credential use cases: CS02a/CS02f provide credential details, CS02b/CS02g update credentials
 * (command, response, future-dated alert), CS02c issue credentials, CS02d update and CS02e provide the device
 * certificate.
 */
import type { Eui } from '../../../crypto/eui.ts';
import { encodeDer, TAG, type DerNode } from './der.ts';
import { alertCode } from './gbcs-types.ts';
import {
  CELL_USAGE,
  CREDENTIAL_STATUS_CODES,
  CREDENTIALS_REPLACEMENT_MODES,
  ISSUE_CREDENTIALS_RESPONSE_CODES,
  KEY_USAGE_BITS,
  PROVIDE_DEVICE_CERTIFICATE_RESPONSE_CODES,
  REMOTE_PARTY_ROLES,
  SEQ_NUMBER_USAGE,
  TIME_BASED_CPV_CHECKS,
  UPDATE_DEVICE_CERTIFICATE_RESPONSE_CODES,
  codeNumber,
  type Code,
  type KeyUsageName,
} from './codes.ts';
import {
  bitNames,
  choice,
  counter,
  enumerated,
  field,
  generalizedTime,
  implicit,
  named,
  octets,
  optional,
  presence,
  sequence,
  sequenceOf,
} from './schema.ts';
import { certificate, certificationRequest } from './x509.ts';
import {
  certificateNode,
  constructed,
  counterNode,
  euiNode,
  generalizedTimeNode,
  integerNode,
  keyUsageNode,
  nullNode,
  octetStringNode,
  sequence as sequenceNode,
  withDeviceLengthForms,
} from './node-builders.ts';

const remotePartyRole = enumerated('RemotePartyRole', REMOTE_PARTY_ROLES);
const keyUsage = bitNames('KeyUsage', KEY_USAGE_BITS);
const cellUsage = enumerated('CellUsage', CELL_USAGE);
const statusCode = enumerated('StatusCode', CREDENTIAL_STATUS_CODES, TAG.ENUMERATED);
const replacementMode = enumerated('CredentialsReplacementMode', CREDENTIALS_REPLACEMENT_MODES);

/** cellUsage absent means management (its DEFAULT). */
const trustAnchorCellIdentifier = (tag: number = TAG.SEQUENCE) =>
  sequence(
    'TrustAnchorCellIdentifier',
    [field('remotePartyRole', remotePartyRole), field('keyUsage', keyUsage), optional('cellUsage', cellUsage)],
    tag,
  );

const specialistSeqNumber = sequence('SpecialistSeqNumber', [
  field('seqNumberUsage', enumerated('SeqNumberUsage', SEQ_NUMBER_USAGE)),
  field('seqNumber', counter('SeqNumber')),
]);

const remotePartySeqNumberChange = sequence('RemotePartySeqNumberChange', [
  field('remotePartyRole', remotePartyRole),
  field('floorSeqNumber', counter('floorSeqNumber')),
  optional('specialistFloorSeqNumbers', sequenceOf('specialistFloorSeqNumbers', specialistSeqNumber)),
]);

// CS02a / CS02f

export const provideCredentialDetailsCommand = sequence('ProvideSecurityCredentialDetailsCommand', [
  field('authorisingRemotePartyTaCell', trustAnchorCellIdentifier()),
  field('remotePartyRolesCredentialsRequired', sequenceOf('remotePartyRolesCredentialsRequired', remotePartyRole)),
]);

const trustAnchorCellContents = sequence('TrustAnchorCellContents', [
  field('keyUsage', keyUsage),
  optional('cellUsage', cellUsage),
  field('subjectUniqueId', octets('subjectUniqueID')),
  field('subjectKeyId', octets('subjectKeyIdentifier')),
]);

const remotePartyDetails = sequence('RemotePartyDetails', [
  field('remotePartyRole', remotePartyRole),
  field('statusCode', statusCode),
  optional('currentSeqNumber', counter('currentSeqNumber')),
  optional('trustAnchorCells', sequenceOf('trustAnchorCellDetails', trustAnchorCellContents)),
]);

export const provideCredentialDetailsResponse = named(
  'remoteParties',
  sequenceOf('ProvideSecurityCredentialDetailsResponse', remotePartyDetails),
);

// CS02b / CS02g

const authorisingRemotePartyControl = sequence('AuthorisingRemotePartyControl', [
  field('credentialsReplacementMode', replacementMode),
  optional('plaintextSymmetricKey', implicit(0x80, octets('plaintextSymmetricKey'))),
  optional('timeBasedCpvChecks', implicit(0x81, enumerated('applyTimeBasedCPVChecks', TIME_BASED_CPV_CHECKS))),
  optional('authorisingRemotePartyTaCell', trustAnchorCellIdentifier(0xa2)),
  field('authorisingRemotePartySeqNumber', implicit(0x83, counter('authorisingRemotePartySeqNumber'))),
  optional('newRemotePartyFloorSeqNumber', implicit(0x84, counter('newRemotePartyFloorSeqNumber'))),
  optional('newRemotePartySpecialistFloorSeqNumbers', sequenceOf('newRemotePartySpecialistFloorSeqNumber', specialistSeqNumber, 0xa5)),
  optional('otherRemotePartySeqNumberChanges', sequenceOf('otherRemotePartySeqNumberChanges', remotePartySeqNumberChange, 0xa6)),
]);

const trustAnchorReplacement = sequence('TrustAnchorReplacement', [
  field('certificate', certificate),
  field('targetTaCell', trustAnchorCellIdentifier()),
]);

export const updateCredentialsCommand = sequence('UpdateSecurityCredentialsCommand', [
  field('authorisingRemotePartyControl', authorisingRemotePartyControl),
  field('replacements', sequenceOf('replacements', trustAnchorReplacement)),
  field('certificationPathCertificates', sequenceOf('certificationPathCertificates', certificate)),
  optional('executionDateTime', generalizedTime('executionDateTime')),
]);

const replacementOutcome = sequence('ReplacementOutcome', [
  field('affectedTaCell', trustAnchorCellIdentifier()),
  field('statusCode', statusCode),
  field('existingSubjectUniqueId', octets('existingSubjectUniqueID')),
  field('existingSubjectKeyId', octets('existingSubjectKeyIdentifier')),
  field('replacingSubjectUniqueId', octets('replacingSubjectUniqueID')),
  field('replacingSubjectKeyId', octets('replacingSubjectKeyIdentifier')),
]);

const executionOutcome = sequence('UpdateSecurityCredentialsExecutionOutcome', [
  field('authorisingRemotePartySeqNumber', counter('authorisingRemotePartySeqNumber')),
  field('credentialsReplacementMode', replacementMode),
  field('remotePartySeqNumberChanges', sequenceOf('remotePartySeqNumberChanges', remotePartySeqNumberChange)),
  field('replacementOutcomes', sequenceOf('replacementOutcomes', replacementOutcome)),
]);

export const updateCredentialsResponse = sequence('UpdateSecurityCredentialsResponse', [
  field('commandAccepted', presence('commandAccepted')),
  optional('executionOutcome', executionOutcome),
]);

export const updateCredentialsAlert = sequence('UpdateSecurityCredentialsAlert', [
  field('alertCode', alertCode),
  field('executionDateTime', generalizedTime('executionDateTime')),
  field('executionOutcome', executionOutcome),
]);

// CS02c / CS02d / CS02e

export const keyUsageCommand = sequence('KeyUsageCommand', [field('keyUsage', keyUsage)]);

export const issueCredentialsResponse = choice('IssueSecurityCredentialsResponse', [
  named('certificationRequest', certificationRequest),
  named('responseCode', enumerated('ResponseCode', ISSUE_CREDENTIALS_RESPONSE_CODES)),
]);

export const updateDeviceCertificateCommand = named('certificate', certificate);

export const updateDeviceCertificateResponse = named(
  'responseCode',
  enumerated('ResponseCode', UPDATE_DEVICE_CERTIFICATE_RESPONSE_CODES),
);

export const provideDeviceCertificateResponse = choice('ProvideDeviceCertificateResponse', [
  named('certificate', certificate),
  named('responseCode', enumerated('ResponseCode', PROVIDE_DEVICE_CERTIFICATE_RESPONSE_CODES)),
]);

// Builders (CS02b / CS02g)

export interface TrustAnchorCell {
  remotePartyRole: Code<typeof REMOTE_PARTY_ROLES>;
  keyUsage: readonly KeyUsageName[];
  /** Omitted: management (the DEFAULT, so not encoded). */
  cellUsage?: Code<typeof CELL_USAGE>;
}

export interface SpecialistSeqNumber {
  seqNumberUsage: Code<typeof SEQ_NUMBER_USAGE>;
  seqNumber: bigint | number;
}

export interface RemotePartySeqNumberChange {
  remotePartyRole: Code<typeof REMOTE_PARTY_ROLES>;
  floorSeqNumber: bigint | number;
  specialistFloorSeqNumbers?: readonly SpecialistSeqNumber[];
}

export interface AuthorisingRemotePartyControl {
  credentialsReplacementMode: Code<typeof CREDENTIALS_REPLACEMENT_MODES>;
  plaintextSymmetricKey?: Uint8Array;
  timeBasedCpvChecks?: Code<typeof TIME_BASED_CPV_CHECKS>;
  authorisingRemotePartyTaCell?: TrustAnchorCell;
  authorisingRemotePartySeqNumber: bigint | number;
  newRemotePartyFloorSeqNumber?: bigint | number;
  newRemotePartySpecialistFloorSeqNumbers?: readonly SpecialistSeqNumber[];
  otherRemotePartySeqNumberChanges?: readonly RemotePartySeqNumberChange[];
}

export interface TrustAnchorReplacement {
  /** DER certificate of the new trust anchor. */
  certificate: Uint8Array;
  targetTaCell: TrustAnchorCell;
}

export interface UpdateSecurityCredentialsCommand {
  authorisingRemotePartyControl: AuthorisingRemotePartyControl;
  replacements: readonly TrustAnchorReplacement[];
  /** DER certificates that chain the replacements to the device's root. */
  certificationPathCertificates: readonly Uint8Array[];
  /** Absent: execute at once; CANCELLATION_DATE_TIME cancels a pending one. */
  executionDateTime?: Date;
}

function trustAnchorCellNode(cell: TrustAnchorCell, tag: number = TAG.SEQUENCE): DerNode {
  const children = [integerNode(codeNumber(REMOTE_PARTY_ROLES, cell.remotePartyRole, 'remotePartyRole')), keyUsageNode(cell.keyUsage)];
  if (cell.cellUsage !== undefined) children.push(integerNode(codeNumber(CELL_USAGE, cell.cellUsage, 'cellUsage')));
  return constructed(tag, children);
}

function specialistSeqNumberNode(s: SpecialistSeqNumber): DerNode {
  return sequenceNode([integerNode(codeNumber(SEQ_NUMBER_USAGE, s.seqNumberUsage, 'seqNumberUsage')), counterNode(s.seqNumber)]);
}

function seqNumberChangeNode(c: RemotePartySeqNumberChange): DerNode {
  const children = [integerNode(codeNumber(REMOTE_PARTY_ROLES, c.remotePartyRole, 'remotePartyRole')), counterNode(c.floorSeqNumber)];
  if (c.specialistFloorSeqNumbers) children.push(sequenceNode(c.specialistFloorSeqNumbers.map(specialistSeqNumberNode)));
  return sequenceNode(children);
}

function authorisingControlNode(c: AuthorisingRemotePartyControl): DerNode {
  const children = [integerNode(codeNumber(CREDENTIALS_REPLACEMENT_MODES, c.credentialsReplacementMode, 'credentialsReplacementMode'))];
  if (c.plaintextSymmetricKey) children.push(octetStringNode(c.plaintextSymmetricKey, 0x80));
  if (c.timeBasedCpvChecks !== undefined) children.push(integerNode(codeNumber(TIME_BASED_CPV_CHECKS, c.timeBasedCpvChecks, 'timeBasedCpvChecks'), 0x81));
  if (c.authorisingRemotePartyTaCell) children.push(trustAnchorCellNode(c.authorisingRemotePartyTaCell, 0xa2));
  children.push(counterNode(c.authorisingRemotePartySeqNumber, 0x83));
  if (c.newRemotePartyFloorSeqNumber !== undefined) children.push(counterNode(c.newRemotePartyFloorSeqNumber, 0x84));
  if (c.newRemotePartySpecialistFloorSeqNumbers) children.push(constructed(0xa5, c.newRemotePartySpecialistFloorSeqNumbers.map(specialistSeqNumberNode)));
  if (c.otherRemotePartySeqNumberChanges) children.push(constructed(0xa6, c.otherRemotePartySeqNumberChanges.map(seqNumberChangeNode)));
  return sequenceNode(children);
}

/** CS02b (0x0100–0x0109) and CS02g (0x0125, 0x0126) update security credentials command. */
export function buildUpdateSecurityCredentialsCommand(c: UpdateSecurityCredentialsCommand): Uint8Array {
  const children = [
    authorisingControlNode(c.authorisingRemotePartyControl),
    sequenceNode(c.replacements.map((r) => sequenceNode([certificateNode(r.certificate), trustAnchorCellNode(r.targetTaCell)]))),
    sequenceNode(c.certificationPathCertificates.map(certificateNode)),
  ];
  if (c.executionDateTime) children.push(generalizedTimeNode(c.executionDateTime));
  return encodeDer(sequenceNode(children));
}

export interface ReplacementOutcome {
  affectedTaCell: TrustAnchorCell;
  statusCode: Code<typeof CREDENTIAL_STATUS_CODES>;
  existingSubjectUniqueId: Eui;
  existingSubjectKeyId: Uint8Array;
  replacingSubjectUniqueId: Eui;
  replacingSubjectKeyId: Uint8Array;
}

export interface UpdateSecurityCredentialsOutcome {
  authorisingRemotePartySeqNumber: bigint | number;
  credentialsReplacementMode: Code<typeof CREDENTIALS_REPLACEMENT_MODES>;
  remotePartySeqNumberChanges: readonly RemotePartySeqNumberChange[];
  replacementOutcomes: readonly ReplacementOutcome[];
}

function replacementOutcomeNode(o: ReplacementOutcome): DerNode {
  return sequenceNode([
    trustAnchorCellNode(o.affectedTaCell),
    integerNode(codeNumber(CREDENTIAL_STATUS_CODES, o.statusCode, 'statusCode'), TAG.ENUMERATED),
    euiNode(o.existingSubjectUniqueId),
    octetStringNode(o.existingSubjectKeyId),
    euiNode(o.replacingSubjectUniqueId),
    octetStringNode(o.replacingSubjectKeyId),
  ]);
}

function executionOutcomeNode(o: UpdateSecurityCredentialsOutcome): DerNode {
  return sequenceNode([
    counterNode(o.authorisingRemotePartySeqNumber),
    integerNode(codeNumber(CREDENTIALS_REPLACEMENT_MODES, o.credentialsReplacementMode, 'credentialsReplacementMode')),
    sequenceNode(o.remotePartySeqNumberChanges.map(seqNumberChangeNode)),
    sequenceNode(o.replacementOutcomes.map(replacementOutcomeNode)),
  ]);
}

/**
 * CS02b/CS02g response: the command is accepted, and for an immediate command the outcome follows.
 * A future-dated command is answered without an outcome; the alert carries it when it runs.
 */
export function buildUpdateSecurityCredentialsResponse(outcome?: UpdateSecurityCredentialsOutcome): Uint8Array {
  const children = [nullNode()];
  if (outcome) children.push(executionOutcomeNode(outcome));
  return encodeDer(withDeviceLengthForms(sequenceNode(children)));
}

export interface UpdateSecurityCredentialsAlert {
  /** 0x8F66 success, 0x8F67 failure. */
  alertCode: number;
  executionDateTime: Date;
  executionOutcome: UpdateSecurityCredentialsOutcome;
}

/** Future-dated update security credentials alert: CS02b (0x00CB), CS02g (0x0124). */
export function buildUpdateSecurityCredentialsAlert(a: UpdateSecurityCredentialsAlert): Uint8Array {
  const tree = sequenceNode([integerNode(a.alertCode), generalizedTimeNode(a.executionDateTime), executionOutcomeNode(a.executionOutcome)]);
  return encodeDer(withDeviceLengthForms(tree));
}
