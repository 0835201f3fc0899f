import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ecdh, SharedSecretCache } from '../src/crypto/ecdh.ts';
import { signDeterministic, verifySignature } from '../src/crypto/ecdsa.ts';
import { gcmDecrypt, gcmEncrypt } from '../src/crypto/gcm.ts';
import { KeyStore } from '../src/crypto/keystore.ts';
import { deriveTestKey, generatePki } from '../src/crypto/pki.ts';
import { RTDS_KEYSTORE } from './support/rtds.ts';

describe('key store', () => {
  it('reads the RTDS keystore: certificates as public keys, PKCS#8 private keys, prepayment pairs', () => {
    const ks = KeyStore.fromFolders([RTDS_KEYSTORE]);
    expect(ks.publicKey('00DB1234567890A0', 'ka')?.raw).toHaveLength(65);
    expect(ks.privateKey('90b3d51f30010000', 'ds')).toBeDefined();
    expect(ks.privateKey('90b3d51f30010000', 'pp-ka')).toBeDefined();
    expect(ks.privateKey('00db1234567890a0', 'ka')).toBeUndefined();
    // the supplier's private key and its certificate describe the same key
    expect(Buffer.from(ks.privateKey('90b3d51f30010000', 'ds')!.publicKey.raw).equals(Buffer.from(ks.publicKey('90b3d51f30010000', 'ds')!.raw))).toBe(true);
  });

  it('combines several folders', () => {
    const ks = KeyStore.fromFolders([RTDS_KEYSTORE, 'fixtures/pki']);
    expect(ks.privateKey('90b3d51f30010000', 'ds')).toBeDefined();
    expect(ks.privateKey('48414e4c41420100', 'ds')).toBeDefined();
  });
});

describe('ECDSA and ECDH', () => {
  const a = deriveTestKey(1, '0000000000000001', 'ds');
  const b = deriveTestKey(1, '0000000000000002', 'ka');
  const c = deriveTestKey(1, '0000000000000003', 'ka');

  it('signs deterministically and verifies through node:crypto', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (data) => {
        const s1 = signDeterministic(a, data);
        expect(Buffer.from(s1).equals(Buffer.from(signDeterministic(a, data)))).toBe(true);
        expect(verifySignature(a.publicKey, data, s1)).toBe(true);
        const tampered = Uint8Array.from(data.length ? data : [0]);
        tampered[0] = (tampered[0]! + 1) & 0xff;
        expect(verifySignature(a.publicKey, tampered, s1)).toBe(false);
      }),
      { numRuns: 50 },
    );
  });

  it('agrees on a shared secret from either side, and caches it per pair', () => {
    expect(Buffer.from(ecdh(b, c.publicKey)).equals(Buffer.from(ecdh(c, b.publicKey)))).toBe(true);
    const cache = new SharedSecretCache();
    cache.get(b, c.publicKey);
    cache.get(b, c.publicKey);
    expect([cache.hits, cache.misses]).toEqual([1, 1]);
  });

  it('AES-GCM decrypts what it encrypts and refuses a changed byte', () => {
    const key = new Uint8Array(16).fill(7);
    const title = new Uint8Array(8).fill(1);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.nat(), (plain, at) => {
        const ct = gcmEncrypt(key, title, Uint8Array.of(0x31), plain);
        expect(Buffer.from(gcmDecrypt(key, title, Uint8Array.of(0x31), ct)!).equals(Buffer.from(plain))).toBe(true);
        const bad = Uint8Array.from(ct);
        bad[at % bad.length]! ^= 1;
        expect(gcmDecrypt(key, title, Uint8Array.of(0x31), bad)).toBeUndefined();
      }),
      { numRuns: 200 },
    );
  });
});

describe('test PKI', () => {
  it('generates the same keys for the same seed, in the keystore naming, with roles.json', () => {
    const d1 = mkdtempSync(join(tmpdir(), 'pki-'));
    const d2 = mkdtempSync(join(tmpdir(), 'pki-'));
    generatePki(d1, 7);
    generatePki(d2, 7);
    const names = readdirSync(d1).sort();
    expect(names).toContain('roles.json');
    expect(names.filter((n) => n.endsWith('-pp-ka.key'))).toHaveLength(2);
    for (const n of names) expect(readFileSync(join(d1, n), 'utf8')).toBe(readFileSync(join(d2, n), 'utf8'));
    const ks = KeyStore.fromFolders([d1]);
    const roles = JSON.parse(readFileSync(join(d1, 'roles.json'), 'utf8')).roles;
    for (const role of ['acb', 'supplier', 'networkOperator', 'esme', 'gsme', 'chf', 'gpf', 'ppmid', 'ihd']) {
      expect(ks.privateKey(roles[role], 'ds'), role).toBeDefined();
      expect(ks.privateKey(roles[role], 'ka'), role).toBeDefined();
    }
  });

  it('the committed fixtures/pki is the seed-1 PKI', () => {
    const d = mkdtempSync(join(tmpdir(), 'pki-'));
    generatePki(d, 1);
    for (const n of readdirSync(d)) expect(readFileSync(join(d, n), 'utf8'), n).toBe(readFileSync(join('fixtures/pki', n), 'utf8'));
  });
});
