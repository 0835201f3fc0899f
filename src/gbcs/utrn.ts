import { concatBytes, u64ToBytes } from '../bytes.ts';
import { SharedSecretCache, ecdh } from '../crypto/ecdh.ts';
import { euiToBytes, type Eui } from '../crypto/eui.ts';
import { gmac16 } from '../crypto/gcm.ts';
import { deriveKey } from '../crypto/kdf.ts';
import type { PrivateKey, PublicKey } from '../crypto/keys.ts';

/**
 * UTRN: the 20-digit prepayment top-up code of GBCS section 14.
 *
 * A 64-bit Prepayment Top-up Token (PTUT) is built from the top-up and a GMAC; the UTRN is the decimal of
 * PTUT + 7394156990786306048 (19 digits) followed by a Verhoeff check digit computed with GBCS's tables.
 *
 * PTUT high 32 bits: 7 zero bits | 10 counter bits (bits 32..41 of the originator counter) | 2 value-class bits
 * | 13 value bits. PTUT low 32 bits: the last 4 bytes of a 16-byte GMAC keyed from ECDH between the supplier's
 * prepayment KA key and the device's KA key.
 */

export type UtrnValueClass = 'pennies' | 'pounds';

export const UTRN_DIGITS = 20;
export const PTUT_OFFSET = 7394156990786306048n;
export const MAX_TOP_UP_VALUE = 0x1fff;
/** The PTUT carries bits 32..41 of the originator counter. */
export const PTUT_COUNTER_BITS = 10;

const VALUE_CLASS_BITS: Record<UtrnValueClass, number> = { pennies: 0b00, pounds: 0b01 };
/** Indexed by the two value-class bits; 0b10 and 0b11 are reserved. */
const VALUE_CLASS_OF_BITS: readonly (UtrnValueClass | undefined)[] = ['pennies', 'pounds'];
const COMMAND_CRA = 0x01;
const GMAC_AAD_PREFIX = Uint8Array.of(0x11, 0, 0, 0, 0, 0);
const LOW_32_BITS = 0xffff_ffffn;
const MAX_U64 = (1n << 64n) - 1n;
const COUNTER_FIELD_MASK = (1 << PTUT_COUNTER_BITS) - 1;

// ---------------------------------------------------------------------------------------------------------------
// Check digit (GBCS 14.8: a Verhoeff scheme read left to right, starting at row 4 of the permutation table)

/** GBCS table 14.8a: row k is the permutation applied to a digit at step k (mod 8). */
const PERMUTATION: readonly (readonly number[])[] = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
  [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
  [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
  [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
  [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
  [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
  [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

/** GBCS table 14.8b: multiplication in the dihedral group D5. */
const MULTIPLICATION: readonly (readonly number[])[] = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
  [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
  [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
  [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
  [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
  [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
  [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
  [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
  [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];

/**
 * GBCS table 14.8c: maps the running product to the check digit. Not the group inverse of textbook Verhoeff: it
 * folds in the permutation the check digit itself would get at the 20th position.
 */
const CHECK_DIGIT_OF: readonly number[] = [1, 2, 6, 7, 5, 8, 3, 0, 9, 4];
const FIRST_PERMUTATION_ROW = 4;

export const VERHOEFF_TABLES = { PERMUTATION, MULTIPLICATION, CHECK_DIGIT_OF, FIRST_PERMUTATION_ROW } as const;

/** The GBCS check digit of a string of decimal digits. */
export function utrnCheckDigit(digits: string): number {
  if (!/^[0-9]+$/.test(digits)) throw new RangeError(`a check digit is computed over decimal digits, got ${JSON.stringify(digits)}`);
  let product = 0;
  let row = FIRST_PERMUTATION_ROW;
  for (const ch of digits) {
    product = MULTIPLICATION[product]![PERMUTATION[row]![ch.charCodeAt(0) - 48]!]!;
    row = (row + 1) % PERMUTATION.length;
  }
  return CHECK_DIGIT_OF[product]!;
}

// ---------------------------------------------------------------------------------------------------------------
// PTUT fields

export interface PtutFields {
  /** Bits 32..41 of the originator counter. */
  counterField: number;
  valueClass: UtrnValueClass;
  value: number;
  /** The last 4 bytes of the GMAC, as an unsigned 32-bit number. */
  mac: number;
}

export interface ParsedUtrn extends PtutFields {
  ptut: bigint;
  /** The PTUT's high 32 bits: the part the MAC covers. */
  ptutHigh: number;
}

export type UtrnFormatProblem = 'not-digits' | 'length' | 'check-digit' | 'out-of-range' | 'reserved-bits' | 'value-class';

export class UtrnFormatError extends Error {
  override readonly name = 'UtrnFormatError';
  constructor(
    readonly problem: UtrnFormatProblem,
    message: string,
  ) {
    super(message);
  }
}

/** Wrong input to the generator: a counter with low bits set, a value out of range, and the like. */
export class UtrnInputError extends Error {
  override readonly name = 'UtrnInputError';
}

function ptutHighOf(counterField: number, valueClass: UtrnValueClass, value: number): number {
  return ((counterField << 15) | (VALUE_CLASS_BITS[valueClass] << 13) | value) >>> 0;
}

/** The 20-digit UTRN of a PTUT. */
export function utrnFromPtut(ptut: bigint): string {
  const body = (PTUT_OFFSET + ptut).toString();
  if (ptut < 0n || body.length !== UTRN_DIGITS - 1) throw new UtrnInputError(`PTUT ${ptut} does not fit the ${UTRN_DIGITS - 1} digits of a UTRN`);
  return body + String(utrnCheckDigit(body));
}

/**
 * Reads a UTRN as typed or carried in a command: 20 decimal digits, spaces between groups allowed. Throws
 * UtrnFormatError saying what is wrong; checks the check digit but not the MAC (that needs keys: see UtrnAcceptor).
 */
export function parseUtrn(text: string): ParsedUtrn {
  const digits = text.replace(/ /g, '');
  const bad = /[^0-9]/.exec(digits);
  if (bad) throw new UtrnFormatError('not-digits', `a UTRN is decimal digits; found ${JSON.stringify(bad[0])}`);
  if (digits.length !== UTRN_DIGITS) throw new UtrnFormatError('length', `a UTRN has ${UTRN_DIGITS} digits, got ${digits.length}`);
  const body = digits.slice(0, UTRN_DIGITS - 1);
  const expected = utrnCheckDigit(body);
  const found = Number(digits[UTRN_DIGITS - 1]);
  if (found !== expected) throw new UtrnFormatError('check-digit', `check digit ${found} does not match ${expected}`);
  const ptut = BigInt(body) - PTUT_OFFSET;
  if (ptut < 0n) throw new UtrnFormatError('out-of-range', `the UTRN's first 19 digits are below ${PTUT_OFFSET}, so encode no PTUT`);
  const ptutHigh = Number(ptut >> 32n);
  if (ptutHigh >>> 25 !== 0) throw new UtrnFormatError('reserved-bits', `the PTUT's 7 reserved high bits are not zero`);
  const classBits = (ptutHigh >>> 13) & 0b11;
  const valueClass = VALUE_CLASS_OF_BITS[classBits];
  if (!valueClass) throw new UtrnFormatError('value-class', `value class bits ${classBits.toString(2).padStart(2, '0')} are reserved`);
  return {
    ptut,
    ptutHigh,
    counterField: (ptutHigh >>> 15) & COUNTER_FIELD_MASK,
    valueClass,
    value: ptutHigh & MAX_TOP_UP_VALUE,
    mac: Number(ptut & LOW_32_BITS),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// MAC

/**
 * The key pair behind a UTRN's MAC, from either end: the supplier (head-end) holds its prepayment private key and
 * the device's public KA key; the device holds its private KA key and the supplier's prepayment public key.
 */
export type UtrnKeyAgreement =
  | { supplierPrepaymentKey: PrivateKey; devicePublicKey: PublicKey }
  | { devicePrivateKey: PrivateKey; supplierPrepaymentPublicKey: PublicKey };

export interface UtrnParties {
  /** The supplier that vends the top-up. */
  originator: Eui;
  /** The meter it is for. */
  target: Eui;
}

function sharedSecret(keys: UtrnKeyAgreement, cache?: SharedSecretCache): Uint8Array {
  const [priv, pub] = 'supplierPrepaymentKey' in keys ? [keys.supplierPrepaymentKey, keys.devicePublicKey] : [keys.devicePrivateKey, keys.supplierPrepaymentPublicKey];
  return cache ? cache.get(priv, pub) : ecdh(priv, pub);
}

/** The 32-bit MAC part of a PTUT: the last 4 bytes of the GMAC over the parties, the counter and the PTUT's high half. */
function ptutMac(z: Uint8Array, parties: UtrnParties, counter: bigint, ptutHigh: number): number {
  const originator = euiToBytes(parties.originator);
  const target = euiToBytes(parties.target);
  const counterBytes = u64ToBytes(counter);
  const key = deriveKey(z, { originator, transactionTag: COMMAND_CRA, counter: counterBytes, recipient: target });
  const high = new Uint8Array(4);
  new DataView(high.buffer).setUint32(0, ptutHigh);
  const aad = concatBytes(GMAC_AAD_PREFIX, originator, target, Uint8Array.of(COMMAND_CRA), counterBytes, high);
  const tag = gmac16(key, originator, aad);
  return new DataView(tag.buffer, tag.byteOffset + tag.length - 4, 4).getUint32(0);
}

// ---------------------------------------------------------------------------------------------------------------
// Generation (the supplier's side, or a test playing it)

export type GenerateUtrnOptions = UtrnKeyAgreement &
  UtrnParties & {
    /** The supplier's originator counter for this top-up: its low 32 bits are zero. */
    counter: bigint;
    value: number;
    valueClass: UtrnValueClass;
    cache?: SharedSecretCache;
  };

function checkTopUpCounter(counter: bigint): void {
  if (counter < 0n || counter > MAX_U64) throw new UtrnInputError(`an originator counter is an unsigned 64-bit number, got ${counter}`);
  if ((counter & LOW_32_BITS) !== 0n) throw new UtrnInputError(`a top-up's originator counter has its low 32 bits zero, got 0x${counter.toString(16)}`);
}

export function generateUtrn(options: GenerateUtrnOptions): string {
  const { counter, value, valueClass } = options;
  checkTopUpCounter(counter);
  if (!Number.isInteger(value) || value < 0 || value > MAX_TOP_UP_VALUE) throw new UtrnInputError(`a top-up value is an integer 0..${MAX_TOP_UP_VALUE}, got ${value}`);
  if (!(valueClass in VALUE_CLASS_BITS)) throw new UtrnInputError(`value class is pennies or pounds, got ${JSON.stringify(valueClass)}`);
  const counterField = Number((counter >> 32n) & BigInt(COUNTER_FIELD_MASK));
  const ptutHigh = ptutHighOf(counterField, valueClass, value);
  const mac = ptutMac(sharedSecret(options, options.cache), options, counter, ptutHigh);
  return utrnFromPtut((BigInt(ptutHigh) << 32n) | BigInt(mac));
}

// ---------------------------------------------------------------------------------------------------------------
// Acceptance (the meter's side)

/** The UTRN counter: the high 32 bits of a top-up's originator counter. */
export function utrnCounterOf(originatorCounter: bigint): number {
  return Number(originatorCounter >> 32n);
}

/**
 * GBCS's reconstruction of the UTRN counter from the PTUT's 10 counter bits, relative to the highest UTRN counter
 * accepted: the candidate nearest to it (within half the 10-bit range either side). Negative when the candidate
 * would fall below zero.
 */
export function reconstructUtrnCounter(counterField: number, highestAccepted: number): number {
  const span = 1 << PTUT_COUNTER_BITS;
  const half = span >> 1;
  const highLow = highestAccepted & COUNTER_FIELD_MASK;
  const base = highestAccepted - highLow;
  let field = counterField;
  if (counterField < highLow - half) field += span;
  else if (counterField > highLow + half) field -= span;
  return base + field;
}

/** Why a UTRN is refused: by the UTRN checks, or (`not-in-prepayment`) by a meter that is not taking top-ups. */
export type UtrnRefusal = 'check-digit' | 'mac' | 'reused-counter' | 'counter-too-old' | 'format' | 'not-in-prepayment';

export type UtrnAcceptance =
  | { ok: true; value: number; valueClass: UtrnValueClass; counter: bigint }
  | { ok: false; reason: UtrnRefusal; detail: string };

/** What a device keeps between top-ups: the UTRN counters it has accepted (at most `capacity` of them). */
export interface UtrnAcceptorSnapshot {
  capacity: number;
  /** UTRN counters (high 32 bits of the originator counter), ascending. */
  accepted: number[];
}

export type UtrnAcceptorOptions = UtrnKeyAgreement &
  UtrnParties & {
    /** How many accepted UTRN counters the device remembers (its UTRN counter cache). */
    capacity?: number;
    cache?: SharedSecretCache;
  };

export const DEFAULT_UTRN_CACHE_CAPACITY = 100;

export class UtrnStateError extends Error {
  override readonly name = 'UtrnStateError';
}

/**
 * A meter's UTRN check: check digit, MAC, and a cache of the UTRN counters already accepted. A counter already in
 * the cache is refused as reused; once the cache is full, a counter below its lowest entry is refused as too old
 * (the device can no longer tell whether it was used). A refusal leaves the state unchanged.
 */
export class UtrnAcceptor {
  private readonly accepted: number[] = [];
  readonly capacity: number;
  private readonly parties: UtrnParties;
  /** The key agreement behind the MACs; its ECDH waits for the first UTRN (a meter may never see one). */
  private readonly keys: UtrnAcceptorOptions;
  private agreed: Uint8Array | undefined;

  constructor(options: UtrnAcceptorOptions, snapshot?: UtrnAcceptorSnapshot) {
    this.capacity = snapshot?.capacity ?? options.capacity ?? DEFAULT_UTRN_CACHE_CAPACITY;
    if (!Number.isInteger(this.capacity) || this.capacity < 1) throw new UtrnStateError(`UTRN counter cache capacity must be a positive integer, got ${this.capacity}`);
    this.keys = options;
    this.parties = { originator: options.originator, target: options.target };
    if (snapshot) this.restore(snapshot);
  }

  private z(): Uint8Array {
    return (this.agreed ??= sharedSecret(this.keys, this.keys.cache));
  }

  /** The highest UTRN counter accepted, or undefined before the first top-up. */
  get highestAccepted(): number | undefined {
    return this.accepted[this.accepted.length - 1];
  }

  /**
   * Checks and, when valid, records a UTRN. `originatorCounter` is the full counter when the device knows it (a
   * remote top-up command); otherwise it is reconstructed from the UTRN's 10 counter bits.
   */
  accept(utrn: string, context: { originatorCounter?: bigint } = {}): UtrnAcceptance {
    let parsed: ParsedUtrn;
    try {
      parsed = parseUtrn(utrn);
    } catch (e) {
      if (!(e instanceof UtrnFormatError)) throw e;
      return { ok: false, reason: e.problem === 'check-digit' ? 'check-digit' : 'format', detail: e.message };
    }
    const known = context.originatorCounter;
    let utrnCounter: number;
    if (known === undefined) {
      utrnCounter = reconstructUtrnCounter(parsed.counterField, this.highestAccepted ?? 0);
      if (utrnCounter < 0) return { ok: false, reason: 'counter-too-old', detail: `counter bits ${parsed.counterField} fall below zero relative to the highest accepted` };
    } else {
      if ((known & LOW_32_BITS) !== 0n || known < 0n || known > MAX_U64) return { ok: false, reason: 'format', detail: `originator counter 0x${known.toString(16)} is not a top-up counter` };
      utrnCounter = utrnCounterOf(known);
      if ((utrnCounter & COUNTER_FIELD_MASK) !== parsed.counterField) return { ok: false, reason: 'format', detail: `the UTRN's counter bits ${parsed.counterField} do not match the command's counter` };
    }
    const counter = BigInt(utrnCounter) << 32n;
    if (ptutMac(this.z(), this.parties, counter, parsed.ptutHigh) !== parsed.mac) return { ok: false, reason: 'mac', detail: 'the MAC does not authenticate this top-up' };
    if (this.accepted.includes(utrnCounter)) return { ok: false, reason: 'reused-counter', detail: `UTRN counter ${utrnCounter} was already accepted` };
    const lowest = this.accepted[0];
    if (this.accepted.length >= this.capacity && lowest !== undefined && utrnCounter < lowest) {
      return { ok: false, reason: 'counter-too-old', detail: `UTRN counter ${utrnCounter} is below the lowest remembered (${lowest})` };
    }
    this.remember(utrnCounter);
    return { ok: true, value: parsed.value, valueClass: parsed.valueClass, counter };
  }

  snapshot(): UtrnAcceptorSnapshot {
    return { capacity: this.capacity, accepted: [...this.accepted] };
  }

  private remember(utrnCounter: number): void {
    const at = this.accepted.findIndex((c) => c > utrnCounter);
    this.accepted.splice(at === -1 ? this.accepted.length : at, 0, utrnCounter);
    if (this.accepted.length > this.capacity) this.accepted.shift();
  }

  private restore(snapshot: UtrnAcceptorSnapshot): void {
    const { accepted } = snapshot;
    if (accepted.length > this.capacity) throw new UtrnStateError(`snapshot holds ${accepted.length} counters, more than its capacity ${this.capacity}`);
    for (let i = 0; i < accepted.length; i++) {
      const c = accepted[i]!;
      if (!Number.isInteger(c) || c < 0 || c > 0xffff_ffff) throw new UtrnStateError(`snapshot counter ${c} is not a 32-bit UTRN counter`);
      if (i > 0 && c <= accepted[i - 1]!) throw new UtrnStateError('snapshot counters must be strictly ascending');
    }
    this.accepted.push(...accepted);
  }
}

