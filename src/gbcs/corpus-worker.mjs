// Worker entry for CorpusDecoderPool. Plain JavaScript: a worker thread does not inherit the parent's TypeScript
// loader, so it registers it itself before loading the decoder.
import { parentPort, workerData } from 'node:worker_threads';
import '../../bin/register-ts.mjs';

const { decodeCorpusHere } = await import('./corpus.ts');
const { GbcsSecurity } = await import('./security.ts');
const { KeyStore } = await import('../crypto/keystore.ts');
const { SharedSecretCache } = await import('../crypto/ecdh.ts');

const security = new GbcsSecurity(KeyStore.fromFolders(workerData.keyFolders), {
  ...(workerData.acb ? { acb: workerData.acb } : {}),
  ...(workerData.noSecretCache ? { cache: new SharedSecretCache(false) } : {}),
});
parentPort.on('message', (batch) => {
  try {
    parentPort.postMessage(decodeCorpusHere(batch, workerData, security));
  } catch (e) {
    parentPort.postMessage({ error: e instanceof Error ? e.message : String(e) });
  }
});
