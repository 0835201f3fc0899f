import { normaliseEui, type Eui } from '../../src/crypto/eui.ts';
import type { KeyStore } from '../../src/crypto/keystore.ts';
import { serviceRequest, useCaseByMessageCode } from '../../src/gbcs/catalogue.ts';
import { GbcsDecodeError } from '../../src/gbcs/errors.ts';
import { decodeFrame, encodeCiphered, encodeGeneralSigning, type CraFlag, type DecodedFrame, type GroupingHeader } from '../../src/gbcs/frame.ts';
import { GbcsSecurity, SECURITY_HEADER } from '../../src/gbcs/security.ts';

/** Why a device refused a GBCS command. Each maps to what a real device does: discard, and alert where GBCS says. */
export type RefusalReason =
  | 'malformed'
  | 'wrong-recipient'
  | 'bad-mac'
  | 'unknown-sender'
  | 'unsigned-critical'
  | 'bad-signature'
  | 'replayed-counter'
  | 'not-a-command';

export type Admission =
  | { ok: true; frame: DecodedFrame; critical: boolean }
  | { ok: false; reason: RefusalReason; detail: string; frame?: DecodedFrame };

/** CS01a (ESME) and CS01b (GSME): top-ups, whose counters the UTRN cache checks. */
const TOP_UP_CODES = new Set([0x0007, 0x0097]);

/** Organisations a device trusts, by EUI: their public keys are in the device's key store. */
export type TrustedRole = 'acb' | 'supplier' | 'networkOperator' | 'device';

/** The counters a device has accepted, per originator: persistent device state (survives power cuts). */
export type CounterState = Record<Eui, string>;

/** A guard's persistent state, JSON-safe. `trusted` is absent in snapshots taken before trust anchors could change. */
export interface GuardSnapshot {
  counters: CounterState;
  alertCounter: string;
  trusted?: Record<Eui, TrustedRole>;
}

export interface GuardOptions {
  eui: Eui;
  /** The device's own private DS/KA keys and its trust anchors' public keys. */
  keys: KeyStore;
  /** Parties whose commands the device accepts, with their role. */
  trusted: ReadonlyMap<Eui, TrustedRole>;
  acb: Eui;
}

/**
 * The GBCS security a device applies to what reaches it, in the order a device does: structure, recipient, MAC
 * (with the ACB's key agreement key), known sender, supplier signature on critical commands, and the originator
 * counter (strictly increasing per sender). On refusal nothing changes. Also builds the device's own responses
 * (MACed, or signed when answering a critical command) and alerts, with the device's keys.
 */
export class GbcsGuard {
  readonly eui: Eui;
  readonly security: GbcsSecurity;
  private readonly trusted: Map<Eui, TrustedRole>;
  private lastAccepted = new Map<Eui, bigint>();
  private alertCounter = 0n;

  constructor(options: GuardOptions) {
    this.eui = normaliseEui(options.eui);
    this.security = new GbcsSecurity(options.keys, { acb: options.acb });
    this.trusted = new Map(options.trusted);
  }

  isTrusted(eui: Eui): TrustedRole | undefined {
    return this.trusted.get(eui);
  }

  /** The party the device trusts in a role. */
  trustAnchor(role: TrustedRole): Eui | undefined {
    for (const [eui, r] of this.trusted) if (r === role) return eui;
    return undefined;
  }

  /**
   * CS02b: another party takes a role's trust anchor. The old party's commands are refused from now on; the new
   * party's are accepted above `floorCounter` (its new remote party floor sequence number). Its public keys must
   * be in the key store (`security.keys`).
   */
  replaceTrustAnchor(role: TrustedRole, party: Eui, floorCounter = 0n): void {
    for (const [eui, r] of [...this.trusted]) if (r === role) this.trusted.delete(eui);
    this.trusted.set(normaliseEui(party), role);
    this.lastAccepted.set(normaliseEui(party), floorCounter);
  }

  /** The counter the next alert will carry (payload builders put it in the DLMS invoke id). */
  get nextAlertCounter(): bigint {
    return this.alertCounter + 1n;
  }

  admit(bytes: Uint8Array): Admission {
    let frame: DecodedFrame;
    try {
      frame = decodeFrame(bytes);
    } catch (e) {
      if (e instanceof GbcsDecodeError) return { ok: false, reason: 'malformed', detail: e.message };
      throw e;
    }
    const h = frame.header;
    if (h.cra !== 1) return { ok: false, reason: 'not-a-command', detail: `CRA flag ${h.cra}`, frame };
    if (h.recipient !== this.eui) return { ok: false, reason: 'wrong-recipient', detail: `addressed to ${h.recipient}, this device is ${this.eui}`, frame };
    const mac = this.security.verifyMac(frame);
    if (mac !== 'valid') return { ok: false, reason: 'bad-mac', detail: `MAC ${mac}`, frame };
    if (!this.trusted.has(h.originator)) return { ok: false, reason: 'unknown-sender', detail: `originator ${h.originator} is not a trust anchor of this device`, frame };
    const critical = isCriticalCommand(h.other.messageCode);
    const signed = (frame.signature?.length ?? 0) > 0;
    if (critical && !signed) return { ok: false, reason: 'unsigned-critical', detail: `message code 0x${h.other.messageCode.toString(16).padStart(4, '0')} is critical and carries no signature`, frame };
    if (signed) {
      const sig = this.security.verifySignature(frame);
      if (sig !== 'valid') return { ok: false, reason: 'bad-signature', detail: `signature ${sig === 'unverifiable' ? 'by a key this device does not hold' : 'does not verify'}`, frame };
    }
    // Top-ups may arrive out of order (a UTRN is made when sold and sent when it is); their replay protection is
    // the meter's UTRN counter cache, not the strictly increasing command counter.
    if (!TOP_UP_CODES.has(h.other.messageCode)) {
      const last = this.lastAccepted.get(h.originator);
      if (last !== undefined && h.counter <= last) return { ok: false, reason: 'replayed-counter', detail: `counter ${h.counter} is not above ${last}, the last accepted from ${h.originator}`, frame };
      this.lastAccepted.set(h.originator, h.counter);
    }
    return { ok: true, frame, critical: critical || signed };
  }

  /**
   * The response to an admitted command: same message code and counter, and the supplementary remote party a
   * DCC-originated command named (the RTDS echoes it); signed if the command was critical.
   */
  respond(command: DecodedFrame, payload: Uint8Array, options: { signed: boolean; dateTime?: Uint8Array }): Uint8Array {
    const { messageCode, supplementaryRemotePartyId, supplementaryRemotePartyCounter } = command.header.other;
    const other: GroupingHeader['other'] = { messageCode };
    if (supplementaryRemotePartyId !== undefined) other.supplementaryRemotePartyId = supplementaryRemotePartyId;
    if (supplementaryRemotePartyId !== undefined && supplementaryRemotePartyCounter !== undefined) other.supplementaryRemotePartyCounter = supplementaryRemotePartyCounter;
    const header: GroupingHeader = { cra: 2, counter: command.header.counter, originator: this.eui, recipient: command.header.originator, other };
    if (options.dateTime) header.dateTime = options.dateTime;
    return this.seal(header, payload, options.signed);
  }

  /** An alert from this device, with its own strictly increasing counter. */
  alert(recipient: Eui, messageCode: number, payload: Uint8Array, options: { signed?: boolean; dateTime?: Uint8Array } = {}): Uint8Array {
    this.alertCounter++;
    const header: GroupingHeader = { cra: 3, counter: this.alertCounter, originator: this.eui, recipient, other: { messageCode } };
    if (options.dateTime) header.dateTime = options.dateTime;
    return this.seal(header, payload, options.signed ?? false);
  }

  private seal(header: GroupingHeader, payload: Uint8Array, signed: boolean): Uint8Array {
    if (signed) {
      const unsigned = encodeGeneralSigning({ header, payload });
      return encodeGeneralSigning({ header, payload, signature: this.security.sign(this.eui, unsigned.subarray(1)) });
    }
    const gs = encodeGeneralSigning({ header, payload, signature: new Uint8Array(0) });
    const mac = this.security.computeMac(header, gs);
    if (!mac) throw new Error(`device ${this.eui} holds no key agreement pair with ${header.recipient}`);
    return encodeCiphered(gs, SECURITY_HEADER, mac);
  }

  /** Persistent security state: survives power cuts and reboots. */
  snapshot(): GuardSnapshot {
    return {
      counters: Object.fromEntries([...this.lastAccepted].map(([k, v]) => [k, v.toString()])),
      alertCounter: this.alertCounter.toString(),
      trusted: Object.fromEntries(this.trusted),
    };
  }

  /** Trust anchors replaced since (CS02b) need their public keys in the key store again. */
  restore(s: GuardSnapshot): void {
    this.lastAccepted = new Map(Object.entries(s.counters).map(([k, v]) => [k, BigInt(v)]));
    this.alertCounter = BigInt(s.alertCounter);
    if (s.trusted) {
      this.trusted.clear();
      for (const [eui, role] of Object.entries(s.trusted)) this.trusted.set(eui, role);
    }
  }
}

export type { CraFlag };

/**
 * Whether a device must see the supplier's signature on a command: the use case's own message type where GBCS
 * fixes it, otherwise (CS02b and others that GBCS decides per request) critical when any DUIS request that
 * carries it is: a device cannot tell which request a command came from, so it asks for the stronger proof.
 */
export function isCriticalCommand(messageCode: number): boolean {
  const uc = useCaseByMessageCode(messageCode);
  if (!uc) return false;
  if (uc.critical !== undefined) return uc.critical;
  const requests = uc.serviceRequests.map((s) => serviceRequest(s)).filter((r) => r !== undefined);
  return requests.some((r) => r.critical);
}
