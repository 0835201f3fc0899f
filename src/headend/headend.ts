import { normaliseEui, type Eui } from '../crypto/eui.ts';
import type { KeyStore } from '../crypto/keystore.ts';
import { GbcsDecodeError } from '../gbcs/errors.ts';
import { decodeFrame, encodeCiphered, encodeGeneralSigning, type DecodedFrame, type GroupingHeader } from '../gbcs/frame.ts';
import { GbcsSecurity, SECURITY_HEADER, type Verdict } from '../gbcs/security.ts';
import type { Clock } from '../time/clock.ts';
import { TimeoutError, withTimeout } from '../time/timeout.ts';
import type { Bus, Endpoint } from '../transport/bus.ts';
import { envelopeIds, type Envelope } from '../transport/envelope.ts';

/** The organisations the head-end plays: the DCC's Access Control Broker and the users it sends for. */
export interface HeadEndParties {
  acb: Eui;
  supplier: Eui;
  networkOperator?: Eui;
  /** A supplier that is not the devices' trust anchor (a rival, or an impostor in negative scenarios). */
  otherSupplier?: Eui;
}

export type Sender = 'supplier' | 'networkOperator' | 'acb' | 'otherSupplier';

/** One GBCS command as a service request turns into it. */
export interface CommandSpec {
  /** DUIS service reference variant, e.g. `2.2`, for records. */
  serviceRequest: string;
  messageCode: number;
  /** The device the command is for. */
  target: Eui;
  /** The Comms Hub it travels through. */
  hub: Eui;
  payload: Uint8Array;
  /** Signed by the sender's DS key (General Signing with signature) before the ACB MACs it. */
  critical: boolean;
  sender?: Sender;
  /**
   * The user a DCC-originated command is sent for (commands to the Comms Hub, 8.7.2 joins): the ACB sends it, the
   * header names this party and its own counter as the supplementary remote party, as the RTDS shows.
   */
  onBehalfOf?: Sender;
  /** 12-byte COSEM date-time, for future-dated commands. */
  dateTime?: Uint8Array;
  /** The counter to use; the head-end's own next counter for the sender otherwise. */
  counter?: bigint;
  /** Use a counter whose low 32 bits are zero (top-ups: the UTRN carries the high bits). */
  topUpCounter?: boolean;
}

export interface ReceivedMessage {
  bytes: Uint8Array;
  frame: DecodedFrame;
  mac: Verdict;
  signature: Verdict;
  /** Clock time of arrival. */
  at: number;
}

export interface CommandResult {
  command: { bytes: Uint8Array; frame: DecodedFrame; counter: bigint };
  response: ReceivedMessage;
}

export class HeadEndError extends Error {
  override readonly name = 'HeadEndError';
}

/** The device answered with something the head-end cannot trust: a bad MAC or signature on the response. */
export class UntrustedResponseError extends HeadEndError {}

export interface HeadEndOptions {
  bus: Bus;
  clock: Clock;
  /** The organisations' private keys and the devices' public keys. */
  keys: KeyStore;
  parties: HeadEndParties;
  address?: string;
  /** Default wait for a response, in clock time. */
  responseTimeoutMs?: number;
  /** The first counter per sender (counters then only increase). */
  firstCounter?: bigint;
}

/**
 * Plays the DCC and the supplier: builds each GBCS command (grouping header, the sender's signature when
 * critical, the ACB's MAC), keeps counters per sender, sends it to the Comms Hub, and matches the response
 * (same counter, from the target) and alerts back to it, with timeouts in clock time.
 */
export class HeadEnd {
  readonly address: string;
  readonly security: GbcsSecurity;
  readonly parties: HeadEndParties;
  private readonly bus: Bus;
  private readonly clock: Clock;
  private readonly responseTimeoutMs: number;
  private readonly counters = new Map<Eui, bigint>();
  private readonly firstCounter: bigint;
  private endpoint: Endpoint | undefined;
  private readonly nextId: () => string;
  private readonly alertLog: ReceivedMessage[] = [];
  private readonly alertWaiters = new Set<{ match: (m: ReceivedMessage) => boolean; resolve: (m: ReceivedMessage) => void }>();
  /** Frames that reached the head-end but did not decode: kept, never dropped silently. */
  readonly rejected: { bytes: Uint8Array; error: string; at: number }[] = [];
  /**
   * Each frame that arrives is decoded once: the alert handler, the response matcher and the response check all
   * see the same envelope payload, so they share its decoding rather than parse it three times.
   */
  private readonly decoded = new WeakMap<Uint8Array, DecodedFrame>();

  constructor(options: HeadEndOptions) {
    this.bus = options.bus;
    this.clock = options.clock;
    this.parties = { ...options.parties, acb: normaliseEui(options.parties.acb), supplier: normaliseEui(options.parties.supplier) };
    this.security = new GbcsSecurity(options.keys, { acb: this.parties.acb });
    this.address = options.address ?? 'headend';
    this.nextId = envelopeIds(this.address);
    this.responseTimeoutMs = options.responseTimeoutMs ?? 60_000;
    this.firstCounter = options.firstCounter ?? 1n << 32n;
  }

  async start(): Promise<void> {
    this.endpoint ??= await this.bus.attach(this.address, (e) => this.onEnvelope(e));
  }

  async stop(): Promise<void> {
    const ep = this.endpoint;
    this.endpoint = undefined;
    await ep?.close();
  }

  senderEui(sender: Sender = 'supplier'): Eui {
    const eui = this.parties[sender];
    if (!eui) throw new HeadEndError(`no ${sender} configured`);
    return eui;
  }

  /** The next counter for a sender: strictly increasing; for top-ups a multiple of 2^32. */
  nextCounter(sender: Eui, topUp = false): bigint {
    const last = this.counters.get(sender) ?? this.firstCounter - 1n;
    let next = last + 1n;
    if (topUp) next = ((last >> 32n) + 1n) << 32n;
    this.counters.set(sender, next);
    return next;
  }

  /** Builds the GBCS bytes for a command: signed if critical, MACed by the ACB. */
  buildCommand(spec: CommandSpec): { bytes: Uint8Array; header: GroupingHeader } {
    const originator = this.senderEui(spec.sender);
    const counter = spec.counter ?? this.nextCounter(originator, spec.topUpCounter);
    if (spec.counter !== undefined && spec.counter > (this.counters.get(originator) ?? 0n)) this.counters.set(originator, spec.counter);
    const header: GroupingHeader = { cra: 1, counter, originator, recipient: normaliseEui(spec.target), other: { messageCode: spec.messageCode } };
    if (spec.onBehalfOf) {
      const party = this.senderEui(spec.onBehalfOf);
      header.other.supplementaryRemotePartyId = party;
      header.other.supplementaryRemotePartyCounter = this.nextCounter(party);
    }
    if (spec.dateTime) header.dateTime = spec.dateTime;
    let signature: Uint8Array = new Uint8Array(0);
    if (spec.critical) {
      const precommand = encodeGeneralSigning({ header, payload: spec.payload });
      signature = this.security.sign(originator, precommand.subarray(1));
    }
    const gs = encodeGeneralSigning({ header, payload: spec.payload, signature });
    const mac = this.security.computeMac(header, gs);
    if (!mac) throw new HeadEndError(`no key agreement pair between the ACB ${this.parties.acb} and ${header.recipient}`);
    return { bytes: encodeCiphered(gs, SECURITY_HEADER, mac), header };
  }

  /** Sends a command through its hub and waits for the target's response. */
  async send(spec: CommandSpec, options: { timeoutMs?: number } = {}): Promise<CommandResult> {
    const { bytes, header } = this.buildCommand(spec);
    return this.sendBytes(bytes, spec.hub, header, options);
  }

  /**
   * Sends prepared GBCS bytes (for negative tests: forged, replayed or re-addressed commands) and waits for a
   * response matching the header given.
   */
  async sendBytes(bytes: Uint8Array, hub: Eui, header: GroupingHeader, options: { timeoutMs?: number } = {}): Promise<CommandResult> {
    const endpoint = this.requireEndpoint();
    const timeoutMs = options.timeoutMs ?? this.responseTimeoutMs;
    const matches = (e: Envelope) => {
      if (e.protocol !== 'gbcs') return false;
      try {
        const f = this.decode(e.payload);
        return f.header.cra === 2 && f.header.counter === header.counter && f.header.originator === header.recipient && f.header.other.messageCode === header.other.messageCode;
      } catch {
        return false;
      }
    };
    const what = `the response of ${header.recipient} to message code 0x${header.other.messageCode.toString(16).padStart(4, '0')} (counter ${header.counter})`;
    const reply = await endpoint.request({ id: this.nextId(), to: normaliseEui(hub), protocol: 'gbcs', payload: bytes }, { timeoutMs, match: matches }).catch((e: unknown) => {
      if (e instanceof TimeoutError) throw new TimeoutError(what, timeoutMs);
      throw e;
    });
    const response = this.received(reply.payload);
    if (response.mac === 'invalid' || response.signature === 'invalid') throw new UntrustedResponseError(`${what}: MAC ${response.mac}, signature ${response.signature}`);
    return { command: { bytes, frame: decodeFrame(bytes), counter: header.counter }, response };
  }

  /** Alerts received so far, oldest first. */
  get alerts(): readonly ReceivedMessage[] {
    return this.alertLog;
  }

  /** The first alert (already received or arriving within the timeout) that matches. */
  waitForAlert(match: (m: ReceivedMessage) => boolean, timeoutMs: number, what = 'an alert'): Promise<ReceivedMessage> {
    const seen = this.alertLog.find(match);
    if (seen) return Promise.resolve(seen);
    let waiter: { match: typeof match; resolve: (m: ReceivedMessage) => void } | undefined;
    const arrival = new Promise<ReceivedMessage>((resolve) => {
      waiter = { match, resolve };
      this.alertWaiters.add(waiter);
    });
    return withTimeout(this.clock, arrival, timeoutMs, what).finally(() => waiter && this.alertWaiters.delete(waiter));
  }

  private decode(bytes: Uint8Array): DecodedFrame {
    let frame = this.decoded.get(bytes);
    if (!frame) this.decoded.set(bytes, (frame = decodeFrame(bytes)));
    return frame;
  }

  private received(bytes: Uint8Array): ReceivedMessage {
    const frame = this.decode(bytes);
    return { bytes, frame, mac: this.security.verifyMac(frame), signature: this.security.verifySignature(frame), at: this.clock.now() };
  }

  private onEnvelope(e: Envelope): void {
    if (e.protocol !== 'gbcs') return;
    let frame: DecodedFrame;
    try {
      frame = this.decode(e.payload);
    } catch (err) {
      if (!(err instanceof GbcsDecodeError)) throw err;
      this.rejected.push({ bytes: e.payload, error: err.message, at: this.clock.now() });
      return;
    }
    // Responses are checked by the request that waits for them (sendBytes); only alerts are checked and kept here.
    if (frame.header.cra !== 3) return;
    const message = this.received(e.payload);
    this.alertLog.push(message);
    for (const w of this.alertWaiters) {
      if (w.match(message)) {
        this.alertWaiters.delete(w);
        w.resolve(message);
      }
    }
  }

  private requireEndpoint(): Endpoint {
    if (!this.endpoint) throw new HeadEndError('head-end not started');
    return this.endpoint;
  }
}
