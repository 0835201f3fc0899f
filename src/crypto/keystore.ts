import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { normaliseEui, type Eui } from './eui.ts';
import { privateKeyFromPem, publicKeyFromPem, type PrivateKey, type PublicKey } from './keys.ts';

/** What a key pair is for: digital signing, key agreement, or the supplier's prepayment key agreement. */
export type KeyUsage = 'ds' | 'ka' | 'pp-ka';

const FILE_NAME = /^([0-9a-fA-F]{16})-(pp-ka|ds|ka)\.(pem|key)$/;

interface Entry {
  publicKey?: PublicKey;
  privateKey?: PrivateKey;
}

export class KeyStoreError extends Error {
  override readonly name = 'KeyStoreError';
}

/**
 * Keys by party and usage, read from PEM folders named like the RTDS keystore:
 * `<eui>[-pp]-<ds|ka>.pem` (public: certificate or SPKI) and `.key` (private, PKCS#8 or SEC1).
 * Several folders may be added; a later folder fills in what an earlier one lacks.
 */
export class KeyStore {
  private readonly entries = new Map<string, Entry>();
  private changes = 0;

  /** Counts changes to the keys held: a verdict reached with an older generation may no longer hold. */
  get generation(): number {
    return this.changes;
  }

  static fromFolders(folders: readonly string[]): KeyStore {
    const store = new KeyStore();
    for (const f of folders) store.addFolder(f);
    return store;
  }

  addFolder(dir: string): void {
    for (const name of readdirSync(dir).sort()) {
      const m = FILE_NAME.exec(name);
      if (!m) continue;
      const [, eui, usage, kind] = m as unknown as [string, string, KeyUsage, 'pem' | 'key'];
      const text = readFileSync(join(dir, name), 'utf8');
      try {
        if (kind === 'key') this.addPrivate(eui, usage, privateKeyFromPem(text));
        else this.addPublic(eui, usage, publicKeyFromPem(text));
      } catch (e) {
        throw new KeyStoreError(`${join(dir, name)}: ${(e as Error).message}`);
      }
    }
  }

  addPublic(eui: Eui, usage: KeyUsage, key: PublicKey): void {
    const entry = this.entry(eui, usage);
    if (entry.privateKey || entry.publicKey) return;
    entry.publicKey = key;
    this.changes++;
  }

  /** A replaced trust anchor (CS02b) with the same identity: the new key takes the old one's place. */
  replacePublic(eui: Eui, usage: KeyUsage, key: PublicKey): void {
    const entry = this.entry(eui, usage);
    if (entry.privateKey) throw new KeyStoreError(`${eui} ${usage}: a private key is held; its public key cannot be replaced alone`);
    entry.publicKey = key;
    this.changes++;
  }

  /**
   * Adding a private key also provides its public key. It is read when asked for, not here: a key derived when
   * first used (the simulator's) stays underived while its device is idle.
   */
  addPrivate(eui: Eui, usage: KeyUsage, key: PrivateKey): void {
    const entry = this.entry(eui, usage);
    if (entry.privateKey) return;
    entry.privateKey = key;
    this.changes++;
  }

  publicKey(eui: Eui, usage: KeyUsage): PublicKey | undefined {
    const entry = this.entries.get(keyOf(eui, usage));
    return entry?.publicKey ?? entry?.privateKey?.publicKey;
  }

  privateKey(eui: Eui, usage: KeyUsage): PrivateKey | undefined {
    return this.entries.get(keyOf(eui, usage))?.privateKey;
  }

  parties(): Eui[] {
    return [...new Set([...this.entries.keys()].map((k) => k.slice(0, 16)))].sort();
  }

  get size(): number {
    return this.entries.size;
  }

  private entry(eui: Eui, usage: KeyUsage): Entry {
    const k = keyOf(eui, usage);
    let e = this.entries.get(k);
    if (!e) this.entries.set(k, (e = {}));
    return e;
  }
}

function keyOf(eui: Eui, usage: KeyUsage): string {
  return `${normaliseEui(eui)}/${usage}`;
}
