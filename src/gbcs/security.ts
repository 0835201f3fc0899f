import { concatBytes, u64ToBytes } from '../bytes.ts';
import { euiToBytes, normaliseEui, type Eui } from '../crypto/eui.ts';
import { sharedSecrets, type SharedSecretCache } from '../crypto/ecdh.ts';
import { signDeterministic, verifySignature } from '../crypto/ecdsa.ts';
import { deriveKey } from '../crypto/kdf.ts';
import { gcmDecrypt, gcmEncrypt, gmac } from '../crypto/gcm.ts';
import type { PrivateKey, PublicKey } from '../crypto/keys.ts';
import type { KeyStore } from '../crypto/keystore.ts';
import { equalBytes } from '../bytes.ts';
import { useCaseByMessageCode } from './catalogue.ts';
import type { DecodedFrame, GroupingHeader } from './frame.ts';
import { VerdictMemo } from './verdict-memo.ts';

/** Result of a cryptographic check: `unverifiable` when the keys needed are not in the key store. */
export type Verdict = 'valid' | 'invalid' | 'unverifiable' | 'absent';

/** The DCC Access Control Broker of the RTDS: the DCC side of every command's MAC. */
export const RTDS_ACB: Eui = '90b3d51f30000002';

export const SECURITY_HEADER = Uint8Array.of(0x11, 0, 0, 0, 0);
const MAC_AAD_PAD = Uint8Array.of(0);

/** Transaction-id tag in the KDF for payload encryption keys (the CRA flag is used for MACs). */
const ENCRYPTION_TRANSACTION_TAG = 0x04;

interface MacParties {
  /** The device end of the MAC: the recipient of a command, the originator of a response or alert. */
  device: Eui;
  /** The remote party end: the ACB for commands, the (supplementary) recipient for responses and alerts. */
  remote: Eui;
  kdfRecipient: Uint8Array;
  kdfCounter: Uint8Array;
}

/**
 * GBCS message security over a key store: MACs (General Ciphering), signatures (General Signing) and payload
 * encryption. Shared secrets are cached per key pair.
 */
export class GbcsSecurity {
  readonly cache: SharedSecretCache;

  constructor(
    readonly keys: KeyStore,
    options: { acb?: Eui; cache?: SharedSecretCache } = {},
  ) {
    this.acb = normaliseEui(options.acb ?? RTDS_ACB);
    this.cache = options.cache ?? sharedSecrets;
  }

  readonly acb: Eui;
  private checked: VerdictMemo | undefined;

  /** Made when first needed: an idle simulated device holds a security context and checks nothing. */
  private get memo(): VerdictMemo {
    return (this.checked ??= new VerdictMemo());
  }

  /**
   * Who agreed the MAC key. Commands through the DCC: the device and the ACB. HAN-only commands (a PPMID's top-up
   * to its meter): the two devices — unless neither device's private key is held here, in which case the check is
   * the one a DCC-routed command would pass (see verifyMac for what a mismatch then means).
   * The supplementary remote party (DCC-originated messages on behalf of a user) does not enter the MAC: the RTDS
   * shows MACs between the device and the ACB there, over the header's own recipient.
   */
  private parties(h: GroupingHeader): MacParties {
    const kdfRecipient = euiToBytes(h.recipient);
    const kdfCounter = u64ToBytes(h.counter);
    if (h.cra !== 1) return { device: h.originator, remote: h.recipient, kdfRecipient, kdfCounter };
    if (useCaseByMessageCode(h.other.messageCode)?.hanOnly && this.sharedSecret(h.originator, h.recipient)) {
      return { device: h.recipient, remote: h.originator, kdfRecipient, kdfCounter };
    }
    return { device: h.recipient, remote: this.acb, kdfRecipient, kdfCounter };
  }

  private devicePairUnknown(h: GroupingHeader): boolean {
    return h.cra === 1 && useCaseByMessageCode(h.other.messageCode)?.hanOnly === true && !this.sharedSecret(h.originator, h.recipient);
  }

  /** Z for the pair, from whichever side's private key we hold. */
  private sharedSecret(a: Eui, b: Eui): Uint8Array | undefined {
    const pairs: [PrivateKey | undefined, PublicKey | undefined][] = [
      [this.keys.privateKey(a, 'ka'), this.keys.publicKey(b, 'ka')],
      [this.keys.privateKey(b, 'ka'), this.keys.publicKey(a, 'ka')],
    ];
    for (const [priv, pub] of pairs) if (priv && pub) return this.cache.get(priv, pub);
    return undefined;
  }

  private key(h: GroupingHeader, transactionTag: number): Uint8Array | undefined {
    const p = this.parties(h);
    const z = this.sharedSecret(p.remote, p.device);
    if (!z) return undefined;
    return deriveKey(z, { originator: euiToBytes(h.originator), transactionTag, counter: p.kdfCounter, recipient: p.kdfRecipient });
  }

  /** The 12-byte MAC over a General Signing block, or undefined when no key pair is known. */
  computeMac(h: GroupingHeader, generalSigning: Uint8Array, securityHeader: Uint8Array = SECURITY_HEADER): Uint8Array | undefined {
    const key = this.key(h, h.cra);
    if (!key) return undefined;
    // The additional data is the security header and one further zero byte before the block, as the RTDS shows.
    const mac = gmac(key, euiToBytes(h.originator), concatBytes(securityHeader, MAC_AAD_PAD, generalSigning));
    // Checking this MAC over these bytes would compute it again, the same way: it is valid here until the keys change.
    this.memo.remember({ tag: concatBytes(mac, securityHeader), covered: generalSigning, generation: this.keys.generation }, 'valid');
    return mac;
  }

  verifyMac(f: DecodedFrame): Verdict {
    const ciphering = f.ciphering;
    if (!ciphering) return 'absent';
    return this.memo.check({ tag: concatBytes(ciphering.mac, ciphering.securityHeader), covered: f.generalSigning, generation: this.keys.generation }, () => {
      const mac = this.computeMac(f.header, f.generalSigning, ciphering.securityHeader);
      if (!mac) return 'unverifiable';
      if (equalBytes(mac, ciphering.mac)) return 'valid';
      // A HAN-only command MACed between two devices cannot be checked without one of their private keys: a
      // mismatch with the DCC-routed MAC proves nothing (a head-end watching a PPMID's top-up; the RTDS PCS01/PCS02).
      return this.devicePairUnknown(f.header) ? 'unverifiable' : 'invalid';
    });
  }

  verifySignature(f: DecodedFrame): Verdict {
    const signature = f.signature;
    if (!signature || signature.length === 0) return 'absent';
    const key = this.keys.publicKey(f.header.originator, 'ds');
    if (!key) return 'unverifiable';
    return this.memo.check({ tag: signature, covered: f.signedData, generation: this.keys.generation, key }, () => (verifySignature(key, f.signedData, signature) ? 'valid' : 'invalid'));
  }

  /** Deterministic signature over the signed part of a General Signing block (the bytes after the DF tag). */
  sign(signer: Eui, signedData: Uint8Array): Uint8Array {
    const key = this.keys.privateKey(signer, 'ds');
    if (!key) throw new Error(`no private DS key for ${signer}`);
    const signature = signDeterministic(key, signedData);
    // Valid under the signer's public key here, unless the store holds another public key for it than this one's.
    const trusted = this.keys.publicKey(signer, 'ds');
    if (trusted && equalBytes(trusted.raw, key.publicKey.raw)) this.memo.remember({ tag: signature, covered: signedData, generation: this.keys.generation, key: trusted }, 'valid');
    return signature;
  }

  /**
   * The payload encryption key. Unlike the MAC, it is agreed with the party the content is for: when the header
   * names a supplementary remote party (a DCC-relayed response to a user), that party is the KDF recipient and
   * its ECDH peer, and the supplementary originator counter, when present, replaces the header's counter. The
   * RTDS GCS15d, GCS16b (URP) and GCS61 responses decrypt only this way.
   */
  private encryptionKey(h: GroupingHeader): Uint8Array | undefined {
    const party = h.other.supplementaryRemotePartyId;
    if (party === undefined) return this.key(h, ENCRYPTION_TRANSACTION_TAG);
    const device = h.cra === 1 ? h.recipient : h.originator;
    const z = this.sharedSecret(party, device);
    if (!z) return undefined;
    const counter = h.other.supplementaryOriginatorCounter ?? h.counter;
    return deriveKey(z, {
      originator: euiToBytes(h.originator),
      transactionTag: ENCRYPTION_TRANSACTION_TAG,
      counter: u64ToBytes(counter),
      recipient: euiToBytes(party),
    });
  }

  decryptPayload(h: GroupingHeader, ciphertextAndTag: Uint8Array): Uint8Array | undefined {
    const key = this.encryptionKey(h);
    if (!key) return undefined;
    return gcmDecrypt(key, euiToBytes(h.originator), Uint8Array.of(0x31), ciphertextAndTag);
  }

  encryptPayload(h: GroupingHeader, plaintext: Uint8Array): Uint8Array {
    const key = this.encryptionKey(h);
    if (!key) throw new Error(`no key agreement pair for ${h.originator} → ${h.recipient}`);
    return gcmEncrypt(key, euiToBytes(h.originator), Uint8Array.of(0x31), plaintext);
  }
}
