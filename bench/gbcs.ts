import { SharedSecretCache } from '../src/crypto/ecdh.ts';
import { KeyStore } from '../src/crypto/keystore.ts';
import { decodeMessage } from '../src/gbcs/message.ts';
import { GbcsSecurity } from '../src/gbcs/security.ts';
import { RTDS_KEYSTORE, rtdsMessages } from '../test/support/rtds.ts';
import { rate, withRatio, type Bench } from './harness.ts';

/** Decoding and verifying the whole RTDS corpus: every MAC and signature the keystore can check. */
export const gbcsDecodeRtds: Bench = {
  name: 'gbcs.decode.rtds',
  description: 'messages/s decoding the RTDS corpus with every MAC and signature checked; baseline without the shared-secret cache',
  run({ seconds }) {
    const messages = rtdsMessages().map((m) => m.bytes);
    const keys = KeyStore.fromFolders([RTDS_KEYSTORE]);
    const measure = (security: GbcsSecurity) =>
      rate(() => {
        for (const bytes of messages) decodeMessage(bytes, security);
        return messages.length;
      }, seconds);
    const value = measure(new GbcsSecurity(keys));
    const baseline = measure(new GbcsSecurity(keys, { cache: new SharedSecretCache(false) }));
    return withRatio({ bench: 'gbcs.decode.rtds', value: Math.round(value), unit: 'messages/s', baseline: Math.round(baseline), note: `${messages.length} messages per pass` });
  },
};
