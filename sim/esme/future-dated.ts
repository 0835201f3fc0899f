import type { Eui } from '../../src/crypto/eui.ts';
import { encodeApdu } from '../../src/gbcs/payload/dlms/apdu.ts';
import { futureDatedAlert } from '../../src/gbcs/payload/dlms/use-cases.ts';
import { cosemDateTime } from '../../src/gbcs/payload/dlms/cosem-time.ts';
import type { ChargeSet, PaymentMode } from './account.ts';
import type { Target } from './dlms.ts';

/** 0x00CC: Future Dated Execution of Instruction Alert (DLMS COSEM), signed by the meter. */
export const FUTURE_DATED_ALERT_MESSAGE_CODE = 0x00cc;

/** What a future-dated command left to do, kept in non-volatile memory until its time comes. */
export type PendingAction =
  | { kind: 'payment-mode'; mode: PaymentMode; charges?: ChargeSet }
  | { kind: 'disablement-threshold'; value: number }
  /** A CS02b command (DER, hex) to carry out then. */
  | { kind: 'security-credentials'; payload: string };

export interface PendingExecution {
  /** Device time at which it takes effect, ms since the epoch. */
  at: number;
  action: PendingAction;
  /** The command it came from, which the alert reports on; `target` is the DLMS attribute that set the time. */
  command: { messageCode: number; originatorCounter: string; originator: Eui; target?: Target };
}

/** Due ones first, in the order they were accepted among equals. */
export function dueExecutions(pending: PendingExecution[], deviceNow: number): PendingExecution[] {
  return pending.filter((p) => p.at <= deviceNow).sort((a, b) => a.at - b.at);
}

/** The 0x8F66 alert payload for an execution that took effect (the DLMS invoke id is the alert's own counter). */
export function executedAlertPayload(p: PendingExecution, alertCounter: bigint, deviceNow: number): Uint8Array {
  const { messageCode, originatorCounter, target } = p.command;
  if (!target) throw new Error(`a DLMS future-dated alert needs the attribute that set the activation time (message code ${messageCode})`);
  return encodeApdu(
    futureDatedAlert({
      counter: alertCounter,
      timestamp: cosemDateTime(new Date(deviceNow)),
      command: { messageCode, originatorCounter: BigInt(originatorCounter), classId: target.classId, obis: target.obis, attributeId: target.id },
    }),
  );
}
