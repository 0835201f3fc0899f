import type { Eui } from '../../crypto/eui.ts';
import type { KeyStore } from '../../crypto/keystore.ts';
import type { Json } from '../../gbcs/payload/types.ts';
import type { DecodedMessage } from '../../gbcs/message.ts';
import type { CommandSpec, Sender } from '../headend.ts';

/** Device roles of a simulated or real premises, as scenarios name them. */
export type DeviceRole = 'chf' | 'gpf' | 'esme' | 'gsme' | 'ppmid' | 'ihd';

/** What a service request is built against: who is who, and the time. */
export interface RequestContext {
  /** EUI-64 of every role present at the premises. */
  devices: Partial<Record<DeviceRole, Eui>>;
  hub: Eui;
  /** Clock time, ms since the epoch (for date-times in commands, future dating). */
  now: number;
  parties: { acb: Eui; supplier: Eui; networkOperator?: Eui };
  /** The head-end's keys (organisation private keys, devices' public keys): for payloads computed with them, e.g. UTRNs. */
  keys?: KeyStore;
  /**
   * Takes the sender's next originator counter, for payloads that carry it (a top-up's UTRN, CS02b's sequence
   * number); `topUp` gives one whose low 32 bits are zero. The command spec must then carry that counter.
   */
  nextCounter?: (options?: { topUp?: boolean; sender?: Sender }) => bigint;
}

/** Parameters as a scenario gives them: plain JSON values. */
export type RequestParams = Readonly<Record<string, Json>>;

/** The outcome of a service request as the DCC would report it to the user. */
export interface RequestOutcome {
  success: boolean;
  /** A named error when not successful, e.g. `utrn-rejected`, `data-access-denied`. */
  error?: string;
  /** Named results (balances, versions, modes…), JSON-safe. */
  fields: Record<string, Json>;
}

export class RequestParamsError extends Error {
  override readonly name = 'RequestParamsError';
}

/**
 * A DUIS service request variant sent to one kind of device, as hanlab can send it: the same variant to another
 * device type is another definition (2.2 to an ESME is CS01a, to a GSME CS01b).
 */
export interface ServiceRequestDefinition {
  /** DUIS reference variant, e.g. `2.2`, `8.7.1`. */
  srv: string;
  name: string;
  target: DeviceRole;
  /** The GBCS command(s): usually one; several run in order, each waiting for its response. */
  build(params: RequestParams, ctx: RequestContext): Omit<CommandSpec, 'hub'>[];
  /** Reads the target's response into the outcome; the decoded message has payload fields. */
  interpret(response: DecodedMessage, params: RequestParams): RequestOutcome;
}
