import { normaliseEui, type Eui } from '../src/crypto/eui.ts';
import { KeyStore } from '../src/crypto/keystore.ts';
import { GbcsDecodeError, GbcsEncodeError } from '../src/gbcs/errors.ts';
import { decodeFrame, encodeCiphered, encodeGeneralSigning, type DecodedFrame, type GroupingHeader } from '../src/gbcs/frame.ts';
import { CLUSTER, decodeGbzMessage, encodeGbzMessage, isGroup, topUpCommand, topUpResponse, type GbzMessage } from '../src/gbcs/payload/gbz/index.ts';
import { GbcsSecurity, SECURITY_HEADER } from '../src/gbcs/security.ts';
import { parseUtrn, UtrnFormatError, type UtrnAcceptor } from '../src/gbcs/utrn.ts';
import type { Clock } from '../src/time/clock.ts';
import type { Envelope, EnvelopeMeta } from '../src/transport/envelope.ts';
import { decodeZcl, encodeZcl } from '../src/zcl/codec.ts';
import { ZclDecodeError } from '../src/zcl/errors.ts';
import { unwrapTunnel, wrapGbcsInTunnel } from '../src/zcl/tunnel.ts';
import type { RefusalReason } from './core/gbcs-guard.ts';
import { CURRENCY_DECIMALS, moneyFromZcl, moneyToZcl, peekZclHeader, PREPAYMENT_CLUSTER, TUNNELING_CLUSTER, ZCL_CLUSTER_META } from './core/metering-server.ts';
import type { SimPki } from './core/pki.ts';

/**
 * Top-ups typed on a PPMID and applied by the meter, on the HAN only (the supplier is not involved):
 *
 * - **PCS01** (0x009B) to a GSME is GBCS: a General Ciphering command from the PPMID to the GSME whose GBZ payload
 *   is one Prepayment Consumer Top Up (originating device, the 20 UTRN digits as text), MACed with the key agreed
 *   between the PPMID's and the GSME's KA keys; the GSME answers with a Consumer Top Up Response in a GBCS
 *   response MACed the same way. Layouts as RTDS NA_PCS01.
 * - **PECS01** (0x0116) to an ESME is "ZSE specified" in the GBCS catalogue: no GBCS wrapper, the same Consumer Top
 *   Up command as a plain ZCL frame on the Prepayment cluster (protected on a real HAN by the APS link key), and
 *   the Consumer Top Up Response back.
 *
 * The message formats live here for both ends; the meter side is `HanTopUpServer`, which a meter attaches with
 * its UtrnAcceptor (shared with its remote top-up use case, so a UTRN is spent once whichever way it arrives) and
 * a callback that credits its account.
 */

export const PCS01_MESSAGE_CODE = 0x009b;
export const PECS01_MESSAGE_CODE = 0x0116;
/** Prepayment OriginatingDevice as the RTDS PPMID sends it (SE: 0x02, In-Home Display device). */
export const ORIGINATING_DEVICE_PPMID = 0x02;

export type Fuel = 'electricity' | 'gas';
export type HanTopUpUseCase = 'PCS01' | 'PECS01';

export function useCaseFor(fuel: Fuel): HanTopUpUseCase {
  return fuel === 'gas' ? 'PCS01' : 'PECS01';
}

/** Consumer Top Up Response ResultType (SE 1.4 D.7.2.4.3). */
export const TOP_UP_RESULT = {
  accepted: 0x00,
  invalid: 0x01,
  duplicate: 0x02,
  error: 0x03,
  'max-credit-reached': 0x04,
  'keypad-lock': 0x05,
  'value-too-large': 0x06,
} as const;
export type TopUpResult = keyof typeof TOP_UP_RESULT;

/** ResultType to its name; 0x10–0x12 are "accepted" with the supply state after it. */
export function topUpResultName(code: number): TopUpResult | undefined {
  if (code >= 0x10 && code <= 0x12) return 'accepted';
  return (Object.keys(TOP_UP_RESULT) as TopUpResult[]).find((k) => TOP_UP_RESULT[k] === code);
}

/** The meter's answer to a top-up, in GBP. */
export interface TopUpAnswer {
  result: TopUpResult;
  resultType: number;
  topUpValueGbp: number;
  sourceOfTopUp: number;
  creditRemainingGbp: number;
}

/** The answer as the wire carries it (currency units). */
interface TopUpWire {
  resultType: number;
  topUpValue: number;
  sourceOfTopUp: number;
  creditRemaining: number;
}

function answerFrom(w: TopUpWire): TopUpAnswer {
  const result = topUpResultName(w.resultType);
  if (!result) throw new HanTopUpError('malformed', `Consumer Top Up Response result type 0x${w.resultType.toString(16)} is reserved`);
  return { result, resultType: w.resultType, topUpValueGbp: moneyFromZcl(w.topUpValue), sourceOfTopUp: w.sourceOfTopUp, creditRemainingGbp: moneyFromZcl(w.creditRemaining) };
}

/** A top-up message that cannot be used: what is wrong with it, for the record. */
export class HanTopUpError extends Error {
  override readonly name = 'HanTopUpError';
  constructor(
    readonly kind: 'malformed' | 'not-the-answer' | 'bad-mac',
    message: string,
  ) {
    super(message);
  }
}

/**
 * GBCS security for messages between a PPMID and a meter, from either end: the MAC key is agreed between the two
 * devices' KA keys, with the PPMID in the place the ACB holds for commands from the head-end.
 */
export function ppmidMeterSecurity(pki: SimPki, parties: { ppmid: Eui; meter: Eui }, holder: 'ppmid' | 'meter'): GbcsSecurity {
  const ppmid = normaliseEui(parties.ppmid);
  const meter = normaliseEui(parties.meter);
  const [own, other] = holder === 'ppmid' ? [ppmid, meter] : [meter, ppmid];
  const keys = new KeyStore();
  keys.addPrivate(own, 'ka', pki.privateKey(own, 'ka'));
  keys.addPublic(other, 'ka', pki.publicKey(other, 'ka'));
  return new GbcsSecurity(keys, { acb: ppmid });
}

function seal(security: GbcsSecurity, header: GroupingHeader, payload: Uint8Array): Uint8Array {
  const gs = encodeGeneralSigning({ header, payload, signature: new Uint8Array(0) });
  const mac = security.computeMac(header, gs);
  if (!mac) throw new GbcsEncodeError(`no key agreement pair between ${header.originator} and ${header.recipient}`);
  return encodeCiphered(gs, SECURITY_HEADER, mac);
}

const ascii = (bytes: Uint8Array) => String.fromCharCode(...bytes);

// ---------------------------------------------------------------------------------------------------------------
// PCS01 (GBCS, to a GSME)

export interface Pcs01Parties {
  security: GbcsSecurity;
  ppmid: Eui;
  meter: Eui;
}

/** The PCS01 command: the UTRN in a Consumer Top Up, MACed PPMID → GSME. */
export function buildPcs01Command(p: Pcs01Parties & { counter: bigint; utrn: string }): { bytes: Uint8Array; header: GroupingHeader } {
  const header: GroupingHeader = { cra: 1, counter: p.counter, originator: normaliseEui(p.ppmid), recipient: normaliseEui(p.meter), other: { messageCode: PCS01_MESSAGE_CODE } };
  const payload = encodeGbzMessage(topUpCommand({ utrn: p.utrn, originatingDevice: ORIGINATING_DEVICE_PPMID }));
  return { bytes: seal(p.security, header, payload), header };
}

/** Reads the GSME's PCS01 response to the command with this counter; throws HanTopUpError. */
export function readPcs01Response(bytes: Uint8Array, p: Pcs01Parties & { counter: bigint }): TopUpAnswer {
  let frame: DecodedFrame;
  try {
    frame = decodeFrame(bytes);
  } catch (e) {
    if (!(e instanceof GbcsDecodeError)) throw e;
    throw new HanTopUpError('malformed', e.message);
  }
  const h = frame.header;
  if (h.cra !== 2 || h.other.messageCode !== PCS01_MESSAGE_CODE || h.counter !== p.counter || h.originator !== normaliseEui(p.meter) || h.recipient !== normaliseEui(p.ppmid)) {
    throw new HanTopUpError('not-the-answer', `CRA ${h.cra}, code 0x${h.other.messageCode.toString(16)}, counter ${h.counter} from ${h.originator} is not the PCS01 response to counter ${p.counter}`);
  }
  const mac = p.security.verifyMac(frame);
  if (mac !== 'valid') throw new HanTopUpError('bad-mac', `response MAC ${mac}`);
  return answerFrom(consumerTopUpResponseOf(frame));
}

function gbzOf(frame: DecodedFrame): GbzMessage {
  try {
    return decodeGbzMessage(frame.payload, { messageCode: frame.header.other.messageCode, cra: frame.header.cra, offset: frame.payloadOffset });
  } catch (e) {
    if (!(e instanceof GbcsDecodeError)) throw e;
    throw new HanTopUpError('malformed', e.message);
  }
}

/** The single Prepayment component's parameters, by name. */
function prepaymentParams(message: GbzMessage, commandId: number, what: string): Map<string, unknown> {
  const c = message.form === 'alert' ? undefined : message.components[0];
  if (!c || message.form === 'alert' || message.components.length !== 1 || c.clusterId !== CLUSTER.PREPAYMENT || c.header.commandId !== commandId || c.payload?.type !== 'command') {
    throw new HanTopUpError('malformed', `the payload is not one ${what}`);
  }
  const params = new Map<string, unknown>();
  for (const p of c.payload.params) if (!isGroup(p)) params.set(p.name, p.value);
  return params;
}

function consumerTopUpResponseOf(frame: DecodedFrame): TopUpWire {
  const p = prepaymentParams(gbzOf(frame), CONSUMER_TOP_UP_RESPONSE, 'Consumer Top Up Response');
  return wireFrom(p);
}

function wireFrom(p: { get(name: string): unknown }): TopUpWire {
  const n = (name: string) => {
    const v = p.get(name);
    if (typeof v !== 'number') throw new HanTopUpError('malformed', `Consumer Top Up Response has no ${name}`);
    return v;
  };
  return { resultType: n('resultType'), topUpValue: n('topUpValue'), sourceOfTopUp: n('sourceOfTopUp'), creditRemaining: n('creditRemaining') };
}

function isPcs01(bytes: Uint8Array): boolean {
  try {
    return decodeFrame(bytes).header.other.messageCode === PCS01_MESSAGE_CODE;
  } catch (e) {
    if (!(e instanceof GbcsDecodeError)) throw e;
    return false;
  }
}

const CONSUMER_TOP_UP = 0x04;
const CONSUMER_TOP_UP_RESPONSE = 0x03;

// ---------------------------------------------------------------------------------------------------------------
// PECS01 (ZSE, to an ESME)

/** The PECS01 command: a ZCL Consumer Top Up on the Prepayment cluster. */
export function buildPecs01Command(seq: number, utrn: string): Uint8Array {
  return encodeZcl({
    cluster: PREPAYMENT_CLUSTER,
    command: 'consumerTopUp',
    frameType: 'specific',
    direction: 'clientToServer',
    seq,
    payload: { originatingDevice: ORIGINATING_DEVICE_PPMID, topUpCode: new TextEncoder().encode(utrn) },
  });
}

/** Reads an ESME's Consumer Top Up Response; throws ZclDecodeError or HanTopUpError. */
export function readPecs01Response(frame: Uint8Array): { seq: number; answer: TopUpAnswer } {
  const decoded = decodeZcl(frame, PREPAYMENT_CLUSTER);
  if (decoded.commandName !== 'consumerTopUpResponse' || Array.isArray(decoded.payload)) {
    throw new HanTopUpError('not-the-answer', `${decoded.header.frameType} ${decoded.commandName} is not a Consumer Top Up Response`);
  }
  const payload = decoded.payload;
  return { seq: decoded.header.seq, answer: answerFrom(wireFrom({ get: (name) => payload[name] })) };
}

function encodePecs01Response(seq: number, w: TopUpWire): Uint8Array {
  return encodeZcl({ cluster: PREPAYMENT_CLUSTER, command: 'consumerTopUpResponse', frameType: 'specific', direction: 'serverToClient', seq, payload: { ...w } });
}

/** Tunnel ids on the PPMID–meter link: a stable small number from the PPMID's address, as the hub does. */
export function ppmidTunnelId(ppmid: string): number {
  const id = Number.parseInt(ppmid.slice(-4), 16);
  return Number.isInteger(id) ? id : 0;
}

// ---------------------------------------------------------------------------------------------------------------
// The meter side

/** A top-up the meter has accepted, for its account. */
export interface AppliedTopUp {
  amountGbp: number;
  utrn: string;
  /** The supplier originator counter the UTRN stands for. */
  counter: bigint;
  useCase: HanTopUpUseCase;
  ppmid: Eui;
}

/** What the meter lends the top-up server: its balance, and what crediting does to it. */
export interface TopUpAccount {
  creditRemainingGbp(): number;
  /** Credits an accepted top-up (debt recovery, arming the supply… are the meter's business). */
  apply(topUp: AppliedTopUp): void;
  /** A reason to refuse before the UTRN is spent (credit limits, keypad lock); none by default. */
  refuse?(amountGbp: number): Exclude<TopUpResult, 'accepted' | 'invalid' | 'duplicate'> | undefined;
}

export type HanTopUpRefusalReason = RefusalReason | 'unsupported-use-case';

/** A top-up message the meter did not act on. Refusals change no state. */
export interface HanTopUpRefusal {
  at: number;
  from: string;
  useCase: HanTopUpUseCase;
  reason: HanTopUpRefusalReason;
  detail: string;
}

/** A top-up the meter answered, accepted or rejected. */
export interface HanTopUpRecord {
  at: number;
  ppmid: Eui;
  useCase: HanTopUpUseCase;
  utrn: string;
  result: TopUpResult;
  detail?: string;
  amountGbp?: number;
  creditRemainingGbp: number;
}

export interface HanTopUpServerOptions {
  /** The meter. */
  eui: Eui;
  clock: Clock;
  /** For the meter's own KA key and its PPMIDs' public keys. */
  pki: SimPki;
  /** The meter's UTRN check: its cache of accepted counters is the meter's persistent state. */
  acceptor: UtrnAcceptor;
  account: TopUpAccount;
  /** The PPMIDs paired with this meter (on its device log). */
  ppmids: () => Iterable<Eui>;
  /** Sends a ZCL frame to a HAN device (the meter's own transmit). */
  send: (to: string, frame: Uint8Array, meta: EnvelopeMeta) => Promise<void>;
  /** Whether to answer at all (e.g. only while on the network). Default: always. */
  answers?: (from: string) => boolean;
}

/** Persistent state: the last PCS01 counter accepted from each PPMID. */
export interface HanTopUpSnapshot {
  counters: Record<Eui, string>;
}

/**
 * The meter's side of PCS01 and PECS01: admits the message (paired PPMID; for PCS01 also recipient, MAC and a
 * strictly increasing counter), checks the UTRN with the meter's acceptor, credits the account through the
 * callback and answers with a Consumer Top Up Response: accepted with the new balance, or rejected with why.
 */
export class HanTopUpServer {
  readonly refusals: HanTopUpRefusal[] = [];
  readonly topUps: HanTopUpRecord[] = [];
  readonly eui: Eui;
  private readonly options: HanTopUpServerOptions;
  private readonly lastCounter = new Map<Eui, bigint>();
  private readonly security = new Map<Eui, GbcsSecurity>();

  constructor(options: HanTopUpServerOptions) {
    this.options = options;
    this.eui = normaliseEui(options.eui);
  }

  /**
   * Takes a `zcl` envelope carrying PCS01 (a Tunneling Transfer Data frame, meta cluster 0x0704) or PECS01 (a
   * cluster-specific Prepayment frame, meta cluster 0x0705) and answers the sender. False for anything else.
   */
  async handle(envelope: Envelope): Promise<boolean> {
    if (envelope.protocol !== 'zcl') return false;
    const cluster = envelope.meta?.[ZCL_CLUSTER_META];
    const silent = this.options.answers !== undefined && !this.options.answers(envelope.from);
    if (cluster === TUNNELING_CLUSTER) {
      // Tunnelled GBCS is claimed when it is PCS01 or comes from a paired PPMID; the rest (the hub's) is the meter's.
      let data: Uint8Array;
      try {
        data = unwrapTunnel(envelope.payload).data;
      } catch (e) {
        if (!(e instanceof ZclDecodeError)) throw e;
        if (!this.isPaired(envelope.from)) return false;
        if (!silent) this.refuse(envelope.from, 'PCS01', 'malformed', e.message);
        return true;
      }
      if (!isPcs01(data) && !this.isPaired(envelope.from)) return false;
      if (silent) return true;
      const response = this.processPcs01(data, envelope.from);
      if (response) {
        const frame = wrapGbcsInTunnel(ppmidTunnelId(envelope.from), peekZclHeader(envelope.payload)?.seq ?? 0, response, 'serverToClient');
        await this.options.send(envelope.from, frame, { [ZCL_CLUSTER_META]: TUNNELING_CLUSTER });
      }
      return true;
    }
    if (cluster === PREPAYMENT_CLUSTER) {
      const header = peekZclHeader(envelope.payload);
      if (!header || header.global) return false;
      if (silent) return true;
      const response = this.processPecs01(envelope.payload, envelope.from);
      if (response) await this.options.send(envelope.from, response, { [ZCL_CLUSTER_META]: PREPAYMENT_CLUSTER });
      return true;
    }
    return false;
  }

  /** One PCS01 command, however it reached the meter: the GBCS response to send back, or none (refusal recorded). */
  processPcs01(bytes: Uint8Array, from: string = 'unknown'): Uint8Array | undefined {
    let frame: DecodedFrame;
    try {
      frame = decodeFrame(bytes);
    } catch (e) {
      if (!(e instanceof GbcsDecodeError)) throw e;
      return this.refuse(from, 'PCS01', 'malformed', e.message);
    }
    const h = frame.header;
    if (h.cra !== 1) return this.refuse(from, 'PCS01', 'not-a-command', `CRA flag ${h.cra}`);
    if (h.other.messageCode !== PCS01_MESSAGE_CODE) return this.refuse(from, 'PCS01', 'unsupported-use-case', `message code 0x${h.other.messageCode.toString(16).padStart(4, '0')} on the PPMID link`);
    if (h.recipient !== this.eui) return this.refuse(from, 'PCS01', 'wrong-recipient', `addressed to ${h.recipient}, this meter is ${this.eui}`);
    if (!this.isPaired(h.originator)) return this.refuse(from, 'PCS01', 'unknown-sender', `${h.originator} is not a PPMID paired with this meter`);
    const security = this.securityFor(h.originator);
    const mac = security.verifyMac(frame);
    if (mac !== 'valid') return this.refuse(from, 'PCS01', 'bad-mac', `MAC ${mac}`);
    const last = this.lastCounter.get(h.originator);
    if (last !== undefined && h.counter <= last) return this.refuse(from, 'PCS01', 'replayed-counter', `counter ${h.counter} is not above ${last}, the last accepted from ${h.originator}`);
    let command: GbzMessage;
    let utrn: string;
    let source: number;
    try {
      command = gbzOf(frame);
      const params = prepaymentParams(command, CONSUMER_TOP_UP, 'Consumer Top Up');
      const code = params.get('topUpCode');
      const originating = params.get('originatingDevice');
      if (!(code instanceof Uint8Array) || typeof originating !== 'number') throw new HanTopUpError('malformed', 'Consumer Top Up lacks its fields');
      utrn = ascii(code);
      source = originating;
    } catch (e) {
      if (!(e instanceof HanTopUpError)) throw e;
      return this.refuse(from, 'PCS01', 'malformed', e.message);
    }
    this.lastCounter.set(h.originator, h.counter);
    const wire = this.apply(utrn, source, 'PCS01', h.originator);
    const header: GroupingHeader = { cra: 2, counter: h.counter, originator: this.eui, recipient: h.originator, other: { messageCode: PCS01_MESSAGE_CODE } };
    return seal(security, header, encodeGbzMessage(topUpResponse(command, wire)));
  }

  /** One PECS01 frame: the Consumer Top Up Response to send back, or none (refusal recorded). */
  processPecs01(frame: Uint8Array, from: string): Uint8Array | undefined {
    if (!this.isPaired(from)) return this.refuse(from, 'PECS01', 'unknown-sender', `${from} is not a PPMID paired with this meter`);
    let seq: number;
    let utrn: string;
    let source: number;
    try {
      const decoded = decodeZcl(frame, PREPAYMENT_CLUSTER);
      if (decoded.commandName !== 'consumerTopUp' || decoded.header.direction !== 'clientToServer' || Array.isArray(decoded.payload)) {
        return this.refuse(from, 'PECS01', 'unsupported-use-case', `Prepayment ${decoded.commandName} is not taken from a PPMID`);
      }
      const { topUpCode, originatingDevice } = decoded.payload;
      if (!(topUpCode instanceof Uint8Array) || typeof originatingDevice !== 'number') return this.refuse(from, 'PECS01', 'malformed', 'Consumer Top Up lacks its fields');
      seq = decoded.header.seq;
      utrn = ascii(topUpCode);
      source = originatingDevice;
    } catch (e) {
      if (!(e instanceof ZclDecodeError)) throw e;
      return this.refuse(from, 'PECS01', 'malformed', e.message);
    }
    return encodePecs01Response(seq, this.apply(utrn, source, 'PECS01', from));
  }

  snapshot(): HanTopUpSnapshot {
    return { counters: Object.fromEntries([...this.lastCounter].map(([k, v]) => [k, v.toString()])) };
  }

  restore(s: HanTopUpSnapshot): void {
    this.lastCounter.clear();
    for (const [k, v] of Object.entries(s.counters)) this.lastCounter.set(k, BigInt(v));
  }

  private apply(utrn: string, source: number, useCase: HanTopUpUseCase, ppmid: Eui): TopUpWire {
    const { account, acceptor } = this.options;
    const answer = (result: TopUpResult, detail?: string, amountGbp?: number): TopUpWire => {
      const creditRemainingGbp = account.creditRemainingGbp();
      this.topUps.push({ at: this.options.clock.now(), ppmid, useCase, utrn, result, creditRemainingGbp, ...(detail ? { detail } : {}), ...(amountGbp === undefined ? {} : { amountGbp }) });
      return {
        resultType: TOP_UP_RESULT[result],
        topUpValue: result === 'accepted' && amountGbp !== undefined ? moneyToZcl(amountGbp, CURRENCY_DECIMALS) : 0,
        sourceOfTopUp: source,
        creditRemaining: moneyToZcl(creditRemainingGbp, CURRENCY_DECIMALS),
      };
    };
    let amountGbp: number;
    try {
      const parsed = parseUtrn(utrn);
      amountGbp = parsed.valueClass === 'pounds' ? parsed.value : parsed.value / 100;
    } catch (e) {
      if (!(e instanceof UtrnFormatError)) throw e;
      return answer('invalid', e.message);
    }
    const limit = account.refuse?.(amountGbp);
    if (limit) return answer(limit, `the meter refuses £${amountGbp.toFixed(2)}`, amountGbp);
    const acceptance = acceptor.accept(utrn);
    if (!acceptance.ok) return answer(acceptance.reason === 'reused-counter' ? 'duplicate' : 'invalid', acceptance.detail);
    account.apply({ amountGbp, utrn, counter: acceptance.counter, useCase, ppmid });
    return answer('accepted', undefined, amountGbp);
  }

  /** Bus addresses of devices are their normalised EUIs; anything else is no PPMID of ours. */
  private isPaired(address: string): boolean {
    for (const p of this.options.ppmids()) if (normaliseEui(p) === address) return true;
    return false;
  }

  private securityFor(ppmid: Eui): GbcsSecurity {
    let s = this.security.get(ppmid);
    if (!s) this.security.set(ppmid, (s = ppmidMeterSecurity(this.options.pki, { ppmid, meter: this.eui }, 'meter')));
    return s;
  }

  private refuse(from: string, useCase: HanTopUpUseCase, reason: HanTopUpRefusalReason, detail: string): undefined {
    this.refusals.push({ at: this.options.clock.now(), from, useCase, reason, detail });
    return undefined;
  }
}
