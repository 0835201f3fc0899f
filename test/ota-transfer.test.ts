import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { privateKeyFromPem, publicKeyFromPem } from '../src/crypto/keys.ts';
import { buildGbImage, verifyGbImage } from '../src/ota/gb-image.ts';
import { OtaClient, type OtaClientEvent, type OtaClientOptions, type OtaClientOutcome } from '../src/ota/transfer/client.ts';
import { OtaStoreError, type OtaClientStore } from '../src/ota/transfer/download.ts';
import { OtaLink, type LinkFrameEvent, type LinkModel } from '../src/ota/transfer/link.ts';
import { createProgressReporter, formatEta } from '../src/ota/transfer/progress-bar.ts';
import type { TransferProgress } from '../src/ota/transfer/progress.ts';
import { airtimeMs, radioFramesFor } from '../src/ota/transfer/radio.ts';
import { OtaServer, servedImageFromFile, type OtaServerEvent, type OtaServerOptions } from '../src/ota/transfer/server.ts';
import { driveUntilSettled } from '../src/time/drive.ts';
import { Random } from '../src/time/random.ts';
import { VirtualClock } from '../src/time/virtual-clock.ts';
import { decodeOta, OtaStatus } from '../src/zcl/ota.ts';
import { RTDS_KEYSTORE } from './support/rtds.ts';

const INSTALLED = { manufacturerCode: 0x1234, imageType: 0x0001, fileVersion: 1 };
const NEXT = { ...INSTALLED, fileVersion: 2 };
const BLOCK = 64;

interface Setup {
  size?: number;
  bytes?: Uint8Array;
  model?: Partial<LinkModel> | 'off';
  seed?: number;
  server?: Partial<OtaServerOptions>;
  client?: Partial<OtaClientOptions>;
}

type Timed<T> = T & { at: number };

function setUp(setup: Setup = {}) {
  const clock = new VirtualClock();
  const random = Random.fromSeed(setup.seed ?? 1);
  const link = new OtaLink({ clock, model: setup.model ?? {}, random: random.fork('link') });
  const server = new OtaServer({ clock, ...setup.server });
  const bytes = setup.bytes ?? random.fork('image').bytes(setup.size ?? 4096);
  server.addImage({ ...NEXT, bytes });
  server.connect('esme', link.server);
  const frames: LinkFrameEvent[] = [];
  link.onFrame((event) => frames.push(event));
  const serverEvents: Timed<OtaServerEvent>[] = [];
  server.onEvent((event) => serverEvents.push({ ...event, at: clock.now() }));
  const clientEvents: Timed<OtaClientEvent>[] = [];
  const makeClient = (store: OtaClientStore = { installed: INSTALLED }) => {
    const client = new OtaClient({ clock, port: link.client, store, ...setup.client });
    client.onEvent((event) => clientEvents.push({ ...event, at: clock.now() }));
    return client;
  };
  const client = makeClient();
  const served = () => serverEvents.reduce((sum, e) => sum + (e.kind === 'block' ? e.length : 0), 0);
  const ofKind = <K extends string>(events: { kind: string }[], kind: K) => events.filter((e) => e.kind === kind);
  return { clock, link, server, bytes, frames, serverEvents, clientEvents, client, makeClient, served, ofKind };
}

/** Powers the client on, has the server notify it, and drives the clock until the client reaches an outcome. */
async function upgrade(t: ReturnType<typeof setUp>, client = t.client): Promise<OtaClientOutcome> {
  client.powerOn();
  const outcome = client.nextOutcome();
  t.server.notify('esme');
  return driveUntilSettled(t.clock, outcome);
}

function expectUpgradedTo(outcome: OtaClientOutcome, bytes: Uint8Array): void {
  expect(outcome.kind).toBe('upgraded');
  if (outcome.kind !== 'upgraded') return;
  expect(outcome.image).toEqual({ ...NEXT, imageSize: bytes.length });
  expect(Buffer.from(outcome.bytes).equals(Buffer.from(bytes))).toBe(true);
}

function traceHash(frames: LinkFrameEvent[]): string {
  const hash = createHash('sha256');
  for (const f of frames) hash.update(`${f.direction} ${f.sentAt} ${f.arrivesAt} ${f.fate} ${Buffer.from(f.frame).toString('hex')} ${Buffer.from(f.damaged ?? []).toString('hex')}\n`);
  return hash.digest('hex');
}

describe('OTA transfer: reassembly', () => {
  it.each([0, 1, 63, 64, 65, 1000, 4097])('delivers a %i-byte image byte for byte over the default link', async (size) => {
    const t = setUp({ size });
    expectUpgradedTo(await upgrade(t), t.bytes);
    expect(t.client.installed).toEqual(NEXT);
    expect(t.served()).toBe(size);
    expect(t.ofKind(t.serverEvents, 'block')).toHaveLength(Math.ceil(size / BLOCK));
  });

  it('uses the smaller of the client maximum data size and the server block size', async () => {
    const t = setUp({ size: 1000, model: 'off', server: { blockSize: 100 }, client: { maximumDataSize: 255 } });
    expectUpgradedTo(await upgrade(t), t.bytes);
    const lengths = t.serverEvents.flatMap((e) => (e.kind === 'block' ? [e.length] : []));
    expect(lengths).toEqual([...Array(10).fill(100)]);
    const narrow = setUp({ size: 1000, model: 'off', server: { blockSize: 200 }, client: { maximumDataSize: 40 } });
    await upgrade(narrow);
    expect(Math.max(...narrow.serverEvents.flatMap((e) => (e.kind === 'block' ? [e.length] : [])))).toBe(40);
  });

  it('fetches by Image Page Request with one request per page', async () => {
    const t = setUp({ size: 8192, client: { pages: { pageSize: 1024, responseSpacingMs: 5 } } });
    expectUpgradedTo(await upgrade(t), t.bytes);
    const requests = t.clientEvents.filter((e) => e.kind === 'request' && e.request === 'page');
    expect(requests).toHaveLength(8);
    const blocks = t.serverEvents.filter((e) => e.kind === 'block');
    expect(blocks.every((e) => e.kind === 'block' && e.page)).toBe(true);
    // Blocks of one page are at least the response spacing apart.
    const firstPage = blocks.slice(0, 16).map((e) => e.at);
    expect(firstPage.slice(1).every((at, i) => at - firstPage[i]! >= 5)).toBe(true);
  });

  it('carries real ZCL OTA frames on the link, decodable at either end', async () => {
    const t = setUp({ size: 200 });
    await upgrade(t);
    const commands = t.frames.map((f) => decodeOta(f.frame).message.command);
    expect(commands.slice(0, 3)).toEqual(['imageNotify', 'queryNextImageRequest', 'queryNextImageResponse']);
    expect(commands.filter((c) => c === 'imageBlockRequest')).toHaveLength(4);
    expect(commands.slice(-2)).toEqual(['upgradeEndRequest', 'upgradeEndResponse']);
  });
});

describe('OTA transfer: verification', () => {
  const supplierKey = privateKeyFromPem(readFileSync(join(RTDS_KEYSTORE, '90b3d51f30010000-ds.key'), 'utf8'));
  const supplierCert = publicKeyFromPem(readFileSync(join(RTDS_KEYSTORE, '90b3d51f30010000-ds.pem'), 'utf8'));
  const gbImage = (fileVersion: number) =>
    buildGbImage({ ...INSTALLED, fileVersion, minHardwareVersion: 1, maxHardwareVersion: 2, manufacturerImage: Random.fromSeed('fw').bytes(3000), signingKey: supplierKey });
  const verify = (bytes: Uint8Array) => verifyGbImage(bytes, supplierCert);

  it('accepts a GB image whose signature verifies', async () => {
    const file = gbImage(2);
    const t = setUp({ bytes: file, client: { verify } });
    expectUpgradedTo(await upgrade(t), file);
    expect(servedImageFromFile(file)).toMatchObject({ ...NEXT, bytes: file });
  });

  it('answers INVALID_IMAGE and keeps the old version when the signature check refuses', async () => {
    const file = gbImage(2);
    file[100] = file[100]! ^ 0x01;
    const t = setUp({ bytes: file, client: { verify } });
    const outcome = await upgrade(t);
    expect(outcome).toMatchObject({ kind: 'failed', reason: 'invalid-image' });
    expect(t.client.installed).toEqual(INSTALLED);
    expect(t.client.snapshot().download).toBeUndefined();
    await t.clock.runUntilIdle();
    expect(t.serverEvents.find((e) => e.kind === 'upgrade-end')).toMatchObject({ status: OtaStatus.INVALID_IMAGE });
  });

  it('refuses a file whose own header names another image than the one offered', async () => {
    const t = setUp({ bytes: gbImage(3) });
    const outcome = await upgrade(t);
    expect(outcome).toMatchObject({ kind: 'failed', reason: 'size-mismatch' });
    expect(outcome.kind === 'failed' && outcome.detail).toMatch(/names .* not the offered/);
  });
});

describe('OTA transfer: resume after a power cut', () => {
  it('resumes at 50 % from flash and re-fetches fewer than two blocks', async () => {
    const size = 32 * 1024;
    const t = setUp({ size });
    let half = false;
    t.client.onEvent((e) => {
      if (e.kind === 'progress' && e.progress.percent >= 50) half = true;
    });
    t.client.powerOn();
    t.server.notify('esme');
    while (!half) await t.clock.runNext();
    await t.clock.advance(4); // mid-block: a request or its response is in flight
    const flash = t.client.snapshot();
    t.client.powerOff();
    const offsetAtCut = flash.download?.bytes.length ?? 0;
    expect(offsetAtCut).toBeGreaterThanOrEqual(size / 2);
    expect(offsetAtCut).toBeLessThan(size);
    await t.clock.advance(60_000);

    const revived = t.makeClient(flash);
    const eventsBefore = t.clientEvents.length;
    const outcome = revived.nextOutcome();
    revived.powerOn();
    expectUpgradedTo(await driveUntilSettled(t.clock, outcome), t.bytes);
    const firstRequest = t.clientEvents.slice(eventsBefore).find((e) => e.kind === 'request');
    expect(firstRequest).toMatchObject({ request: 'block', offset: offsetAtCut });
    const refetched = t.served() - size;
    expect(refetched).toBeLessThan(2 * BLOCK);
  });

  it('keeps a partial download when the server goes silent, and resumes it on the next poll', async () => {
    const size = 8192;
    const t = setUp({ size });
    t.client.onEvent((e) => {
      if (e.kind === 'progress' && e.progress.percent >= 30 && t.ofKind(t.clientEvents, 'failed').length === 0) t.server.disconnect('esme');
    });
    const silent = await upgrade(t);
    expect(silent).toMatchObject({ kind: 'failed', reason: 'no-response' });
    const kept = t.client.snapshot().download?.bytes.length ?? 0;
    expect(kept).toBeGreaterThan(0);
    t.server.connect('esme', t.link.server);
    const outcome = t.client.nextOutcome();
    t.client.poll();
    expectUpgradedTo(await driveUntilSettled(t.clock, outcome), t.bytes);
    expect(t.served() - size).toBeLessThan(2 * BLOCK);
  });

  it('gives up on a silent server after a bounded number of attempts, in bounded clock time', async () => {
    const clock = new VirtualClock();
    const link = new OtaLink({ clock });
    const client = new OtaClient({ clock, port: link.client, store: { installed: INSTALLED }, responseTimeoutMs: 1000, maxAttempts: 3 });
    client.powerOn();
    const start = clock.now();
    const outcome = client.nextOutcome();
    client.poll();
    expect(await driveUntilSettled(clock, outcome)).toMatchObject({ kind: 'failed', reason: 'no-response' });
    expect(clock.now() - start).toBe(3000);
  });

  it('refuses a stored download that cannot be what a client saved', () => {
    const clock = new VirtualClock();
    const link = new OtaLink({ clock });
    const store = { installed: INSTALLED, download: { image: { ...NEXT, imageSize: 2 }, bytes: new Uint8Array(3) } };
    expect(() => new OtaClient({ clock, port: link.client, store })).toThrow(OtaStoreError);
  });
});

describe('OTA transfer: an unreliable link', () => {
  it('completes with 5 % of radio frames lost', async () => {
    const t = setUp({ size: 16 * 1024, model: { lossRate: 0.05 }, seed: 3 });
    expectUpgradedTo(await upgrade(t), t.bytes);
    expect(t.link.stats.lost).toBeGreaterThan(10);
    expect(t.clientEvents.filter((e) => e.kind === 'retry' && e.cause === 'timeout').length).toBeGreaterThan(5);
  });

  it('completes with 5 % of frames corrupted, refusing every damaged one', async () => {
    const t = setUp({ size: 16 * 1024, model: { corruptionRate: 0.05 }, seed: 4 });
    expectUpgradedTo(await upgrade(t), t.bytes);
    expect(t.link.stats.corrupted).toBeGreaterThan(10);
    const refused = t.clientEvents.filter((e) => e.kind === 'retry' && (e.cause === 'malformed' || e.cause === 'bad-block')).length + t.ofKind(t.serverEvents, 'malformed').length;
    expect(refused).toBeGreaterThan(5);
  });

  it('completes by pages with loss and corruption', async () => {
    const t = setUp({ size: 16 * 1024, model: { lossRate: 0.05, corruptionRate: 0.05 }, seed: 5, client: { pages: { pageSize: 512, responseSpacingMs: 0 } } });
    expectUpgradedTo(await upgrade(t), t.bytes);
    expect(t.clientEvents.some((e) => e.kind === 'retry' && e.cause === 'gap')).toBe(true);
  });

  it('is deterministic: same seed, same frames; another seed, other frames', async () => {
    const run = async (seed: number) => {
      const t = setUp({ size: 4096, model: { lossRate: 0.05, corruptionRate: 0.05 }, seed });
      await upgrade(t);
      return traceHash(t.frames);
    };
    const first = await run(7);
    expect(await run(7)).toBe(first);
    expect(await run(8)).not.toBe(first);
  });

  it('shares one half-duplex channel: frames queue behind each other', () => {
    const clock = new VirtualClock();
    const link = new OtaLink({ clock });
    const events: LinkFrameEvent[] = [];
    link.onFrame((e) => events.push(e));
    link.client.send(new Uint8Array(17));
    link.server.send(new Uint8Array(81));
    const [request, response] = events;
    // Clock times near 1.7e12 ms keep about 0.25 µs of precision.
    expect(request!.arrivesAt - clock.now()).toBeCloseTo(2 + airtimeMs(6 + 45 + 17, 250_000), 3);
    expect(response!.arrivesAt - request!.arrivesAt).toBeCloseTo(2 + airtimeMs(6 + 45 + 81, 250_000), 3);
  });

  it('splits a ZCL frame over 82 bytes into radio frames', () => {
    expect(radioFramesFor(82).map((f) => f.airBytes)).toEqual([133]);
    expect(radioFramesFor(17 + 255).map((f) => f.zclBytes)).toEqual([82, 82, 82, 26]);
  });
});

describe('OTA transfer: pacing', () => {
  it('honours WAIT_FOR_DATA and the minimum block period it carries', async () => {
    const t = setUp({ size: 20 * BLOCK });
    t.server.throttle({ minimumBlockPeriodMs: 500 });
    const start = t.clock.now();
    expectUpgradedTo(await upgrade(t), t.bytes);
    const blockTimes = t.serverEvents.filter((e) => e.kind === 'block').map((e) => e.at);
    const gaps = blockTimes.slice(1).map((at, i) => at - blockTimes[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(500);
    expect(t.ofKind(t.serverEvents, 'wait-for-data')).toHaveLength(1);
    expect(t.clientEvents.find((e) => e.kind === 'wait-for-data')).toMatchObject({ minimumBlockPeriodMs: 500 });
    expect(t.clock.now() - start).toBeGreaterThanOrEqual(19 * 500);
  });

  it('sends nothing before the request time of a WAIT_FOR_DATA hold', async () => {
    const t = setUp({ size: 10 * BLOCK });
    const start = t.clock.now();
    t.server.throttle({ minimumBlockPeriodMs: 0, holdForMs: 30_000 });
    expectUpgradedTo(await upgrade(t), t.bytes);
    const [firstBlock] = t.serverEvents.filter((e) => e.kind === 'block');
    expect(firstBlock!.at - start).toBeGreaterThanOrEqual(30_000);
    expect(t.ofKind(t.serverEvents, 'wait-for-data')).toHaveLength(1);
    const blockRequests = t.frames.filter((f) => f.direction === 'to-server' && decodeOta(f.frame).message.command === 'imageBlockRequest');
    expect(blockRequests.filter((f) => f.sentAt - start < 30_000)).toHaveLength(1);
  });

  it('gives up on a WAIT_FOR_DATA longer than it accepts, keeping what it has', async () => {
    const t = setUp({ size: 10 * BLOCK, client: { maxWaitMs: 10_000 } });
    t.server.throttle({ minimumBlockPeriodMs: 0, holdForMs: 60_000 });
    expect(await upgrade(t)).toMatchObject({ kind: 'failed', reason: 'kept-waiting' });
    expect(t.client.snapshot().download).toBeDefined();
  });
});

describe('OTA transfer: the server', () => {
  it('aborts when the image is withdrawn mid-transfer; the client keeps its old version', async () => {
    const t = setUp({ size: 8192 });
    t.client.onEvent((e) => {
      if (e.kind === 'progress' && e.progress.percent >= 30) t.server.withdrawImage(NEXT);
    });
    const outcome = await upgrade(t);
    expect(outcome).toMatchObject({ kind: 'failed', reason: 'server-abort' });
    expect(t.client.installed).toEqual(INSTALLED);
    expect(t.client.snapshot().download).toBeUndefined();
    expect(t.serverEvents.find((e) => e.kind === 'abort')).toMatchObject({ cause: 'image-not-held' });
  });

  it('offers the newest image the policy allows, and nothing when it allows none', async () => {
    const t = setUp({ size: 100, server: { policy: (_query, candidate) => candidate.fileVersion !== 3 } });
    t.server.addImage({ ...NEXT, fileVersion: 3, bytes: new Uint8Array(50) });
    expectUpgradedTo(await upgrade(t), t.bytes);
    expect(t.serverEvents.find((e) => e.kind === 'query')).toMatchObject({ offered: { fileVersion: 2 }, refused: [{ fileVersion: 3 }] });

    const none = setUp({ server: { policy: () => false } });
    expect(await upgrade(none)).toEqual({ kind: 'no-image', status: OtaStatus.NO_IMAGE_AVAILABLE });
  });

  it('never offers a downgrade by default', async () => {
    const t = setUp();
    const newer = t.makeClient({ installed: { ...INSTALLED, fileVersion: 5 } });
    expect(await upgrade(t, newer)).toMatchObject({ kind: 'no-image' });
  });

  it('schedules the upgrade: on command, then at the time it gives', async () => {
    const t = setUp({ size: 300, server: { upgradeTiming: 'on-command' } });
    expect(await upgrade(t)).toMatchObject({ kind: 'awaiting-upgrade' });
    expect(t.client.installed).toEqual(INSTALLED);
    const at = t.clock.now() + 3_600_000;
    const outcome = t.client.nextOutcome();
    t.server.commandUpgrade('esme', NEXT, { atMs: at });
    expectUpgradedTo(await driveUntilSettled(t.clock, outcome), t.bytes);
    expect(t.clock.now()).toBeGreaterThanOrEqual(at);
    expect(t.clock.now() - at).toBeLessThan(2000);
  });

  it('survives frames it cannot decode', async () => {
    const t = setUp({ size: 100 });
    t.link.client.send(Uint8Array.of(0x01, 0x02));
    await t.clock.runUntilIdle();
    expect(t.ofKind(t.serverEvents, 'malformed')).toHaveLength(1);
    expectUpgradedTo(await upgrade(t), t.bytes);
  });
});

describe('OTA transfer: edges', () => {
  it('answers Image Notify only when it concerns this device and the jitter draw allows', async () => {
    const queries = async (notify: Parameters<OtaServer['notify']>[1], random?: Random) => {
      const t = setUp({ client: random === undefined ? {} : { random } });
      t.client.powerOn();
      t.server.notify('esme', notify);
      await t.clock.runUntilIdle();
      return t.ofKind(t.serverEvents, 'query').length;
    };
    expect(await queries({ image: NEXT })).toBe(1);
    expect(await queries({ image: INSTALLED })).toBe(0);
    expect(await queries({ image: { ...NEXT, imageType: 7 } })).toBe(0);
    expect(await queries({ queryJitter: 0 }, Random.fromSeed(1))).toBe(0);
    expect(await queries({ queryJitter: 100 }, Random.fromSeed(1))).toBe(1);
  });

  it('refuses the image when the verification hook throws', async () => {
    const t = setUp({ size: 100, client: { verify: () => { throw new Error('no key'); } } });
    expect(await upgrade(t)).toMatchObject({ kind: 'failed', reason: 'invalid-image', detail: 'verification failed: no key' });
  });

  it('refuses to hold an image whose identity ZCL cannot carry', () => {
    const server = new OtaServer({ clock: new VirtualClock() });
    expect(() => server.addImage({ ...NEXT, imageType: 0xffff, bytes: new Uint8Array(1) })).toThrow(RangeError);
  });

  it('reports a receiver that throws instead of crashing', async () => {
    const clock = new VirtualClock();
    const link = new OtaLink({ clock, model: 'off' });
    const errors: Error[] = [];
    link.onError((error) => errors.push(error));
    link.server.onReceive(() => {
      throw new Error('boom');
    });
    link.client.send(new Uint8Array(3));
    await clock.runUntilIdle();
    expect(errors.map((e) => e.message)).toEqual(['receiver to-server threw: boom']);
  });
});

describe('OTA transfer: a sleepy client', () => {
  it('misses Image Notify while asleep and only makes progress during its wake-ups', async () => {
    const t = setUp({ size: 16 * 1024, client: { sleepy: true } });
    const outcomes: OtaClientOutcome[] = [];
    t.client.onEvent((e) => {
      if (e.kind === 'upgraded' || e.kind === 'failed') outcomes.push(e);
    });
    t.client.powerOn();
    t.server.notify('esme');
    await t.clock.advance(60_000);
    expect(t.frames.filter((f) => f.direction === 'to-server')).toHaveLength(0);

    const windows: [number, number][] = [];
    const offsets: number[] = [];
    const offset = () => t.client.snapshot().download?.bytes.length ?? 0;
    for (let wake = 0; wake < 10 && outcomes.length === 0; wake++) {
      const start = t.clock.now();
      t.client.wake(1000);
      windows.push([start, start + 1000]);
      await t.clock.advance(1000);
      const afterWindow = offset();
      await t.clock.advance(30 * 60_000);
      offsets.push(afterWindow);
      if (outcomes.length === 0) expect(offset()).toBe(afterWindow);
    }
    expectUpgradedTo(outcomes[0]!, t.bytes);
    expect(windows.length).toBeGreaterThan(2);
    const inWindow = (at: number) => windows.some(([from, to]) => at >= from && at <= to);
    expect(t.frames.filter((f) => f.direction === 'to-server').every((f) => inWindow(f.sentAt))).toBe(true);
    expect(t.clientEvents.filter((e) => e.kind === 'progress').every((e) => inWindow(e.at))).toBe(true);
    expect(offsets.slice(0, -1).every((o, i) => i === 0 || o > offsets[i - 1]!)).toBe(true);
  });
});

describe('OTA transfer: modelled time and progress', () => {
  it('moves 256 KiB in 64-byte blocks within a sensible factor of the 250 kbit/s bound', async () => {
    const size = 256 * 1024;
    const t = setUp({ size });
    const start = t.clock.now();
    expectUpgradedTo(await upgrade(t), t.bytes);
    const modelled = t.clock.now() - start;
    const bound = airtimeMs(size, 250_000);
    // Per block: request (17 ZCL bytes) and response (81) each pay 51 bytes of headers and 2 ms of channel access.
    const perBlock = 2 + airtimeMs(51 + 17, 250_000) + 2 + airtimeMs(51 + 81, 250_000);
    expect(modelled).toBeGreaterThan(3 * bound);
    expect(modelled).toBeLessThan(8 * bound);
    expect(modelled / ((size / BLOCK) * perBlock)).toBeCloseTo(1, 2);
  });

  it('reports progress with a clock-time rate and ETA', async () => {
    const t = setUp({ size: 8192 });
    await upgrade(t);
    const progress = t.clientEvents.flatMap((e) => (e.kind === 'progress' ? [e] : []));
    const offeredAt = t.clientEvents.find((e) => e.kind === 'offered')!.at;
    expect(progress.map((p) => p.progress.bytes)).toEqual(Array.from({ length: 128 }, (_, i) => (i + 1) * BLOCK));
    const last = progress.at(-1)!;
    expect(last.progress.percent).toBe(100);
    expect(last.progress.etaMs).toBe(0);
    expect(last.progress.rateBytesPerSecond).toBeCloseTo((8192 * 1000) / (last.at - offeredAt), 6);
    const half = progress[63]!;
    expect(half.progress.etaMs! / (half.at - offeredAt)).toBeCloseTo(1, 1);
  });
});

describe('OTA progress bar', () => {
  const sink = (isTTY: boolean) => {
    const chunks: string[] = [];
    const stream = Object.assign(
      new Writable({
        write(chunk, _encoding, done) {
          chunks.push(String(chunk));
          done();
        },
      }),
      { isTTY, columns: 120 },
    );
    return { stream, text: () => chunks.join('') };
  };
  const progressAt = (bytes: number): TransferProgress => ({
    image: { ...NEXT, imageSize: 1000 },
    bytes,
    total: 1000,
    percent: bytes / 10,
    rateBytesPerSecond: 100,
    etaMs: (1000 - bytes) * 10,
  });

  it('prints a plain line per 10 % step when not on a terminal', () => {
    const { stream, text } = sink(false);
    const reporter = createProgressReporter({ stream, label: 'esme' });
    for (let bytes = 10; bytes <= 1000; bytes += 10) reporter.update(progressAt(bytes));
    reporter.finish('done');
    const lines = text().trim().split('\n');
    expect(lines).toHaveLength(12);
    expect(lines[0]).toBe('esme 1.0% 10 B/1000 B 100 B/s ETA 9.9s'.replace('9.9s', formatEta(9900)));
    expect(lines[10]).toBe('esme 100.0% 1000 B/1000 B 100 B/s ETA 0s');
    expect(lines[11]).toBe('esme done');
  });

  it('draws a cli-progress bar with bytes, percent, rate and ETA on a terminal', () => {
    const { stream, text } = sink(true);
    const reporter = createProgressReporter({ stream, label: 'esme' });
    reporter.update(progressAt(0));
    reporter.update(progressAt(500));
    reporter.finish();
    expect(text()).toMatch(/esme \[.*\] 50% \| 500 B\/1000 B \| 100 B\/s \| ETA 5s/);
  });
});
