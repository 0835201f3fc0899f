import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GbcsDecodeError } from '../src/gbcs/errors.ts';
import { decodeFrame, encodeFrame, type GbcsFrame } from '../src/gbcs/frame.ts';
import { rtdsMessages } from './support/rtds.ts';

const eui = fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => Buffer.from(b).toString('hex'));

const frameArb: fc.Arbitrary<GbcsFrame> = fc
  .record({
    cra: fc.constantFrom(1 as const, 2 as const, 3 as const),
    counter: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    originator: eui,
    recipient: eui,
    dateTime: fc.option(fc.uint8Array({ minLength: 12, maxLength: 12 }), { nil: undefined }),
    messageCode: fc.integer({ min: 0, max: 0xffff }),
    supplementary: fc.option(fc.tuple(eui, fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.option(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { nil: undefined })), { nil: undefined }),
    payload: fc.uint8Array({ maxLength: 600 }),
    signature: fc.option(fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ minLength: 64, maxLength: 64 })), { nil: undefined }),
    mac: fc.option(fc.uint8Array({ minLength: 12, maxLength: 12 }), { nil: undefined }),
  })
  .map((r) => {
    const f: GbcsFrame = {
      header: { cra: r.cra, counter: r.counter, originator: r.originator, recipient: r.recipient, other: { messageCode: r.messageCode } },
      payload: r.payload,
    };
    if (r.dateTime) f.header.dateTime = r.dateTime;
    if (r.supplementary) {
      f.header.other.supplementaryRemotePartyId = r.supplementary[0];
      f.header.other.supplementaryRemotePartyCounter = r.supplementary[1];
      if (r.supplementary[2] !== undefined) f.header.other.supplementaryOriginatorCounter = r.supplementary[2];
    }
    if (r.mac) {
      f.signature = r.signature ?? new Uint8Array(0);
      f.ciphering = { securityHeader: Uint8Array.of(0x11, 0, 0, 0, 0), mac: r.mac };
    } else if (r.signature) f.signature = r.signature;
    return f;
  });

function decodesOrRefusesTyped(bytes: Uint8Array): void {
  try {
    decodeFrame(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(GbcsDecodeError);
    const err = e as GbcsDecodeError;
    expect(err.offset).toBeGreaterThanOrEqual(0);
    expect(err.offset).toBeLessThanOrEqual(bytes.length);
    expect(err.expected.length).toBeGreaterThan(0);
  }
}

describe('GBCS framing', () => {
  it('re-encodes every RTDS message byte for byte', () => {
    const messages = rtdsMessages();
    expect(messages).toHaveLength(1275);
    for (const m of messages) expect(Buffer.from(encodeFrame(decodeFrame(m.bytes))).equals(Buffer.from(m.bytes)), m.file).toBe(true);
  });

  it('reads the parties, counter and message code of a known command', () => {
    const m = rtdsMessages().find((x) => x.file === 'CS01a_2.2_SUCCESS_COMMAND_GBCS.HEX')!;
    const f = decodeFrame(m.bytes);
    expect(f.header).toMatchObject({ cra: 1, counter: 3n << 32n, originator: '90b3d51f30010000', recipient: '00db1234567890a0', other: { messageCode: 7 } });
    expect(f.ciphering?.mac).toHaveLength(12);
  });

  it('round-trips generated frames (encode → decode → encode)', () => {
    fc.assert(
      fc.property(frameArb, (f) => {
        const bytes = encodeFrame(f);
        const back = decodeFrame(bytes);
        expect(back.header).toEqual(f.header);
        expect(Buffer.from(back.payload).equals(Buffer.from(f.payload))).toBe(true);
        expect(Buffer.from(encodeFrame(back)).equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses random bytes with a typed error only', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), decodesOrRefusesTyped), { numRuns: 3000 });
  });

  it('refuses truncated, extended and mutated RTDS messages with a typed error only', () => {
    const messages = rtdsMessages();
    fc.assert(
      fc.property(fc.nat(messages.length - 1), fc.nat(), fc.nat(255), fc.constantFrom('truncate', 'extend', 'flip', 'length'), (i, at, value, how) => {
        const src = messages[i]!.bytes;
        const pos = at % src.length;
        let bytes: Uint8Array;
        if (how === 'truncate') bytes = src.subarray(0, pos);
        else if (how === 'extend') bytes = Uint8Array.from([...src, value]);
        else {
          bytes = Uint8Array.from(src);
          bytes[how === 'flip' ? pos : Math.min(pos, 40)] = value;
        }
        decodesOrRefusesTyped(bytes);
      }),
      { numRuns: 4000 },
    );
  });

  it('says where a truncated message ends and what it expected', () => {
    const m = rtdsMessages().find((x) => x.file === 'CS01a_2.2_SUCCESS_COMMAND_GBCS.HEX')!;
    expect(() => decodeFrame(m.bytes.subarray(0, 30))).toThrowError(GbcsDecodeError);
    try {
      decodeFrame(m.bytes.subarray(0, 30));
    } catch (e) {
      expect((e as GbcsDecodeError).message).toMatch(/^at byte \d+: expected /);
    }
  });
});
