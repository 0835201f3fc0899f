import { availableParallelism } from 'node:os';
import { KeyStore } from '../src/crypto/keystore.ts';
import { CorpusDecoderPool, decodeCorpusHere } from '../src/gbcs/corpus.ts';
import { GbcsSecurity } from '../src/gbcs/security.ts';
import { RTDS_KEYSTORE, rtdsMessages } from '../test/support/rtds.ts';
import { rate, rateAsync, withRatio, type Bench } from './harness.ts';

/**
 * Decoding and verifying the whole RTDS corpus (framing, payload, every MAC and signature the keystore can
 * check), spread over one worker thread per core. Baseline: the same without the shared-secret cache, so every
 * MAC and decryption pays for its ECDH.
 */
export const gbcsDecodeRtds: Bench = {
  name: 'gbcs.decode.rtds',
  description: 'messages/s decoding and verifying the RTDS corpus; baseline without the shared-secret cache',
  async run({ seconds }) {
    const messages = rtdsMessages().map((m) => m.bytes);
    const workers = availableParallelism();
    const measure = async (noSecretCache: boolean) => {
      const pool = new CorpusDecoderPool({ keyFolders: [RTDS_KEYSTORE], workers, noSecretCache });
      try {
        return await rateAsync(async () => {
          const { summary } = await pool.decode(messages);
          if (summary.decoded !== messages.length) throw new Error(`decoded ${summary.decoded} of ${messages.length}`);
          return messages.length;
        }, seconds);
      } finally {
        await pool.close();
      }
    };
    const value = await measure(false);
    const baseline = await measure(true);
    const security = new GbcsSecurity(KeyStore.fromFolders([RTDS_KEYSTORE]));
    const oneThread = rate(() => decodeCorpusHere(messages, { keyFolders: [] }, security).summary.total, seconds);
    return withRatio({
      bench: 'gbcs.decode.rtds',
      value: Math.round(value),
      unit: 'messages/s',
      baseline: Math.round(baseline),
      note: `${messages.length} messages per pass, ${workers} worker threads; one thread with the cache: ${Math.round(oneThread)}/s`,
    });
  },
};
