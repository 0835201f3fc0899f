import { GbcsDecodeError } from '../../src/gbcs/errors.ts';
import type { Eui } from '../../src/crypto/eui.ts';
import type { DecodedFrame } from '../../src/gbcs/frame.ts';
import { GbcsGuard, type RefusalReason, type TrustedRole } from './gbcs-guard.ts';
import { registerJoinUseCases, type JoinUseCasesOptions } from './join-use-cases.ts';
import { SimDevice, type DeviceEnvironment } from './device.ts';
import type { SimPki } from './pki.ts';

/** What a use case handler answers: the response payload, and alerts to raise afterwards. */
export interface UseCaseReply {
  payload: Uint8Array;
  /** The response header's date-time (12 octets): the RTDS shows it on some use cases' responses (CS01a, ECS02…). */
  responseDateTime?: Uint8Array;
  /** Raised after the response, e.g. a future-dated command's execution alert, or one scheduled by the handler. */
  alerts?: { messageCode: number; payload: Uint8Array; signed?: boolean }[];
}

export interface CommandContext {
  frame: DecodedFrame;
  /** The command was critical (signed by the supplier): its response is signed by the device. */
  critical: boolean;
}

/** Undefined: the device discards the command without answering (the handler records why with `refuse`). */
export type UseCaseHandler = (ctx: CommandContext) => UseCaseReply | undefined | Promise<UseCaseReply | undefined>;

/** Every refusal a device made, for tests and scenario expectations ("the meter refused the forged command"). */
export interface RefusalRecord {
  at: number;
  reason: RefusalReason | 'not-commissioned' | 'unsupported-use-case';
  detail: string;
  messageCode?: number;
  originator?: Eui;
}

export interface GbcsDeviceOptions {
  pki: SimPki;
  acb?: Eui;
}

/**
 * A device that takes GBCS commands: the guard admits or refuses them (and refusals change no state), a table
 * of use case handlers by message code answers them, and the response goes back MACed — or signed, when the
 * command was critical — with the device's own keys.
 */
export abstract class GbcsDevice extends SimDevice {
  readonly guard: GbcsGuard;
  readonly refusals: RefusalRecord[] = [];
  private readonly handlers = new Map<number, { handler: UseCaseHandler; needsCommissioning: boolean }>();

  constructor(env: DeviceEnvironment, eui: Eui, options: GbcsDeviceOptions) {
    super(env, eui);
    const { keys, trusted } = options.pki.deviceKeys(this.eui);
    this.guard = new GbcsGuard({ eui: this.eui, keys, trusted, acb: options.acb ?? options.pki.roles.acb });
  }

  /** Whether the device has been commissioned; use cases registered as needing it are refused before. */
  abstract get commissioned(): boolean;

  trusts(eui: Eui): TrustedRole | undefined {
    return this.guard.isTrusted(eui);
  }

  private useCasesDefined = false;

  /**
   * Where a device registers (most of) its use cases: called before the first command is handled, so an idle
   * device holds no handler table. Registrations made in a constructor work too.
   */
  protected defineUseCases(): void {}

  protected useCase(codes: number | number[], handler: UseCaseHandler, options: { needsCommissioning?: boolean } = {}): void {
    for (const code of Array.isArray(codes) ? codes : [codes]) this.handlers.set(code, { handler, needsCommissioning: options.needsCommissioning ?? false });
  }

  /** The error response a device gives to a use case it cannot run before commissioning; none = silence. */
  protected notCommissionedReply(_ctx: CommandContext): UseCaseReply | undefined {
    return undefined;
  }

  /** Alerts a device raises when it discards a command for security reasons (GBCS decides which); none by default. */
  protected securityAlerts(_refusal: RefusalRecord): Uint8Array[] {
    return [];
  }

  /** The join use cases (CS03, CS04, CS07) on this device; a payload that does not decode is refused as malformed. */
  protected joinUseCases(options: Omit<JoinUseCasesOptions, 'discard'>): void {
    registerJoinUseCases((codes, handler, o) => this.useCase(codes, handler, o), {
      ...options,
      discard: (frame, detail) => this.refuse({ reason: 'malformed', detail, messageCode: frame.header.other.messageCode }),
    });
  }

  protected refuse(record: Omit<RefusalRecord, 'at'>): void {
    this.refusals.push({ at: this.clock.now(), ...record });
  }

  /**
   * Admits and answers one GBCS command; returns the frames to send back to the head-end (response first, then
   * alerts), or none when the command was refused.
   */
  protected async processCommand(bytes: Uint8Array): Promise<Uint8Array[]> {
    if (!this.useCasesDefined) {
      this.useCasesDefined = true;
      this.defineUseCases();
    }
    const admission = this.guard.admit(bytes);
    if (!admission.ok) {
      const h = admission.frame?.header;
      const record = { reason: admission.reason, detail: admission.detail, ...(h ? { messageCode: h.other.messageCode, originator: h.originator } : {}) };
      this.refuse(record);
      return this.securityAlerts({ at: this.clock.now(), ...record });
    }
    const { frame, critical } = admission;
    const code = frame.header.other.messageCode;
    const entry = this.handlers.get(code);
    if (!entry) {
      this.refuse({ reason: 'unsupported-use-case', detail: `no use case for message code 0x${code.toString(16).padStart(4, '0')}`, messageCode: code, originator: frame.header.originator });
      return [];
    }
    let reply: UseCaseReply | undefined;
    if (entry.needsCommissioning && !this.commissioned) {
      this.refuse({ reason: 'not-commissioned', detail: 'the device is not commissioned', messageCode: code, originator: frame.header.originator });
      reply = this.notCommissionedReply({ frame, critical });
      if (!reply) return [];
    } else {
      try {
        reply = await entry.handler({ frame, critical });
      } catch (e) {
        // A payload the use case cannot read is discarded, as a real device would, and recorded.
        if (!(e instanceof GbcsDecodeError)) throw e;
        this.refuse({ reason: 'malformed', detail: e.message, messageCode: code, originator: frame.header.originator });
        return [];
      }
    }
    if (!reply) return [];
    const out = [this.guard.respond(frame, reply.payload, { signed: critical, ...(reply.responseDateTime ? { dateTime: reply.responseDateTime } : {}) })];
    for (const a of reply.alerts ?? []) out.push(this.guard.alert(frame.header.originator, a.messageCode, a.payload, { signed: a.signed ?? false }));
    return out;
  }
}
