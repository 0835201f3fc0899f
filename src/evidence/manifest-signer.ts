import { createHash } from 'node:crypto';
import { privateKeyFromPem, type PrivateKey, type PublicKey } from '../crypto/keys.ts';
import { deriveTestKey } from '../crypto/pki.ts';

/** The harness key that signs a run's manifest, and how the manifest names it. */
export interface ManifestSigner {
  readonly key: PrivateKey;
  readonly label: string;
  /** A test key proves the evidence was not changed, not who produced it. */
  readonly testKey: boolean;
}

/** The test PKI's seed and identity ("HANLAB" 09 00) for the harness key used when no --sign-key is given. */
const TEST_SIGNER_SEED = 'hanlab-evidence';
const TEST_SIGNER_EUI = '48414e4c41420900';

export const TEST_SIGNER_LABEL = 'TEST KEY from the hanlab test PKI (anyone can make it): shows the evidence is unchanged, not who produced it';

export function testManifestSigner(): ManifestSigner {
  return { key: deriveTestKey(TEST_SIGNER_SEED, TEST_SIGNER_EUI, 'ds'), label: TEST_SIGNER_LABEL, testKey: true };
}

/** The public half of the default test key: what `evidence verify` trusts when no --key is given. */
export function testManifestPublicKey(): PublicKey {
  return testManifestSigner().key.publicKey;
}

/** A harness key from a PKCS#8 or SEC1 PEM (`--sign-key`). */
export function manifestSignerFromPem(pem: string, label = 'harness key'): ManifestSigner {
  return { key: privateKeyFromPem(pem), label, testKey: false };
}

/** The first 16 hex digits of SHA-256 over the uncompressed public point: enough to tell keys apart in messages. */
export function keyFingerprint(key: PublicKey): string {
  return createHash('sha256').update(key.raw).digest('hex').slice(0, 16);
}
