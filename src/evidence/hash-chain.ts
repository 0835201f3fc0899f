import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';

/** The `prev` of the first record. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * One line of evidence.jsonl. `hash` is SHA-256 over the canonical JSON of { seq, prev, event }, and `prev`
 * is the previous record's hash: changing, removing or moving any record breaks the chain after it.
 */
export interface EvidenceRecord {
  readonly seq: number;
  readonly prev: string;
  readonly hash: string;
  readonly event: unknown;
}

export function recordHash(seq: number, prev: string, event: unknown): string {
  return recordHashOfCanonical(seq, prev, canonicalJson(event));
}

/**
 * `recordHash` for an event already in canonical JSON (`canonicalJson(event)`), which a writer needs for the
 * line anyway: the canonical record is that text between its sorted neighbours, so the event is walked once.
 */
export function recordHashOfCanonical(seq: number, prev: string, eventJson: string | Uint8Array): string {
  return createHash('sha256').update('{"event":').update(eventJson).update(`,"prev":${JSON.stringify(prev)},"seq":${JSON.stringify(seq)}}`).digest('hex');
}
