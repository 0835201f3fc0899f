import { equalBytes, toHex } from '../bytes.ts';
import type { Verdict } from './security.ts';

/** Verdicts remembered per security context; the oldest is forgotten first. */
const CAPACITY = 256;

/** One check: its tag (the signature, or the MAC with its security header), the bytes it covers, and what it was checked against. */
export interface Checked {
  readonly tag: Uint8Array;
  readonly covered: Uint8Array;
  /** The key store's generation when checked. */
  readonly generation: number;
  /** The public key a signature is checked with (a MAC's key follows from the covered header and the store). */
  readonly key?: object;
}

interface Remembered {
  readonly generation: number;
  readonly covered: Uint8Array;
  readonly key: object | undefined;
  readonly verdict: Verdict;
}

/**
 * Remembers MAC and signature checks already made, so a frame seen again (the same GBCS message on the WAN and
 * inside the HAN tunnel, a response checked on arrival and again when interpreted) is not checked twice. A check
 * is looked up by its tag (the MAC or signature bytes) and holds only for exactly the same covered bytes, the same
 * public key and the same key-store generation: a key added or replaced since means checking again, and a signature
 * made with one key is never taken as checked with another (a forgery that verifies under the forger's key). The
 * covered bytes are copied, so a frame changed in place afterwards (a fault corrupting it) is checked afresh.
 */
export class VerdictMemo {
  private readonly seen = new Map<string, Remembered>();

  check(what: Checked, compute: () => Verdict): Verdict {
    const id = toHex(what.tag);
    const hit = this.seen.get(id);
    if (hit && hit.generation === what.generation && hit.key === what.key && equalBytes(hit.covered, what.covered)) return hit.verdict;
    const verdict = compute();
    this.store(id, what, verdict);
    return verdict;
  }

  /** Records a verdict known without checking: a tag this context has just made over these bytes is valid. */
  remember(what: Checked, verdict: Verdict): void {
    this.store(toHex(what.tag), what, verdict);
  }

  private store(id: string, what: Checked, verdict: Verdict): void {
    this.seen.delete(id);
    if (this.seen.size >= CAPACITY) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(id, { generation: what.generation, covered: what.covered.slice(), key: what.key, verdict });
  }
}
