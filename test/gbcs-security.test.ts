import { describe, expect, it } from 'vitest';
import { verifySignature } from '../src/crypto/ecdsa.ts';
import { KeyStore } from '../src/crypto/keystore.ts';
import { decodeFrame, encodeCiphered, encodeGeneralSigning, type DecodedFrame } from '../src/gbcs/frame.ts';
import { GbcsSecurity } from '../src/gbcs/security.ts';
import { RTDS_KEYSTORE, rtdsMessages } from './support/rtds.ts';

const keys = KeyStore.fromFolders([RTDS_KEYSTORE]);
const security = new GbcsSecurity(keys);
/** The RTDS's own defect: these HAN-originated commands carry MACs no key pair produces. */
const KNOWN_BAD = new Set(['PCS01_NA_SUCCESS_COMMAND_GBCS.HEX', 'PCS02_NA_SUCCESS_COMMAND_GBCS.HEX']);

const decoded = rtdsMessages().map((m) => ({ ...m, frame: decodeFrame(m.bytes) }));
const hex = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString('hex');

describe('GBCS security on the RTDS', () => {
  it('computes the stored 12-byte MAC of every RTDS COMMAND with the ACB key agreement key', () => {
    const commands = decoded.filter((m) => m.kind === 'COMMAND' && m.frame.ciphering);
    expect(commands.length).toBeGreaterThan(490);
    let matched = 0;
    for (const m of commands) {
      const mac = security.computeMac(m.frame.header, m.frame.generalSigning);
      if (KNOWN_BAD.has(m.file)) expect(hex(mac), m.file).not.toBe(hex(m.frame.ciphering!.mac));
      else {
        expect(hex(mac), m.file).toBe(hex(m.frame.ciphering!.mac));
        matched++;
      }
    }
    expect(matched).toBe(commands.length - KNOWN_BAD.size);
  });

  it('computes the stored MAC of every RTDS RESPONSE and ALERT with the recipient organisation key and the device public key', () => {
    const replies = decoded.filter((m) => (m.kind === 'RESPONSE' || m.kind === 'ALERT') && m.frame.ciphering);
    let checked = 0;
    for (const m of replies) {
      const mac = security.computeMac(m.frame.header, m.frame.generalSigning);
      if (!mac) {
        // device-to-device replies (PCS01/PCS02 on the HAN): no device private keys are published
        expect(m.folder, m.file).toMatch(/^NA_PCS0[12]$/);
        continue;
      }
      expect(hex(mac), m.file).toBe(hex(m.frame.ciphering!.mac));
      checked++;
    }
    expect(checked).toBeGreaterThan(300);
  });

  it('verifies every signature the RTDS carries (supplier-signed commands, device-signed responses and alerts)', () => {
    const signed = decoded.filter((m) => m.frame.signature?.length);
    expect(signed.length).toBe(472);
    for (const m of signed) expect(security.verifySignature(m.frame as DecodedFrame), m.file).toBe('valid');
  });

  it('signs every RTDS PRECOMMAND so that the originator public key verifies it, over the same bytes the RTDS command signature covers', () => {
    const pre = decoded.filter((m) => m.kind === 'PRECOMMAND');
    expect(pre).toHaveLength(178);
    let sameBytes = 0;
    for (const m of pre) {
      const f = m.frame;
      const sig = security.sign(f.header.originator, f.signedData);
      expect(verifySignature(keys.publicKey(f.header.originator, 'ds')!, f.signedData, sig), m.file).toBe(true);
      // the signed command built from it is a valid frame whose signature checks
      const signed = decodeFrame(encodeGeneralSigning({ ...f, signature: sig }));
      expect(security.verifySignature(signed), m.file).toBe('valid');
      // and the RTDS's own COMMAND for it (same folder, same counter) is signed over exactly these bytes
      // and where the RTDS's COMMAND carries the same content, its supplier signature covers exactly these bytes
      const command = decoded.find((c) => c.folder === m.folder && c.kind === 'COMMAND' && c.frame.header.counter === f.header.counter && hex(c.frame.payload) === hex(f.payload));
      if (command?.frame.signature?.length) {
        expect(hex(command.frame.signedData), m.file).toBe(hex(f.signedData));
        expect(verifySignature(keys.publicKey(f.header.originator, 'ds')!, f.signedData, command.frame.signature), m.file).toBe(true);
        sameBytes++;
      }
    }
    expect(sameBytes).toBeGreaterThan(150);
  });

  it('builds a ciphered command whose MAC verifies, and detects a flipped byte', () => {
    const m = decoded.find((x) => x.file === 'CS01a_2.2_SUCCESS_COMMAND_GBCS.HEX')!;
    const gs = m.frame.generalSigning;
    const mac = security.computeMac(m.frame.header, gs)!;
    const bytes = encodeCiphered(gs, Uint8Array.of(0x11, 0, 0, 0, 0), mac);
    expect(hex(bytes)).toBe(hex(m.bytes));
    const bad = Uint8Array.from(bytes);
    bad[bad.length - 20]! ^= 0x01;
    expect(security.verifyMac(decodeFrame(bad))).toBe('invalid');
  });

  it('remembers a check only for the same bytes and keys: a changed frame or a key added since is checked afresh', () => {
    const m = decoded.find((x) => x.file.endsWith('_COMMAND_GBCS.HEX') && x.frame.ciphering && x.frame.signature?.length && !KNOWN_BAD.has(x.file))!;
    const originator = m.frame.header.originator;
    const partial = new KeyStore();
    const fresh = new GbcsSecurity(partial);
    const bytes = Uint8Array.from(m.bytes);
    expect(fresh.verifySignature(decodeFrame(bytes))).toBe('unverifiable');
    partial.addPublic(originator, 'ds', keys.publicKey(originator, 'ds')!);
    expect(fresh.verifySignature(decodeFrame(bytes))).toBe('valid');
    expect(fresh.verifySignature(decodeFrame(bytes))).toBe('valid');

    const local = new GbcsSecurity(keys);
    expect(local.verifyMac(decodeFrame(bytes))).toBe('valid');
    // Changed in place after a valid check, as a corrupting fault would: same MAC and signature bytes, other content.
    const frame = decodeFrame(bytes);
    frame.signedData[frame.signedData.length - 1]! ^= 0x01;
    expect(local.verifyMac(frame)).toBe('invalid');
    expect(local.verifySignature(frame)).toBe('invalid');
    expect(fresh.verifySignature(frame)).toBe('invalid');
  });
});
