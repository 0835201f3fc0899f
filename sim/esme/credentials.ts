import { toHex } from '../../src/bytes.ts';
import type { Eui } from '../../src/crypto/eui.ts';
import type { PublicKey } from '../../src/crypto/keys.ts';
import type { KeyUsage } from '../../src/crypto/keystore.ts';
import { GbcsDecodeError } from '../../src/gbcs/errors.ts';
import type { KeyUsageName } from '../../src/gbcs/payload/asn1/codes.ts';
import { decodeDer, encodeDer, type DerNode } from '../../src/gbcs/payload/asn1/der.ts';
import { decodeAs } from '../../src/gbcs/payload/asn1/schema.ts';
import { updateCredentialsCommand, type ReplacementOutcome, type TrustAnchorCell, type UpdateSecurityCredentialsOutcome } from '../../src/gbcs/payload/asn1/security-credentials.ts';
import type { Json } from '../../src/gbcs/payload/types.ts';
import { CertificateError, readCertificate, signedBy, subjectKeyId, type CertificateFacts } from './smki.ts';
import { MESSAGE_CODE as CODE } from '../../src/gbcs/message-codes.ts';

/**
 * CS02b, supplier by supplier (message code 0x0102): the supplier replaces the supplier trust anchor cells — its
 * signing key, its key agreement key and its prepayment top-up key — with certificates that chain to the SMKI
 * root the meter holds. Each cell is checked and replaced on its own, and reported in the outcome as the RTDS
 * shows: the existing and the replacing subject and key ids, and a status.
 */

export const CS02B_SUPPLIER_BY_SUPPLIER = CODE.CS02b_SupplierBySupplier;
/** 0x00CB: the alert a future-dated CS02b raises when it has run. */
export const FUTURE_DATED_CREDENTIALS_ALERT = 0x00cb;

const SUPPLIER_ROLE = 2;
const SUPPLIER_BY_SUPPLIER = 2;
const STATUS = { success: 0, badCertificate: 5, noTrustAnchor: 10, other: 127 } as const;
const TIME_BASED_CHECKS_APPLY = 0;

/** One supplier trust anchor cell as the meter holds it. */
export interface AnchorCell {
  eui: Eui;
  key: PublicKey;
}

export type SupplierCells = Record<KeyUsage, AnchorCell>;

const CELL_OF: { usage: KeyUsage; cell: TrustAnchorCell }[] = [
  { usage: 'ds', cell: { remotePartyRole: 'supplier', keyUsage: ['digitalSignature'] } },
  { usage: 'ka', cell: { remotePartyRole: 'supplier', keyUsage: ['keyAgreement'] } },
  { usage: 'pp-ka', cell: { remotePartyRole: 'supplier', keyUsage: ['keyAgreement'], cellUsage: 'prepaymentTopUp' } },
];

export interface CredentialsCommand {
  authorisingSeqNumber: bigint;
  replacementMode: number;
  timeBasedChecks: boolean;
  floorSeqNumber: bigint;
  topUpFloorSeqNumber: bigint;
  replacements: { certificate: Uint8Array; role: number; keyUsage: KeyUsageName[]; prepayment: boolean }[];
  path: Uint8Array[];
  /** Absent: at once. */
  executionDateTime?: number;
}

export class CredentialsCommandError extends Error {
  override readonly name = 'CredentialsCommandError';
}

type Fields = { [key: string]: Json };

/** Reads the command's DER: the named fields from the codec, the certificates as the bytes they came in. */
export function readCredentialsCommand(payload: Uint8Array): CredentialsCommand {
  let root: DerNode;
  let f: Fields;
  try {
    root = decodeDer(payload);
    f = decodeAs(updateCredentialsCommand, root) as Fields;
  } catch (e) {
    if (e instanceof GbcsDecodeError) throw new CredentialsCommandError(e.message);
    throw e;
  }
  const children = (root as Extract<DerNode, { kind: 'constructed' }>).children;
  const certificateOf = (n: DerNode | undefined) => (n?.kind === 'constructed' ? encodeDer(n.children[0]!) : new Uint8Array());
  const replacementNodes = children[1]?.kind === 'constructed' ? children[1].children : [];
  const pathNodes = children[2]?.kind === 'constructed' ? children[2].children : [];
  const control = f.authorisingRemotePartyControl as Fields;
  const specialist = (control.newRemotePartySpecialistFloorSeqNumbers as Fields[] | undefined) ?? [];
  const topUpFloor = specialist.find((s) => (s.seqNumberUsage as Fields).value === 0)?.seqNumber;
  const execution = f.executionDateTime;
  return {
    authorisingSeqNumber: BigInt(control.authorisingRemotePartySeqNumber as string),
    replacementMode: (control.credentialsReplacementMode as Fields).value as number,
    timeBasedChecks: (control.timeBasedCpvChecks as Fields | undefined)?.value === TIME_BASED_CHECKS_APPLY,
    floorSeqNumber: BigInt((control.newRemotePartyFloorSeqNumber as string | undefined) ?? '0'),
    topUpFloorSeqNumber: BigInt((topUpFloor as string | undefined) ?? '0'),
    replacements: (f.replacements as Fields[]).map((r, i) => {
      const cell = r.targetTaCell as Fields;
      return {
        certificate: certificateOf(replacementNodes[i]),
        role: (cell.remotePartyRole as Fields).value as number,
        keyUsage: cell.keyUsage as KeyUsageName[],
        prepayment: (cell.cellUsage as Fields | undefined)?.value === 1,
      };
    }),
    path: pathNodes.map((n) => encodeDer(n)),
    ...(typeof execution === 'string' ? { executionDateTime: Date.parse(execution) } : {}),
  };
}

export interface CredentialsContext {
  /** The originator counter of the command (the authorising sequence number must be it). */
  counter: bigint;
  cells: SupplierCells;
  smkiRoot: PublicKey;
  /** Device time, for the certificates' validity when time-based checks apply. */
  now: number;
}

export interface CredentialsResult {
  outcome: UpdateSecurityCredentialsOutcome;
  /** The cells replaced, with the facts of their new certificates. */
  replaced: Partial<Record<KeyUsage, CertificateFacts>>;
}

/** The issuing CA in the path whose certificate the root signed and which signed `der`, if any. */
function issuedUnderRoot(der: Uint8Array, path: Uint8Array[], root: PublicKey): boolean {
  return path.some((ca) => {
    if (!signedBy(ca, root)) return false;
    try {
      const facts = readCertificate(ca);
      return facts.keyUsage.includes('keyCertSign') && signedBy(der, facts.publicKey);
    } catch (e) {
      if (e instanceof CertificateError) return false;
      throw e;
    }
  });
}

function checkReplacement(
  r: CredentialsCommand['replacements'][number],
  command: CredentialsCommand,
  ctx: CredentialsContext,
): { usage?: KeyUsage; status: number; facts?: CertificateFacts } {
  const slot = CELL_OF.find((c) => c.cell.keyUsage[0] === r.keyUsage[0] && r.keyUsage.length === 1 && (c.cell.cellUsage === 'prepaymentTopUp') === r.prepayment);
  if (r.role !== SUPPLIER_ROLE || !slot) return { status: STATUS.noTrustAnchor };
  let facts: CertificateFacts;
  try {
    facts = readCertificate(r.certificate);
  } catch (e) {
    if (e instanceof CertificateError) return { usage: slot.usage, status: STATUS.badCertificate };
    throw e;
  }
  const inDate = !command.timeBasedChecks || (ctx.now >= facts.notBefore && ctx.now <= facts.notAfter);
  const usageMatches = facts.keyUsage.length === 1 && facts.keyUsage[0] === r.keyUsage[0];
  if (!facts.entityId || !inDate || !usageMatches || !issuedUnderRoot(r.certificate, command.path, ctx.smkiRoot)) return { usage: slot.usage, status: STATUS.badCertificate };
  return { usage: slot.usage, status: STATUS.success, facts };
}

/** Checks each replacement and reports what would be replaced; changes nothing itself. */
export function evaluateCredentialsCommand(command: CredentialsCommand, ctx: CredentialsContext): CredentialsResult {
  const authorised = command.replacementMode === SUPPLIER_BY_SUPPLIER && command.authorisingSeqNumber === ctx.counter;
  const replaced: CredentialsResult['replaced'] = {};
  const replacementOutcomes: ReplacementOutcome[] = command.replacements.map((r) => {
    const check = authorised ? checkReplacement(r, command, ctx) : { status: STATUS.other };
    const existing = check.usage ? ctx.cells[check.usage] : undefined;
    if (check.usage && check.facts) replaced[check.usage] = check.facts;
    const cell: TrustAnchorCell = { remotePartyRole: r.role, keyUsage: r.keyUsage, ...(r.prepayment ? { cellUsage: 'prepaymentTopUp' as const } : {}) };
    const existingId = existing?.eui ?? '0000000000000000';
    const existingKeyId = existing ? subjectKeyId(existing.key) : new Uint8Array(8);
    return {
      affectedTaCell: cell,
      statusCode: check.status,
      existingSubjectUniqueId: existingId,
      existingSubjectKeyId: existingKeyId,
      replacingSubjectUniqueId: check.facts?.entityId ?? existingId,
      replacingSubjectKeyId: check.facts?.subjectKeyId ?? existingKeyId,
    };
  });
  return {
    outcome: {
      authorisingRemotePartySeqNumber: command.authorisingSeqNumber,
      credentialsReplacementMode: command.replacementMode,
      remotePartySeqNumberChanges: [
        { remotePartyRole: 'supplier', floorSeqNumber: command.floorSeqNumber, specialistFloorSeqNumbers: [{ seqNumberUsage: 'prepaymentTopUp', seqNumber: command.topUpFloorSeqNumber }] },
      ],
      replacementOutcomes,
    },
    replaced,
  };
}

export function allReplaced(result: CredentialsResult): boolean {
  return result.outcome.replacementOutcomes.every((o) => o.statusCode === STATUS.success);
}

/** A cell as persistent state keeps it: the key as its uncompressed point. */
export interface StoredCell {
  eui: Eui;
  key: string;
}

export const storeCell = (c: AnchorCell): StoredCell => ({ eui: c.eui, key: toHex(c.key.raw) });
