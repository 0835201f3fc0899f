import { execFileSync, spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyStore } from '../src/crypto/keystore.ts';
import { decodeCorpus, decodeCorpusHere } from '../src/gbcs/corpus.ts';
import { GbcsDecodeError } from '../src/gbcs/errors.ts';
import { decodeMessage, encodeMessage } from '../src/gbcs/message.ts';
import { GbcsSecurity } from '../src/gbcs/security.ts';
import { RTDS_KEYSTORE, RTDS_ROOT, rtdsMessages } from './support/rtds.ts';

const security = new GbcsSecurity(KeyStore.fromFolders([RTDS_KEYSTORE]));
const EXPECTED = { total: 1275, decoded: 1275, payloadDecoded: 1275, macValid: 811, signatureValid: 472, invalid: 0, unverifiable: 4 };

describe('the RTDS corpus', () => {
  const messages = rtdsMessages();

  it('decodes every message and payload; every MAC and signature the keystore can check is valid', () => {
    const { summary } = decodeCorpusHere(messages.map((m) => m.bytes), { keyFolders: [] }, security);
    expect(summary).toEqual(EXPECTED);
    const verdicts = (m: (typeof messages)[number]) => {
      const d = decodeMessage(m.bytes, security);
      return [d.mac, d.signature];
    };
    // The HAN-only PCS01/PCS02 commands are MACed between PPMID and meter, whose private keys the RTDS does not
    // publish; their responses are device-to-device too. Nothing else is beyond the keystore.
    const unverifiable = messages.filter((m) => verdicts(m).includes('unverifiable')).map((m) => m.file);
    expect(unverifiable.sort()).toEqual(['PCS01_NA_SUCCESS_COMMAND_GBCS.HEX', 'PCS01_NA_SUCCESS_RESPONSE_GBCS.HEX', 'PCS02_NA_SUCCESS_COMMAND_GBCS.HEX', 'PCS02_NA_SUCCESS_RESPONSE_GBCS.HEX'].sort());
  });

  it('gives the same summary through worker threads', async () => {
    const { summary } = await decodeCorpus(messages.map((m) => m.bytes), { keyFolders: [RTDS_KEYSTORE], workers: 2 });
    expect(summary).toEqual(EXPECTED);
  });

  it('encodes every decoded message (framing and payload) back to its original bytes', () => {
    for (const m of messages) {
      const decoded = decodeMessage(m.bytes, security);
      expect(decoded.payload, m.file).toBeDefined();
      expect(Buffer.from(encodeMessage(decoded)).equals(Buffer.from(m.bytes)), m.file).toBe(true);
    }
  });

  it('never throws anything but GbcsDecodeError on mutated messages, and reports payload errors inside the message', () => {
    fc.assert(
      fc.property(fc.nat(messages.length - 1), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }), fc.option(fc.nat(), { nil: undefined }), (i, flips, cut) => {
        const bytes = Uint8Array.from(messages[i]!.bytes);
        for (const [at, v] of flips) bytes[at % bytes.length] = v;
        const input = cut === undefined ? bytes : bytes.subarray(0, cut % bytes.length);
        try {
          const d = decodeMessage(input, security);
          if (d.payloadError) {
            expect(d.payloadError.offset).toBeGreaterThanOrEqual(d.frame.payloadOffset);
            expect(d.payloadError.offset).toBeLessThanOrEqual(input.length);
          }
        } catch (e) {
          expect(e).toBeInstanceOf(GbcsDecodeError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('hanlab decode', () => {
  const hanlab = (args: string[], input?: string) => spawnSync('node', ['bin/hanlab.js', 'decode', ...args], { encoding: 'utf8', input, timeout: 60_000 });

  it('prints exactly one JSON summary for the corpus', () => {
    const out = execFileSync('node', ['bin/hanlab.js', 'decode', '--corpus', RTDS_ROOT, '--keys', RTDS_KEYSTORE, '--json'], { encoding: 'utf8', timeout: 60_000 });
    expect(JSON.parse(out.trim())).toEqual(EXPECTED);
  });

  it('prints a readable tree for one message given as hex, with its verdicts', () => {
    const hex = Buffer.from(messages()[0]!).toString('hex');
    const r = hanlab([hex, '--keys', RTDS_KEYSTORE]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/use case {4}\S+/);
    expect(r.stdout).toMatch(/MAC {9}(valid|absent)/);
  });

  it('refuses a truncated message with the offset and what it expected, exit 1', () => {
    const hex = Buffer.from(messages()[0]!.subarray(0, 20)).toString('hex');
    const r = hanlab([hex]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/at byte \d+: expected /);
  });

  it('refuses text that is not hex, reading standard input', () => {
    const r = hanlab(['-'], 'DD00zz');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/not a hex digit/);
  });
});

function messages(): Uint8Array[] {
  return rtdsMessages().map((m) => m.bytes);
}
