import { OtaClient } from '../src/ota/transfer/client.ts';
import { DEFAULT_LINK_MODEL, OtaLink, type LinkModel } from '../src/ota/transfer/link.ts';
import { airtimeMs } from '../src/ota/transfer/radio.ts';
import { OtaServer } from '../src/ota/transfer/server.ts';
import { driveUntilSettled } from '../src/time/drive.ts';
import { Random } from '../src/time/random.ts';
import { VirtualClock } from '../src/time/virtual-clock.ts';
import { decodeOta, encodeOta, OtaStatus } from '../src/zcl/ota.ts';
import { rate, rateAsync, withRatio, type Bench } from './harness.ts';

const IMAGE_SIZE = 256 * 1024;
const LARGEST_BLOCK = 255;
const RADIO_BLOCK = 64;
const INSTALLED = { manufacturerCode: 0x1234, imageType: 0x0001, fileVersion: 1 };
const image = Random.fromSeed('bench/ota').bytes(IMAGE_SIZE);

/** One whole transfer (notify, query, every block, upgrade end); returns the modelled ms it took. */
async function transferOnce(model: Partial<LinkModel> | 'off', blockSize: number): Promise<number> {
  const clock = new VirtualClock();
  const link = new OtaLink({ clock, model });
  const server = new OtaServer({ clock, blockSize });
  server.addImage({ ...INSTALLED, fileVersion: 2, bytes: image });
  server.connect('esme', link.server);
  const client = new OtaClient({ clock, port: link.client, store: { installed: INSTALLED }, maximumDataSize: blockSize });
  client.powerOn();
  const outcome = client.nextOutcome();
  const started = clock.now();
  server.notify('esme');
  const result = await driveUntilSettled(clock, outcome);
  if (result.kind !== 'upgraded' || result.bytes.length !== IMAGE_SIZE) throw new Error(`transfer ended ${result.kind}`);
  return clock.now() - started;
}

/** The ZCL work a transfer cannot avoid: every Image Block Request and Response encoded and decoded once. */
function codecOnly(blockSize: number): number {
  for (let offset = 0, seq = 0; offset < IMAGE_SIZE; offset += blockSize, seq = (seq + 1) & 0xff) {
    const id = { ...INSTALLED, fileVersion: 2 };
    decodeOta(encodeOta({ command: 'imageBlockRequest', ...id, fileOffset: offset, maximumDataSize: blockSize }, seq));
    const data = image.subarray(offset, offset + blockSize);
    decodeOta(encodeOta({ command: 'imageBlockResponse', status: OtaStatus.SUCCESS, ...id, fileOffset: offset, data }, seq));
  }
  return IMAGE_SIZE;
}

/**
 * Wall-clock throughput of the whole stack (ZCL encode → link → decode, both state machines) with the link model
 * off and 255-byte blocks. Baseline: the ZCL codec alone on the same frames, the ceiling no transfer over
 * herdsman's codec can pass; the ratio is the share of it the stack keeps, so it exposes what the state machines
 * and link add, independent of how fast the machine is.
 */
export const otaTransferFast: Bench = {
  name: 'ota.transfer.fast',
  description: 'bytes/s (wall clock) moving a 256 KiB image through the OTA stack, link model off; baseline the ZCL codec alone',
  async run({ seconds }) {
    const value = await rateAsync(async () => {
      await transferOnce('off', LARGEST_BLOCK);
      return IMAGE_SIZE;
    }, seconds);
    const baseline = rate(() => codecOnly(LARGEST_BLOCK), seconds);
    const small = await rateAsync(async () => {
      await transferOnce('off', RADIO_BLOCK);
      return IMAGE_SIZE;
    }, seconds / 2);
    const mib = (bytesPerSecond: number) => (bytesPerSecond / 2 ** 20).toFixed(2);
    return withRatio({
      bench: 'ota.transfer.fast',
      value: Math.round(value),
      unit: 'bytes/s',
      baseline: Math.round(baseline),
      note: `${mib(value)} MiB/s with ${LARGEST_BLOCK}-byte blocks (codec alone ${mib(baseline)} MiB/s); ${mib(small)} MiB/s with ${RADIO_BLOCK}-byte blocks`,
    });
  },
};

/**
 * Modelled time for 256 KiB in 64-byte blocks over the default link (250 kbit/s, 2 ms per radio frame, no loss).
 * Baseline: the physical bound, the payload alone at the channel's bit rate; ratio = modelled / bound, the price
 * of per-frame overhead, access time and request/response turn-taking.
 */
export const otaTransferModelled: Bench = {
  name: 'ota.transfer.modelled',
  description: 'modelled seconds for 256 KiB in 64-byte blocks on the default link; baseline the 250 kbit/s physical bound',
  async run() {
    const modelledMs = await transferOnce({}, RADIO_BLOCK);
    const boundMs = airtimeMs(IMAGE_SIZE, DEFAULT_LINK_MODEL.bitsPerSecond);
    return withRatio({
      bench: 'ota.transfer.modelled',
      value: Number((modelledMs / 1000).toFixed(3)),
      unit: 's',
      baseline: Number((boundMs / 1000).toFixed(3)),
      note: `${((IMAGE_SIZE * 1000) / modelledMs / 1024).toFixed(2)} KiB/s modelled, ${IMAGE_SIZE / RADIO_BLOCK} blocks`,
    });
  },
};

export const OTA_BENCHES: Bench[] = [otaTransferFast, otaTransferModelled];
