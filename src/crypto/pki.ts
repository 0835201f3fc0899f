import { createHmac } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { p256 } from '@noble/curves/nist.js';
import { normaliseEui, type Eui } from './eui.ts';
import { privateKeyFromScalar, privateKeyToPem, publicKeyToPem, type PrivateKey } from './keys.ts';
import type { KeyUsage } from './keystore.ts';
import { KeyStore } from './keystore.ts';

/** The parties of a test PKI, by role, with the usages each role holds keys for. */
export const ORGANISATION_ROLES = ['acb', 'supplier', 'networkOperator', 'otherSupplier'] as const;
export const DEVICE_ROLES = ['esme', 'gsme', 'chf', 'gpf', 'ppmid', 'ihd', 'spareChf', 'spareGpf'] as const;
export type OrganisationRole = (typeof ORGANISATION_ROLES)[number];
export type DeviceRole = (typeof DEVICE_ROLES)[number];
export type Role = OrganisationRole | DeviceRole;

/** Default identities of the generated PKI. Organisation ids say "HANLAB"; device ids use a test OUI. */
export const DEFAULT_ROLES: Record<Role, Eui> = {
  acb: '48414e4c41420002',
  supplier: '48414e4c41420100',
  networkOperator: '48414e4c41420200',
  otherSupplier: '48414e4c41420300',
  esme: '0012345678abcd00',
  gsme: '0012345678abcd01',
  chf: '0012345678abcd02',
  gpf: '0012345678abcd03',
  ppmid: '0012345678abcd04',
  ihd: '0012345678abcd05',
  /** The Comms Hub (and its GPF) fitted when a scenario replaces the hub. */
  spareChf: '0012345678abcd12',
  spareGpf: '0012345678abcd13',
};

export function usagesFor(role: Role): KeyUsage[] {
  return role === 'supplier' || role === 'otherSupplier' ? ['ds', 'ka', 'pp-ka'] : ['ds', 'ka'];
}

/**
 * A private key derived from (seed, party, usage): the same inputs always give the same key, so a seeded
 * simulation can make keys for thousands of devices without files. Test keys only.
 */
export function deriveTestKey(seed: number | string, eui: Eui, usage: KeyUsage): PrivateKey {
  for (let attempt = 0; ; attempt++) {
    const scalar = createHmac('sha256', `hanlab-test-pki/${seed}`).update(`${normaliseEui(eui)}/${usage}/${attempt}`).digest();
    if (p256.utils.isValidSecretKey(scalar)) return privateKeyFromScalar(new Uint8Array(scalar));
  }
}

/** Adds the derived private keys of the given parties to a key store. */
export function addTestKeys(store: KeyStore, seed: number | string, parties: Iterable<[Eui, readonly KeyUsage[]]>): KeyStore {
  for (const [eui, usages] of parties) for (const u of usages) store.addPrivate(eui, u, deriveTestKey(seed, eui, u));
  return store;
}

export interface GeneratedPki {
  roles: Record<Role, Eui>;
  files: string[];
}

/**
 * Writes a test PKI folder in the RTDS keystore naming: `<eui>[-pp]-<ds|ka>.key` (PKCS#8) and `.pem` (SPKI)
 * for every party, and roles.json mapping role names to EUI-64s.
 */
export function generatePki(outDir: string, seed: number | string, roles: Record<Role, Eui> = DEFAULT_ROLES): GeneratedPki {
  mkdirSync(outDir, { recursive: true });
  const files: string[] = [];
  for (const role of Object.keys(roles) as Role[]) {
    const eui = normaliseEui(roles[role]);
    for (const usage of usagesFor(role)) {
      const key = deriveTestKey(seed, eui, usage);
      const base = join(outDir, `${eui}-${usage}`);
      writeFileSync(`${base}.key`, privateKeyToPem(key));
      writeFileSync(`${base}.pem`, publicKeyToPem(key.publicKey));
      files.push(`${base}.key`, `${base}.pem`);
    }
  }
  const rolesFile = join(outDir, 'roles.json');
  writeFileSync(rolesFile, `${JSON.stringify({ seed, roles }, null, 2)}\n`);
  files.push(rolesFile);
  return { roles, files };
}
