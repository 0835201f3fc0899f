import { equalBytes, toHex } from '../bytes.ts';
import type { Verdict } from './security.ts';

/** Verdicts remembered per security context; the oldest is forgotten first. */
const CAPACITY = 256;

interface Remembered {
  readonly generation: number;
  readonly covered: Uint8Array;
  readonly verdict: Verdict;
}

/**
 * Remembers MAC and signature checks already made, so a frame seen again (the same GBCS message on the WAN and
 * inside the HAN tunnel, a response checked on arrival and again when interpreted) is not checked twice. A check
 * is looked up by its tag (the MAC or signature bytes) and holds only for exactly the same covered bytes and the
 * same key-store generation: a key added or replaced since means checking again. The covered bytes are copied,
 * so a frame changed in place afterwards (a fault corrupting it) is checked afresh.
 */
export class VerdictMemo {
  private readonly seen = new Map<string, Remembered>();

  check(tag: Uint8Array, covered: Uint8Array, generation: number, compute: () => Verdict): Verdict {
    const id = toHex(tag);
    const hit = this.seen.get(id);
    if (hit && hit.generation === generation && equalBytes(hit.covered, covered)) return hit.verdict;
    const verdict = compute();
    this.store(id, { generation, covered: covered.slice(), verdict });
    return verdict;
  }

  /** Records a verdict known without checking: a tag this context has just made over these bytes is valid. */
  remember(tag: Uint8Array, covered: Uint8Array, generation: number, verdict: Verdict): void {
    this.store(toHex(tag), { generation, covered: covered.slice(), verdict });
  }

  private store(id: string, remembered: Remembered): void {
    this.seen.delete(id);
    if (this.seen.size >= CAPACITY) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(id, remembered);
  }
}
