import type { Eui } from '../src/crypto/eui.ts';
import { GbcsDecodeError } from '../src/gbcs/errors.ts';
import { decodeFrame } from '../src/gbcs/frame.ts';
import { buildReadFirmwareVersionResponse } from '../src/gbcs/payload/asn1/firmware.ts';
import type { GbcsSecurity } from '../src/gbcs/security.ts';
import { parseUtrn, UtrnFormatError, type UtrnFormatProblem } from '../src/gbcs/utrn.ts';
import type { Envelope } from '../src/transport/envelope.ts';
import { ZclDecodeError } from '../src/zcl/errors.ts';
import { unwrapTunnel, wrapGbcsInTunnel } from '../src/zcl/tunnel.ts';
import type { DeviceEnvironment } from './core/device.ts';
import { peekZclHeader, PREPAYMENT_CLUSTER, TUNNELING_CLUSTER, ZCL_CLUSTER_META } from './core/metering-server.ts';
import {
  buildPcs01Command,
  buildPecs01Command,
  HanTopUpError,
  ppmidMeterSecurity,
  ppmidTunnelId,
  readPcs01Response,
  readPecs01Response,
  useCaseFor,
  type Fuel,
  type HanTopUpUseCase,
  type TopUpAnswer,
  type TopUpResult,
} from './han-topup.ts';
import { MeterDisplayDevice, type DisplayState, type MeterDisplayOptions } from './ihd.ts';
import { DeviceBindings, JOIN_RULES } from './core/join-use-cases.ts';

/** CS08 Read PPMID/HCALCS Firmware Version. */
export const CS08_MESSAGE_CODE = 0x0129;

export interface PpmidOptions extends MeterDisplayOptions {
  /** The running firmware version, four octets as CS08 reports it. Default 00 01 00 00. */
  firmwareVersion?: Uint8Array;
  /** How long to wait for the meter's answer to a top-up. Default 30 s. */
  topUpTimeoutMs?: number;
}

/** What became of a UTRN typed on the keypad. */
export type TopUpOutcome =
  /** Mistyped: caught on the PPMID by the format and check digit; nothing was sent. */
  | { status: 'refused-locally'; problem: UtrnFormatProblem; detail: string }
  /** Not sent: no meter for that fuel, or no network. */
  | { status: 'not-sent'; fuel?: Fuel; detail: string }
  | { status: 'accepted'; fuel: Fuel; useCase: HanTopUpUseCase; amountGbp: number; creditRemainingGbp: number }
  | { status: 'rejected'; fuel: Fuel; useCase: HanTopUpUseCase; reason: Exclude<TopUpResult, 'accepted'>; creditRemainingGbp: number }
  | { status: 'no-answer'; fuel: Fuel; useCase: HanTopUpUseCase }
  /** An answer that could not be trusted or read (bad MAC, malformed). */
  | { status: 'bad-answer'; fuel: Fuel; useCase: HanTopUpUseCase; detail: string };

export interface PpmidDisplay extends DisplayState {
  topUp?: TopUpOutcome;
}

const REASON_TEXT: Record<Exclude<TopUpResult, 'accepted'>, string> = {
  invalid: 'code not valid for this meter',
  duplicate: 'code already used',
  error: 'meter error',
  'max-credit-reached': 'maximum credit reached',
  'keypad-lock': 'keypad locked',
  'value-too-large': 'top-up too large',
};

export function describeTopUp(o: TopUpOutcome): string {
  switch (o.status) {
    case 'refused-locally':
      return `Code mistyped (${o.problem}): check the digits`;
    case 'not-sent':
      return `Top-up not sent: ${o.detail}`;
    case 'accepted':
      return `Top-up accepted: £${o.amountGbp.toFixed(2)}, credit £${o.creditRemainingGbp.toFixed(2)}`;
    case 'rejected':
      return `Top-up refused: ${REASON_TEXT[o.reason]}`;
    case 'no-answer':
      return 'Top-up not confirmed: no answer from the meter';
    case 'bad-answer':
      return 'Top-up not confirmed: the meter answer could not be trusted';
  }
}

type PendingTopUp = (frame: Uint8Array) => void;

/**
 * The Prepayment Meter Interface Device: a display of credit (read like the IHD reads it) with a keypad for
 * UTRNs. A typed UTRN is checked on the device (format, check digit) and sent to the meter of the chosen fuel
 * (PCS01 to the gas meter over GBCS, MACed between PPMID and meter; PECS01 to the electricity meter as a ZSE
 * Consumer Top Up); the meter's answer — accepted with the new balance, or refused and why — is shown. From the
 * hub it takes CS08 (read its firmware version).
 */
export class PrepaymentInterface extends MeterDisplayDevice {
  readonly kind = 'PPMID';
  firmwareVersion: Uint8Array;
  lastTopUp: TopUpOutcome | undefined;
  readonly topUpTimeoutMs: number;
  /** The PPMID's GBCS originator counter: persistent, strictly increasing. */
  private counter = 0n;
  private readonly pendingTopUps = new Map<string, PendingTopUp>();
  private readonly securityByMeter = new Map<Eui, GbcsSecurity>();
  private readonly pki: MeterDisplayOptions['pki'];

  constructor(env: DeviceEnvironment, eui: Eui, options: PpmidOptions) {
    super(env, eui, options);
    this.pki = options.pki;
    this.firmwareVersion = Uint8Array.from(options.firmwareVersion ?? [0x00, 0x01, 0x00, 0x00]);
    this.topUpTimeoutMs = options.topUpTimeoutMs ?? 30_000;
    if (!(this.topUpTimeoutMs > 0)) throw new RangeError(`topUpTimeoutMs must be positive, got ${this.topUpTimeoutMs}`);
    this.useCase(CS08_MESSAGE_CODE, () => ({
      payload: buildReadFirmwareVersionResponse({ firmwareVersion: this.firmwareVersion, responseCode: 'readSuccess' }),
    }));
    this.joinUseCases({
      bindings: this.bindings,
      rules: JOIN_RULES.PPMID,
      now: () => this.deviceTime(),
    });
  }

  /** Meters joined with the PPMID by CS03A2/CS03C. */
  readonly bindings = new DeviceBindings();

  override get display(): PpmidDisplay {
    const state: PpmidDisplay = super.display;
    if (this.lastTopUp) {
      state.topUp = this.lastTopUp;
      state.message = `${describeTopUp(this.lastTopUp)} · ${state.message}`;
    }
    return state;
  }

  /**
   * The consumer types a UTRN (spaces allowed) for a fuel (needed only when paired with both meters). Resolves
   * with the outcome once the meter has answered or the wait is over; the screen shows it meanwhile.
   */
  async enterUtrn(digits: string, fuel?: Fuel): Promise<TopUpOutcome> {
    const outcome = await this.topUp(digits, fuel);
    this.lastTopUp = outcome;
    if (outcome.status === 'accepted' || outcome.status === 'rejected') this.showCredit(outcome.fuel, outcome.creditRemainingGbp);
    return outcome;
  }

  protected override async fromMeter(envelope: Envelope): Promise<void> {
    const cluster = envelope.meta?.[ZCL_CLUSTER_META];
    if (cluster === TUNNELING_CLUSTER) return this.fromTunnel(envelope);
    if (cluster === PREPAYMENT_CLUSTER && peekZclHeader(envelope.payload)?.global === false) {
      const seq = peekZclHeader(envelope.payload)!.seq;
      this.pendingTopUps.get(`PECS01/${envelope.from}/${seq}`)?.(envelope.payload);
      return;
    }
    return super.fromMeter(envelope);
  }

  private fromTunnel(envelope: Envelope): void {
    let counter: bigint;
    let data: Uint8Array;
    try {
      data = unwrapTunnel(envelope.payload).data;
      counter = decodeFrame(data).header.counter;
    } catch (e) {
      if (!(e instanceof ZclDecodeError) && !(e instanceof GbcsDecodeError)) throw e;
      this.incident(envelope.from, 'malformed-reply', e.message);
      return;
    }
    this.pendingTopUps.get(`PCS01/${envelope.from}/${counter}`)?.(data);
  }

  private async topUp(digits: string, chosen: Fuel | undefined): Promise<TopUpOutcome> {
    try {
      parseUtrn(digits);
    } catch (e) {
      if (!(e instanceof UtrnFormatError)) throw e;
      return { status: 'refused-locally', problem: e.problem, detail: e.message };
    }
    const utrn = digits.replace(/ /g, '');
    const paired = (['electricity', 'gas'] as const).filter((f) => this.meters[f] !== undefined);
    const fuel = chosen ?? (paired.length === 1 ? paired[0] : undefined);
    if (!fuel) return { status: 'not-sent', detail: paired.length === 0 ? 'no meter paired' : 'choose electricity or gas' };
    const meter = this.meters[fuel];
    if (!meter) return { status: 'not-sent', fuel, detail: `no ${fuel} meter paired` };
    if (this.network !== 'joined') return { status: 'not-sent', fuel, detail: 'no network' };
    const useCase = useCaseFor(fuel);
    try {
      const answer = useCase === 'PCS01' ? await this.sendPcs01(meter, utrn) : await this.sendPecs01(meter, utrn);
      if (!answer) return { status: 'no-answer', fuel, useCase };
      if (answer.result === 'accepted') return { status: 'accepted', fuel, useCase, amountGbp: answer.topUpValueGbp, creditRemainingGbp: answer.creditRemainingGbp };
      return { status: 'rejected', fuel, useCase, reason: answer.result, creditRemainingGbp: answer.creditRemainingGbp };
    } catch (e) {
      if (!(e instanceof HanTopUpError) && !(e instanceof ZclDecodeError)) throw e;
      this.incident(meter, e instanceof HanTopUpError && e.kind === 'bad-mac' ? 'unusable-reply' : 'malformed-reply', e.message);
      return { status: 'bad-answer', fuel, useCase, detail: e.message };
    }
  }

  private async sendPcs01(meter: Eui, utrn: string): Promise<TopUpAnswer | undefined> {
    const security = this.securityFor(meter);
    this.counter++;
    const counter = this.counter;
    const { bytes } = buildPcs01Command({ security, ppmid: this.eui, meter, counter, utrn });
    const frame = wrapGbcsInTunnel(ppmidTunnelId(this.eui), this.nextSeq(), bytes, 'clientToServer');
    const reply = await this.exchange(`PCS01/${meter}/${counter}`, meter, frame, TUNNELING_CLUSTER);
    return reply && readPcs01Response(reply, { security, ppmid: this.eui, meter, counter });
  }

  private async sendPecs01(meter: Eui, utrn: string): Promise<TopUpAnswer | undefined> {
    const seq = this.nextSeq();
    const reply = await this.exchange(`PECS01/${meter}/${seq}`, meter, buildPecs01Command(seq, utrn), PREPAYMENT_CLUSTER);
    return reply && readPecs01Response(reply).answer;
  }

  /** Sends and waits for the frame the meter answers with, or undefined after the top-up timeout. */
  private exchange(key: string, meter: Eui, frame: Uint8Array, cluster: number): Promise<Uint8Array | undefined> {
    return new Promise((resolve) => {
      const timer = this.clock.setTimer(this.topUpTimeoutMs, () => {
        this.pendingTopUps.delete(key);
        resolve(undefined);
      });
      this.pendingTopUps.set(key, (reply) => {
        this.clock.clearTimer(timer);
        this.pendingTopUps.delete(key);
        resolve(reply);
      });
      this.transmit(meter, 'zcl', frame, { [ZCL_CLUSTER_META]: cluster }).catch((e: unknown) =>
        this.incident(meter, 'send-failed', e instanceof Error ? e.message : String(e)),
      );
    });
  }

  private securityFor(meter: Eui): GbcsSecurity {
    let s = this.securityByMeter.get(meter);
    if (!s) this.securityByMeter.set(meter, (s = ppmidMeterSecurity(this.pki, { ppmid: this.eui, meter }, 'ppmid')));
    return s;
  }
}
