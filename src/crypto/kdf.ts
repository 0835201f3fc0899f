import { createHash } from 'node:crypto';

/** Algorithm id of the GBCS concatenation KDF (OID-style bytes 60 85 74 06 08 03 00). */
const ALGORITHM_ID = new Uint8Array([0x60, 0x85, 0x74, 0x06, 0x08, 0x03, 0x00]);
const COUNTER_ONE = new Uint8Array([0, 0, 0, 1]);

export interface KdfParty {
  originator: Uint8Array; // 8 bytes
  /** The transaction id's first byte: the CRA flag for MACs, a different constant for payload encryption. */
  transactionTag: number;
  counter: Uint8Array; // 8 bytes
  recipient: Uint8Array; // 8 bytes
}

/** GBCS 4.3.3 single-step KDF: first 16 bytes of SHA-256(00000001 || Z || OtherInfo). */
export function deriveKey(z: Uint8Array, p: KdfParty): Uint8Array {
  const h = createHash('sha256');
  h.update(COUNTER_ONE);
  h.update(z);
  h.update(ALGORITHM_ID);
  h.update(p.originator);
  h.update(new Uint8Array([0x09, p.transactionTag]));
  h.update(p.counter);
  h.update(p.recipient);
  return new Uint8Array(h.digest().subarray(0, 16));
}
