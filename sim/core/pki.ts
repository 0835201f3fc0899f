import { normaliseEui, type Eui } from '../../src/crypto/eui.ts';
import type { PrivateKey, PublicKey } from '../../src/crypto/keys.ts';
import { KeyStore, type KeyUsage } from '../../src/crypto/keystore.ts';
import { DEFAULT_ROLES, deriveTestKey, type Role } from '../../src/crypto/pki.ts';
import type { TrustedRole } from './gbcs-guard.ts';

/** The organisations every simulated device trusts, with the usages whose public keys it holds. */
const ANCHORS: { role: Role; trusted: TrustedRole; usages: KeyUsage[] }[] = [
  { role: 'acb', trusted: 'acb', usages: ['ds', 'ka'] },
  { role: 'supplier', trusted: 'supplier', usages: ['ds', 'ka', 'pp-ka'] },
  { role: 'networkOperator', trusted: 'networkOperator', usages: ['ds', 'ka'] },
];

/** Keys derived so far in this process, by seed, party and usage. */
const DERIVED = new Map<string, PrivateKey>();

/**
 * A derived key whose derivation (an HMAC, an OpenSSL scalar multiplication and two KeyObjects, about 180 µs and
 * 7 KB of native memory) waits until something first reads it: an idle simulated device holds its own keys as
 * these and never pays for them. Once derived, every read gives the same objects (caches key on identity).
 */
class DerivedPrivateKey implements PrivateKey {
  private key: PrivateKey | undefined;

  constructor(
    private readonly seed: number | string,
    private readonly eui: Eui,
    private readonly usage: KeyUsage,
  ) {}

  private get derived(): PrivateKey {
    if (this.key) return this.key;
    // The same (seed, party, usage) always gives the same key, so every SimPki of the process shares it: a suite
    // builds new premises for each scenario, with the same devices and organisations each time.
    const id = `${this.seed}/${this.eui}/${this.usage}`;
    let key = DERIVED.get(id);
    if (!key) DERIVED.set(id, (key = deriveTestKey(this.seed, this.eui, this.usage)));
    return (this.key = key);
  }

  get scalar(): Uint8Array {
    return this.derived.scalar;
  }

  get object(): PrivateKey['object'] {
    return this.derived.object;
  }

  get publicKey(): PublicKey {
    return this.derived.publicKey;
  }
}

/**
 * The simulation's test PKI, derived from a seed (the same keys `hanlab keys generate --seed N` writes, so
 * fixtures/pki decodes a seed-1 run's evidence). Keys are derived when first needed and kept, so ten
 * thousand idle devices cost nothing until they speak.
 */
export class SimPki {
  readonly roles: Record<Role, Eui>;
  private readonly cache = new Map<string, PrivateKey>();

  constructor(
    readonly seed: number | string = 1,
    roles: Partial<Record<Role, Eui>> = {},
  ) {
    this.roles = { ...DEFAULT_ROLES, ...roles };
  }

  privateKey(eui: Eui, usage: KeyUsage): PrivateKey {
    const party = normaliseEui(eui);
    const id = `${party}/${usage}`;
    let key = this.cache.get(id);
    if (!key) this.cache.set(id, (key = new DerivedPrivateKey(this.seed, party, usage)));
    return key;
  }

  publicKey(eui: Eui, usage: KeyUsage): PublicKey {
    return this.privateKey(eui, usage).publicKey;
  }

  /** A device's key store: its own DS/KA private keys and its trust anchors' public keys. */
  deviceKeys(eui: Eui, anchors: Partial<Record<Role, Eui>> = {}): { keys: KeyStore; trusted: Map<Eui, TrustedRole> } {
    const keys = new KeyStore();
    for (const usage of ['ds', 'ka'] as const) keys.addPrivate(eui, usage, this.privateKey(eui, usage));
    const trusted = new Map<Eui, TrustedRole>();
    for (const a of ANCHORS) {
      const anchor = anchors[a.role] ?? this.roles[a.role];
      trusted.set(anchor, a.trusted);
      for (const usage of a.usages) keys.addPublic(anchor, usage, this.publicKey(anchor, usage));
    }
    return { keys, trusted };
  }

  /** The head-end's key store: the organisations' private keys; devices' public keys are added as devices appear. */
  headEndKeys(): KeyStore {
    const keys = new KeyStore();
    for (const role of ['acb', 'supplier', 'networkOperator', 'otherSupplier'] as const) {
      for (const usage of role === 'supplier' || role === 'otherSupplier' ? (['ds', 'ka', 'pp-ka'] as const) : (['ds', 'ka'] as const)) {
        keys.addPrivate(this.roles[role], usage, this.privateKey(this.roles[role], usage));
      }
    }
    return keys;
  }

  /** Makes a device's public keys known to a key store (the head-end's, or an evidence checker's). */
  addDevicePublicKeys(keys: KeyStore, eui: Eui): void {
    for (const usage of ['ds', 'ka'] as const) keys.addPublic(eui, usage, this.publicKey(eui, usage));
  }
}
