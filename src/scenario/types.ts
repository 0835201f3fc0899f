import type { AlertCode } from './alerts.ts';
import type { CompareOp } from './compare.ts';
import type { Duration } from './duration.ts';
import type { Expr, Value } from './expression.ts';
import type { Role, RoleMap } from './roles.ts';
import type { SrvOutcome } from './service-requests.ts';
import type { SourceLocation } from './yaml-source.ts';

/** Variable name → field of the step's result (dotted for nested fields: `balance`, `meter.balance`). */
export type Captures = Readonly<Record<string, string>>;

interface StepCommon {
  /** Given in the file, or `step-<n>` (1-based). Unique within the scenario. */
  readonly id: string;
  /** Given in the file, or a one-line description of what the step does. */
  readonly name: string;
  /** Where the step starts in its file. */
  readonly location: SourceLocation;
}

interface TimedStep extends StepCommon {
  /** Clock time the step may take: its own `timeout` (or `within`), else the scenario's default. */
  readonly timeout: Duration;
}

/**
 * How a negative scenario tampers with a service request on its way to the device: a signature by a key the
 * device does not trust, a command the device already accepted sent again, a sender that is not its supplier,
 * or a critical command without its signature.
 */
export const ATTACKS = ['forged-signature', 'replay', 'unknown-sender', 'unsigned'] as const;
export type Attack = (typeof ATTACKS)[number];

/** A DCC service request sent through the head-end. */
export interface ServiceRequestStep extends TimedStep {
  readonly kind: 'srv';
  readonly srv: string;
  readonly to: Role;
  readonly params: Readonly<Record<string, Expr>>;
  /** `success` unless the file says otherwise. */
  readonly expect: SrvOutcome;
  readonly attack?: Attack;
  readonly capture: Captures;
}

export const HAN_ACTIONS = ['enter-utrn', 'ihd-read', 'power-off', 'power-on', 'reboot', 'fault', 'fault-clear', 'replace-hub', 'join'] as const;
export type HanActionName = (typeof HAN_ACTIONS)[number];

export const FAULT_KINDS = ['drop', 'delay', 'corrupt', 'duplicate', 'clock-drift'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
/** Relative to the faulty device: frames it receives (`in`), sends (`out`), or both. */
export type FaultDirection = 'in' | 'out' | 'both';

export type Fault =
  | { readonly kind: 'drop' | 'corrupt' | 'duplicate'; readonly direction: FaultDirection; readonly rate: number }
  | { readonly kind: 'delay'; readonly direction: FaultDirection; readonly rate: number; readonly delay: Duration }
  /** The device's clock runs this far ahead (positive) or behind (negative). */
  | { readonly kind: 'clock-drift'; readonly drift: Duration };

/** Something done to a device on the HAN or in the room, rather than through the DCC. */
export type HanAction =
  | { readonly action: 'enter-utrn'; readonly device: Role; readonly utrn: Expr }
  | { readonly action: 'ihd-read' | 'power-off' | 'power-on' | 'reboot' | 'join'; readonly device: Role }
  | { readonly action: 'fault'; readonly device: Role; readonly fault: Fault }
  /** Without `kind`, clears every fault on the device. */
  | { readonly action: 'fault-clear'; readonly device: Role; readonly kind?: FaultKind }
  /** Swaps the Comms Hub for a new one (optionally another model or firmware). */
  | { readonly action: 'replace-hub'; readonly device: 'chf'; readonly model?: string; readonly firmware?: string };

export interface HanStep extends TimedStep {
  readonly kind: 'han';
  readonly han: HanAction;
  readonly capture: Captures;
}

/** Lets clock time pass (virtual time on a simulated rig). */
export interface WaitStep extends StepCommon {
  readonly kind: 'wait';
  readonly duration: Duration;
}

export interface ExpectAlertStep extends TimedStep {
  readonly kind: 'expect-alert';
  readonly alert: AlertCode;
  readonly from: Role;
  /** Given in the file: the alert must arrive this soon (the step's timeout is then this). */
  readonly within?: Duration;
  readonly capture: Captures;
}

/** A comparison: `op value`, and for `changed-by` the earlier value it changed from. */
export interface Check {
  readonly op: CompareOp;
  readonly value: Expr;
  readonly since?: Expr;
}

/** Looks at a device's state directly (simulators and instrumented rigs expose it). */
export interface ExpectStateStep extends TimedStep {
  readonly kind: 'expect-state';
  readonly device: Role;
  readonly field: string;
  readonly check: Check;
  /** Given: re-check until the check holds or this much clock time passes. Absent: check once. */
  readonly within?: Duration;
}

/** Reads through a service request, then checks a field of the response. */
export interface ExpectReadStep extends TimedStep {
  readonly kind: 'expect-read';
  readonly srv: string;
  readonly to: Role;
  readonly params: Readonly<Record<string, Expr>>;
  readonly field: string;
  readonly check: Check;
  readonly capture: Captures;
}

/** Has the head-end make a UTRN for a meter, as the supplier would, without sending it. */
export interface MakeUtrnStep extends TimedStep {
  readonly kind: 'make-utrn';
  readonly for: Role;
  readonly amount: Expr;
  /** Result fields: `utrn`, `counter`, `amount`. */
  readonly capture: Captures;
}

export type Step = ServiceRequestStep | HanStep | WaitStep | ExpectAlertStep | ExpectStateStep | ExpectReadStep | MakeUtrnStep;
export type StepKind = Step['kind'];
export const STEP_KINDS: readonly StepKind[] = ['srv', 'han', 'wait', 'expect-alert', 'expect-state', 'expect-read', 'make-utrn'];

export interface ScenarioDefaults {
  readonly timeout: Duration;
}

export interface Scenario {
  readonly id: string;
  readonly title: string;
  readonly tags: readonly string[];
  readonly description: string;
  readonly roles: RoleMap;
  /** Constants the steps may use as `${name}`. */
  readonly vars: Readonly<Record<string, Value>>;
  readonly defaults: ScenarioDefaults;
  readonly steps: readonly Step[];
  /** Where the scenario's id is written. */
  readonly location: SourceLocation;
}

/** A step as read from the file, before defaults and positions are filled in. */
export type StepDraft = Step extends infer S
  ? S extends Step
    ? Omit<S, 'id' | 'name' | 'location' | 'timeout'> & { readonly id?: string; readonly name?: string; readonly timeout?: Duration }
    : never
  : never;
