import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SharedSecretCache } from '../src/crypto/ecdh.ts';
import { privateKeyFromScalar } from '../src/crypto/keys.ts';
import { KeyStore } from '../src/crypto/keystore.ts';
import { decodeFrame } from '../src/gbcs/frame.ts';
import {
  generateUtrn,
  parseUtrn,
  reconstructUtrnCounter,
  utrnCheckDigit,
  utrnFromPtut,
  UtrnAcceptor,
  UtrnFormatError,
  UtrnInputError,
  UtrnStateError,
  VERHOEFF_TABLES,
  type UtrnKeyAgreement,
} from '../src/gbcs/utrn.ts';
import { RTDS_KEYSTORE, rtdsMessages } from './support/rtds.ts';

const SUPPLIER = '90b3d51f30010000';
const ESME = '00db1234567890a0';
const GSME = '00db1234567890a1';

const keystore = KeyStore.fromFolders([RTDS_KEYSTORE]);
const cache = new SharedSecretCache();
function supplierSide(device: string): UtrnKeyAgreement {
  return { supplierPrepaymentKey: keystore.privateKey(SUPPLIER, 'pp-ka')!, devicePublicKey: keystore.publicKey(device, 'ka')! };
}
const esmeParties = { originator: SUPPLIER, target: ESME };
const newEsmeAcceptor = (capacity?: number) => new UtrnAcceptor({ ...supplierSide(ESME), ...esmeParties, capacity, cache });

/** The RTDS top-up command in a folder, its frame and the 20 ASCII digits of the UTRN in its payload. */
function rtdsTopUp(folder: string, outcome: 'SUCCESS' | 'ERROR', kind: 'COMMAND' | 'RESPONSE' = 'COMMAND') {
  const m = rtdsMessages().find((x) => x.folder === folder && x.kind === kind && x.file.includes(`_${outcome}_`));
  if (!m) throw new Error(`no ${outcome} ${kind} in ${folder}`);
  const frame = decodeFrame(m.bytes);
  const utrn = /[0-9]{20}/.exec(Buffer.from(frame.payload).toString('latin1'))?.[0];
  return { frame, utrn };
}

/** A UTRN with its check digit replaced by another one. */
function withWrongCheckDigit(utrn: string): string {
  const last = Number(utrn[19]);
  return utrn.slice(0, 19) + String((last + 1) % 10);
}

describe('UTRN generation against the RTDS', () => {
  it('reproduces the UTRN of the 2.2 CS01a SUCCESS command: counter 3, £10, supplier pp-ka with the ESME ka key', () => {
    const { frame, utrn } = rtdsTopUp('2.2_CS01a', 'SUCCESS');
    expect(utrn).toBe('73946144332040217315');
    expect(frame.header.counter).toBe(3n << 32n);
    expect([frame.header.originator, frame.header.recipient]).toEqual([SUPPLIER, ESME]);
    const generated = generateUtrn({ ...supplierSide(ESME), ...esmeParties, counter: frame.header.counter, value: 10, valueClass: 'pounds' });
    expect(generated).toBe(utrn);
  });

  it('reproduces the UTRN of the 2.2 CS01b SUCCESS command for the GSME: counter 6, 1250 pennies', () => {
    const { frame, utrn } = rtdsTopUp('2.2_CS01b', 'SUCCESS');
    expect(frame.header.counter).toBe(6n << 32n);
    const fields = parseUtrn(utrn!);
    expect(fields).toMatchObject({ counterField: 6, valueClass: 'pennies', value: 1250 });
    expect(generateUtrn({ ...supplierSide(GSME), originator: SUPPLIER, target: GSME, counter: frame.header.counter, value: 1250, valueClass: 'pennies' })).toBe(utrn);
  });

  it('gives a different UTRN for another target, counter, value or value class', () => {
    const base = { ...supplierSide(ESME), ...esmeParties, counter: 3n << 32n, value: 10, valueClass: 'pounds' as const };
    const reference = generateUtrn(base);
    const variants = [
      generateUtrn({ ...base, counter: 4n << 32n }),
      generateUtrn({ ...base, value: 11 }),
      generateUtrn({ ...base, valueClass: 'pennies' }),
      generateUtrn({ ...supplierSide(GSME), ...base, devicePublicKey: keystore.publicKey(GSME, 'ka')!, target: GSME }),
    ];
    for (const v of variants) expect(v).not.toBe(reference);
  });

  it('refuses inputs that cannot make a PTUT', () => {
    const base = { ...supplierSide(ESME), ...esmeParties, counter: 3n << 32n, value: 10, valueClass: 'pounds' as const };
    expect(() => generateUtrn({ ...base, counter: (3n << 32n) | 1n })).toThrow(UtrnInputError);
    expect(() => generateUtrn({ ...base, counter: -1n })).toThrow(UtrnInputError);
    expect(() => generateUtrn({ ...base, value: 8192 })).toThrow(UtrnInputError);
    expect(() => generateUtrn({ ...base, value: 1.5 })).toThrow(UtrnInputError);
  });
});

describe('UTRN parsing', () => {
  it('reads the PTUT fields of the RTDS UTRN', () => {
    const p = parseUtrn('73946144332040217315');
    expect(p).toMatchObject({ counterField: 3, valueClass: 'pounds', value: 10 });
    expect(p.ptutHigh).toBe((3 << 15) | (1 << 13) | 10);
    expect(BigInt(p.mac)).toBe(p.ptut & 0xffffffffn);
    expect(parseUtrn('7394 6144 3320 4021 7315')).toEqual(p);
  });

  const problem = (text: string) => {
    try {
      parseUtrn(text);
    } catch (e) {
      expect(e).toBeInstanceOf(UtrnFormatError);
      return (e as UtrnFormatError).problem;
    }
    return 'parsed';
  };

  it('says what is wrong with a malformed UTRN', () => {
    expect(problem('7394614433204021731x')).toBe('not-digits');
    expect(problem('7394-6144-3320-4021-7315')).toBe('not-digits');
    expect(problem('7394614433204021731')).toBe('length');
    expect(problem('739461443320402173150')).toBe('length');
    expect(problem(withWrongCheckDigit('73946144332040217315'))).toBe('check-digit');
    const belowOffset = '1234567891012131415';
    expect(problem(belowOffset + String(utrnCheckDigit(belowOffset)))).toBe('out-of-range');
    expect(problem(utrnFromPtut(1n << 58n))).toBe('reserved-bits');
    expect(() => utrnFromPtut(1n << 62n)).toThrow(UtrnInputError);
    expect(problem(utrnFromPtut(0b10n << 45n))).toBe('value-class');
  });

  it('implements GBCS 14.8: the check digit makes the full 20 digits fold to zero under textbook Verhoeff arithmetic', () => {
    const { PERMUTATION, MULTIPLICATION, CHECK_DIGIT_OF, FIRST_PERMUTATION_ROW } = VERHOEFF_TABLES;
    const inverse = (x: number) => MULTIPLICATION[x]!.indexOf(0);
    // the permutation rows are successive powers of row 1
    for (let k = 2; k < 8; k++) for (let d = 0; d < 10; d++) expect(PERMUTATION[k]![d]).toBe(PERMUTATION[1]![PERMUTATION[k - 1]![d]!]);
    // the 20th digit is permuted by row (4 + 19) mod 8 = 7; table 14.8c is that row undone after the group inverse
    const row = (FIRST_PERMUTATION_ROW + 19) % 8;
    for (let x = 0; x < 10; x++) expect(PERMUTATION[row]![CHECK_DIGIT_OF[x]!]).toBe(inverse(x));
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{19}$/), (body) => {
        let product = 0;
        [...body + String(utrnCheckDigit(body))].forEach((ch, i) => {
          product = MULTIPLICATION[product]![PERMUTATION[(FIRST_PERMUTATION_ROW + i) % 8]![Number(ch)]!]!;
        });
        expect(product).toBe(0);
      }),
    );
  });
});

describe('UtrnAcceptor on the RTDS top-up', () => {
  const success = rtdsTopUp('2.2_CS01a', 'SUCCESS').utrn!;

  it('accepts the RTDS UTRN once, then refuses it as a reused counter', () => {
    const acceptor = newEsmeAcceptor();
    expect(acceptor.accept(success)).toEqual({ ok: true, value: 10, valueClass: 'pounds', counter: 3n << 32n });
    expect(acceptor.highestAccepted).toBe(3);
    expect(acceptor.accept(success)).toMatchObject({ ok: false, reason: 'reused-counter' });
  });

  it('refuses a wrong check digit and a wrong MAC, each with its own reason, and keeps its state', () => {
    const acceptor = newEsmeAcceptor();
    const before = acceptor.snapshot();
    expect(acceptor.accept(withWrongCheckDigit(success))).toMatchObject({ ok: false, reason: 'check-digit' });
    const forgedMac = utrnFromPtut(parseUtrn(success).ptut ^ 1n);
    expect(acceptor.accept(forgedMac)).toMatchObject({ ok: false, reason: 'mac' });
    const otherMeter = new UtrnAcceptor({ ...supplierSide(GSME), originator: SUPPLIER, target: GSME, cache });
    expect(otherMeter.accept(success)).toMatchObject({ ok: false, reason: 'mac' });
    expect(acceptor.accept('not a utrn')).toMatchObject({ ok: false, reason: 'format' });
    expect(acceptor.snapshot()).toEqual(before);
    expect(acceptor.accept(success).ok).toBe(true);
  });

  it('the CS01a ERROR command carries a genuine UTRN (counter 5, £10): the error is the ESME answering action-result 1', () => {
    const error = rtdsTopUp('2.2_CS01a', 'ERROR');
    expect(error.frame.header.counter).toBe(5n << 32n);
    const acceptor = newEsmeAcceptor();
    expect(acceptor.accept(success).ok).toBe(true);
    expect(acceptor.accept(error.utrn!, { originatorCounter: error.frame.header.counter })).toEqual({ ok: true, value: 10, valueClass: 'pounds', counter: 5n << 32n });
    // DLMS access-response ending `01 03 <action-result>`: 0 in the SUCCESS response, 1 in the ERROR one
    const result = (outcome: 'SUCCESS' | 'ERROR') => rtdsTopUp('2.2_CS01a', outcome, 'RESPONSE').frame.payload.at(-1);
    expect([result('SUCCESS'), result('ERROR')]).toEqual([0, 1]);
  });

  it('the CS01b ERROR command carries digits that are no UTRN at all', () => {
    const { utrn } = rtdsTopUp('2.2_CS01b', 'ERROR');
    expect(utrn).toBe('12345678910121314156');
    const gsme = new UtrnAcceptor({ ...supplierSide(GSME), originator: SUPPLIER, target: GSME, cache });
    expect(gsme.accept(utrn!)).toMatchObject({ ok: false, reason: 'check-digit' });
  });

  it('refuses a full counter from the command that disagrees with the UTRN counter bits', () => {
    expect(newEsmeAcceptor().accept(success, { originatorCounter: 4n << 32n })).toMatchObject({ ok: false, reason: 'format' });
  });
});

describe('UTRN counters on the meter', () => {
  it('follows the GBCS worked example: highest 2,458,896,167 and counter bits 812 give UTRN counter 2,458,896,172', () => {
    expect(reconstructUtrnCounter(812, 2_458_896_167)).toBe(2_458_896_172);
  });

  it('reconstructs across a 10-bit wrap in both directions', () => {
    expect(reconstructUtrnCounter(2, 1023)).toBe(1026);
    expect(reconstructUtrnCounter(1020, 1026)).toBe(1020);
    expect(reconstructUtrnCounter(600, 0)).toBe(600 - 1024);
  });

  const mint = (utrnCounter: number, value = 1) =>
    generateUtrn({ ...supplierSide(ESME), ...esmeParties, counter: BigInt(utrnCounter) << 32n, value, valueClass: 'pennies' });

  it('accepts top-ups out of order while it remembers them, and refuses those older than its cache once full', () => {
    const acceptor = newEsmeAcceptor(3);
    for (const c of [12, 10, 11]) expect(acceptor.accept(mint(c)).ok).toBe(true);
    expect(acceptor.accept(mint(13)).ok).toBe(true);
    expect(acceptor.snapshot().accepted).toEqual([11, 12, 13]);
    expect(acceptor.accept(mint(9))).toMatchObject({ ok: false, reason: 'counter-too-old' });
    expect(acceptor.accept(mint(10))).toMatchObject({ ok: false, reason: 'counter-too-old' });
    expect(acceptor.accept(mint(11))).toMatchObject({ ok: false, reason: 'reused-counter' });
    expect(acceptor.snapshot().accepted).toEqual([11, 12, 13]);
  });

  it('refuses counter bits that reconstruct below zero on a fresh meter', () => {
    expect(newEsmeAcceptor().accept(mint(600))).toMatchObject({ ok: false, reason: 'counter-too-old' });
  });

  it('reconstructs a counter past the 10-bit range from the highest accepted', () => {
    const acceptor = newEsmeAcceptor();
    for (const c of [500, 1000, 1500]) expect(acceptor.accept(mint(c))).toMatchObject({ ok: true, counter: BigInt(c) << 32n });
  });

  it('keeps its state in a JSON snapshot that a new acceptor restores', () => {
    const acceptor = newEsmeAcceptor(5);
    for (const c of [1, 2, 3]) acceptor.accept(mint(c));
    const restored = new UtrnAcceptor({ ...supplierSide(ESME), ...esmeParties, cache }, JSON.parse(JSON.stringify(acceptor.snapshot())));
    expect(restored.capacity).toBe(5);
    expect(restored.highestAccepted).toBe(3);
    expect(restored.accept(mint(2))).toMatchObject({ ok: false, reason: 'reused-counter' });
    expect(restored.accept(mint(4)).ok).toBe(true);
    expect(() => new UtrnAcceptor({ ...supplierSide(ESME), ...esmeParties }, { capacity: 2, accepted: [3, 1] })).toThrow(UtrnStateError);
    expect(() => new UtrnAcceptor({ ...supplierSide(ESME), ...esmeParties }, { capacity: 1, accepted: [1, 2] })).toThrow(UtrnStateError);
  });

  it('agrees from the device end of the key agreement (device private key, supplier prepayment public key)', () => {
    const scalar = (label: string) => new Uint8Array(createHash('sha256').update(label).digest());
    const device = privateKeyFromScalar(scalar('hanlab test ESME ka'));
    const supplierPp = privateKeyFromScalar(scalar('hanlab test supplier pp-ka'));
    const utrn = generateUtrn({ supplierPrepaymentKey: supplierPp, devicePublicKey: device.publicKey, ...esmeParties, counter: 7n << 32n, value: 250, valueClass: 'pennies' });
    const meter = new UtrnAcceptor({ devicePrivateKey: device, supplierPrepaymentPublicKey: supplierPp.publicKey, ...esmeParties });
    expect(meter.accept(utrn)).toEqual({ ok: true, value: 250, valueClass: 'pennies', counter: 7n << 32n });
    const stranger = privateKeyFromScalar(scalar('hanlab test other supplier'));
    const impostor = new UtrnAcceptor({ devicePrivateKey: device, supplierPrepaymentPublicKey: stranger.publicKey, ...esmeParties });
    expect(impostor.accept(utrn)).toMatchObject({ ok: false, reason: 'mac' });
  });
});

describe('UTRN properties', () => {
  const topUp = fc.record({
    utrnCounter: fc.integer({ min: 0, max: 0xffff_ffff }),
    behind: fc.integer({ min: 1, max: 511 }),
    value: fc.integer({ min: 0, max: 8191 }),
    valueClass: fc.constantFrom('pennies' as const, 'pounds' as const),
  });

  it('generate → parse → accept round-trips, the meter reconstructing the counter from its 10 bits', () => {
    fc.assert(
      fc.property(topUp, ({ utrnCounter, behind, value, valueClass }) => {
        const counter = BigInt(utrnCounter) << 32n;
        const utrn = generateUtrn({ ...supplierSide(ESME), ...esmeParties, counter, value, valueClass, cache });
        expect(utrn).toMatch(/^[0-9]{20}$/);
        expect(parseUtrn(utrn)).toMatchObject({ counterField: utrnCounter & 0x3ff, value, valueClass });
        const highest = utrnCounter - behind;
        const acceptor = new UtrnAcceptor({ ...supplierSide(ESME), ...esmeParties, cache }, { capacity: 10, accepted: highest >= 0 ? [highest] : [] });
        expect(acceptor.accept(utrn)).toEqual({ ok: true, value, valueClass, counter });
        expect(acceptor.accept(utrn)).toMatchObject({ ok: false, reason: 'reused-counter' });
      }),
      { numRuns: 200 },
    );
  });

  it('refuses any single-digit change', () => {
    const acceptor = newEsmeAcceptor();
    fc.assert(
      fc.property(topUp, fc.integer({ min: 0, max: 19 }), fc.integer({ min: 1, max: 9 }), ({ utrnCounter, value, valueClass }, position, shift) => {
        const utrn = generateUtrn({ ...supplierSide(ESME), ...esmeParties, counter: BigInt(utrnCounter & 0x1ff) << 32n, value, valueClass, cache });
        const changed = utrn.slice(0, position) + String((Number(utrn[position]) + shift) % 10) + utrn.slice(position + 1);
        const before = acceptor.snapshot();
        expect(acceptor.accept(changed)).toMatchObject({ ok: false, reason: 'check-digit' });
        expect(acceptor.snapshot()).toEqual(before);
      }),
      { numRuns: 300 },
    );
  });
});
