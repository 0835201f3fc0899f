import type { Eui } from '../crypto/eui.ts';
import type { FrameEvent } from '../evidence/events.ts';
import type { HeadEnd } from '../headend/headend.ts';
import type { ServiceRequestRegistry } from '../headend/requests/registry.ts';
import type { RequestContext, RequestParams } from '../headend/requests/types.ts';
import type { DecodedMessage } from '../gbcs/message.ts';
import type { Clock } from '../time/clock.ts';
import type { Value } from './expression.ts';
import type { Quantity } from './quantity.ts';
import type { Role } from './roles.ts';
import type { HanAction } from './types.ts';

/** A frame as the premises saw it, before the runner scopes it to a scenario and step. */
export type PremisesFrame = Omit<FrameEvent, 'type' | 'setId' | 'scenarioId' | 'stepId' | 'wallTime' | 'virtualTime'> & { at: number };

/** A UTRN as the supplier makes it for a meter. */
export interface MadeUtrn {
  utrn: string;
  counter: bigint;
  amount: Quantity;
}

/** The infrastructure under a scenario broke (broker gone, serial unplugged, rig lost): an error, never a failure. */
export class InfrastructureError extends Error {
  override readonly name = 'InfrastructureError';
}

/**
 * One installation a scenario runs against, whatever it is made of: simulated devices, real devices behind a
 * rig, or a mix. The runner knows business steps, never bytes; everything it does to devices goes through here.
 */
export interface Premises {
  readonly clock: Clock;
  /** Virtual time: waits cost nothing and the runner drives the clock. */
  readonly virtual: boolean;
  readonly headEnd: HeadEnd;
  readonly requests: ServiceRequestRegistry;
  /** Roles present, with their EUI-64s. */
  readonly roles: Readonly<Partial<Record<Role, Eui>>>;
  requestContext(): RequestContext;
  /** Parameters the DCC fills in itself when a scenario leaves them out (a device's install code, the last backups). */
  defaultParams(srv: string, params: RequestParams): RequestParams;
  /** A device's scenario-visible state (balance, paymentMode, importEnergy, firmwareVersion, network…). */
  state(role: Role): Readonly<Record<string, Value>>;
  /** Does something on the HAN or in the room; returns fields a step may capture. */
  han(action: HanAction, values: { utrn?: string }): Promise<Readonly<Record<string, Value>>>;
  makeUtrn(role: Role, amount: Quantity): MadeUtrn;
  /** A GBCS message as the head-end reads it: framing, payload and verdicts with its keys. */
  decodeMessage(bytes: Uint8Array): DecodedMessage;
  /** Runs the clock until the work settles (virtual time), or simply awaits it (real time). */
  run<T>(work: Promise<T>): Promise<T>;
  /** Lets clock time pass. */
  wait(ms: number): Promise<void>;
  onFrame(listener: (frame: PremisesFrame) => void): () => void;
  close(): Promise<void>;
}
