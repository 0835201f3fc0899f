import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode as encodeCbor } from 'cbor-x';
import fc from 'fast-check';
import { SerialPort } from 'serialport';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AdapterEmulator,
  byteLinkOverStream,
  AdapterReportError,
  bindRig,
  crc32,
  decodeRigMessage,
  encodeFrame,
  encodeRigMessage,
  FLAG,
  FrameDecoder,
  FrameError,
  MockRigLine,
  RigBindingError,
  RigLinkError,
  RigLock,
  RigLockedError,
  RigProtocolError,
  SerialBus,
  type DecodedItem,
  type RigLockRecord,
  type SerialBusOptions,
} from '../src/rig/index.ts';
import { parseRig } from '../src/scenario/rig.ts';
import { RealClock, VirtualClock } from '../src/time/index.ts';
import { InMemoryBus, LinkClosedError, NoRouteError, type Endpoint, type Envelope, type FrameEvent, type TransportError } from '../src/transport/index.ts';
import { closeAfterEachAndRefuseUnhandled } from './support/hygiene.ts';

const DEVICE = '0011223344556677';
const HEADEND = 'headend';

const { later, atEnd } = closeAfterEachAndRefuseUnhandled();

const concat = (parts: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
};

/** Bytes that lean towards the flag and escape, where framing bugs live. */
const lineBytes = (maxLength: number): fc.Arbitrary<Uint8Array> =>
  fc.array(fc.oneof(fc.constantFrom(FLAG, 0x7d, 0x5e, 0x5d), fc.integer({ min: 0, max: 255 })), { maxLength }).map((bytes) => new Uint8Array(bytes));

const chunked = (bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] => {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(from, point));
    from = point;
  }
  return chunks;
};

const decodeAll = (decoder: FrameDecoder, chunks: readonly Uint8Array[]): DecodedItem[] => chunks.flatMap((chunk) => decoder.push(chunk));
const framesOf = (items: readonly DecodedItem[]): Uint8Array[] => items.flatMap((item) => (item.type === 'frame' ? [item.payload] : []));
const errorsOf = (items: readonly DecodedItem[]): FrameError[] => items.flatMap((item) => (item.type === 'error' ? [item.error] : []));

describe('serial framing', () => {
  it('uses the standard CRC-32', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('decodes any frames, cut into chunks anywhere, to the same frames', () => {
    fc.assert(
      fc.property(fc.array(lineBytes(300), { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 20 }), (payloads, cuts) => {
        const items = decodeAll(new FrameDecoder(), chunked(concat(payloads.map((payload) => encodeFrame(payload))), cuts));
        expect(errorsOf(items)).toEqual([]);
        expect(framesOf(items)).toEqual(payloads);
      }),
      { numRuns: 500 },
    );
  });

  it('never loses a frame behind garbage, and accounts for every garbage byte', () => {
    const segment = fc.record({ garbage: lineBytes(120), payload: lineBytes(200) });
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 20 }), (segments, cuts) => {
        const stream = concat(segments.flatMap(({ garbage, payload }) => [garbage, encodeFrame(payload)]));
        const items = decodeAll(new FrameDecoder(), chunked(stream, cuts));
        expect(framesOf(items)).toEqual(segments.map(({ payload }) => payload));
        const garbageBytes = segments.reduce((sum, { garbage }) => sum + garbage.filter((byte) => byte !== FLAG).length, 0);
        expect(errorsOf(items).reduce((sum, error) => sum + error.byteCount, 0)).toBe(garbageBytes);
      }),
      { numRuns: 500 },
    );
  });

  it('names what was wrong with a bad stretch and carries on with the next frame', () => {
    const good = encodeFrame(new Uint8Array([1, 2, 3]));
    const corrupt = encodeFrame(new Uint8Array([9, 9, 9, 9]));
    corrupt[6] = (corrupt[6] as number) ^ 0x01;
    const shortened = encodeFrame(new Uint8Array([5, 6, 7, 8])).filter((_, index) => index !== 6);
    const decoder = new FrameDecoder({ maxPayloadBytes: 16 });
    const items = decodeAll(decoder, [
      new Uint8Array([0x41, 0x42]),
      corrupt,
      shortened,
      encodeFrame(new Uint8Array(17)).fill(0x55, 1, -1),
      new Uint8Array([FLAG, 0x10, 0x7d, FLAG]),
      good,
    ]);
    expect(errorsOf(items).map((error) => [error.kind, error.byteCount])).toEqual([
      ['unsynchronised', 2],
      ['crc-mismatch', corrupt.length - 2],
      ['length-mismatch', shortened.length - 2],
      ['oversize', 17 + 8],
      ['aborted', 2],
    ]);
    expect(framesOf(items)).toEqual([new Uint8Array([1, 2, 3])]);
    decoder.push(new Uint8Array([FLAG, 1, 2]));
    expect(decoder.reset()).toMatchObject({ kind: 'truncated', byteCount: 2 });
  });

  it('refuses to encode a payload over the limit', () => {
    expect(() => encodeFrame(new Uint8Array(17), { maxPayloadBytes: 16 })).toThrow(RangeError);
  });
});

describe('rig adapter protocol', () => {
  it('round-trips every message and refuses strangers with RigProtocolError', () => {
    const hello = { type: 'hello', seq: 3, host: 'hanlab', addresses: [HEADEND] } as const;
    const identify = { type: 'identify', adapter: 'bridge', firmware: '1.2', devices: [DEVICE] } as const;
    expect(decodeRigMessage(encodeRigMessage(hello))).toEqual(hello);
    expect(decodeRigMessage(encodeRigMessage(identify))).toEqual(identify);
    expect(decodeRigMessage(encodeRigMessage({ type: 'report', text: 'meter asleep', id: 'x-1' }))).toEqual({ type: 'report', text: 'meter asleep', id: 'x-1' });
    expect(() => decodeRigMessage(new Uint8Array([0x5a, 0xa0]))).toThrow(RigProtocolError);
    const otherVersion = new Uint8Array([0x49, ...encodeCbor({ v: 2, adapter: 'bridge', firmware: '9', devices: [] })]);
    expect(() => decodeRigMessage(otherVersion)).toThrow(/version 2/);
    expect(() => decodeRigMessage(encodeRigMessage({ ...identify, devices: ['a/b'] }))).toThrow(RigProtocolError);
  });
});

interface MockRig {
  readonly line: MockRigLine;
  readonly sim: InMemoryBus;
  readonly emulator: AdapterEmulator;
  readonly bus: SerialBus;
  readonly headend: Endpoint;
  readonly errors: TransportError[];
  readonly frames: FrameEvent[];
}

/** A SerialBus through a mock serial line to the adapter emulator, which hosts an echoing device on an InMemoryBus. */
async function mockRig(options: { devices?: readonly string[]; bus?: Partial<SerialBusOptions> } = {}): Promise<MockRig> {
  const line = new MockRigLine();
  const sim = later(new InMemoryBus({ clock: new RealClock() }));
  const device: Endpoint = await sim.attach(DEVICE, async (envelope) => {
    if (envelope.protocol === 'silent') return;
    await device.send({ to: envelope.from, protocol: envelope.protocol, payload: envelope.payload.slice().reverse(), id: `${envelope.id}-reply` });
  });
  const emulator = later(new AdapterEmulator({ link: line.farEnd, bus: sim, devices: options.devices ?? [DEVICE], firmware: '2.3.4' }));
  const bus = later(await SerialBus.open({ path: line.path, baud: 115200, binding: line.binding, helloTimeoutMs: 500, ...options.bus }));
  const errors: TransportError[] = [];
  const frames: FrameEvent[] = [];
  bus.onError((error) => errors.push(error));
  bus.onFrame((event) => frames.push(event));
  const headend = await bus.attach(HEADEND);
  return { line, sim, emulator, bus, headend, errors, frames };
}

const ask = (headend: Endpoint, id: string, protocol = 'gbcs', timeoutMs = 2000): Promise<Envelope> =>
  headend.request({ to: DEVICE, protocol, payload: new Uint8Array([1, 2, 0x7e, 0x7d]), id }, { timeoutMs, match: (reply) => reply.id === `${id}-reply` });

const until = async (condition: () => boolean, what: string): Promise<void> => {
  for (let waited = 0; !condition(); waited += 5) {
    if (waited > 2000) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe('SerialBus through a mock line to the adapter emulator', () => {
  it('greets the adapter, then carries a request to a simulated device and its reply back', async () => {
    const { bus, headend, frames } = await mockRig();
    expect(bus.state).toBe('open');
    expect(bus.adapter).toEqual({ adapter: 'hanlab-adapter-emulator', firmware: '2.3.4', devices: [DEVICE] });
    const reply = await ask(headend, 'r-1');
    expect(reply).toMatchObject({ from: DEVICE, to: HEADEND, protocol: 'gbcs', payload: new Uint8Array([0x7d, 0x7e, 2, 1]) });
    expect(frames.map((event) => [event.kind, event.envelope.id])).toEqual([
      ['sent', 'r-1'],
      ['delivered', 'r-1-reply'],
    ]);
  });

  it('reports garbage on the line with its size, and the next frame still arrives', async () => {
    const { line, headend, errors } = await mockRig();
    const garbage = new Uint8Array([0x00, 0xff, 0x7d, 0x13, 0x42]);
    await line.farEnd.write(garbage);
    const reply = await ask(headend, 'r-2');
    expect(reply.id).toBe('r-2-reply');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(FrameError);
    expect(errors[0]).toMatchObject({ kind: 'too-short', byteCount: garbage.length });
  });

  it('hears what the adapter reports, and refuses to send to a device it does not host', async () => {
    const { headend, errors, emulator, bus } = await mockRig({ devices: [DEVICE, 'ffeeddccbbaa9988'] });
    await headend.send({ to: 'ffeeddccbbaa9988', protocol: 'gbcs', payload: new Uint8Array([1]), id: 'to-ghost' });
    await until(() => errors.length > 0, 'the adapter report');
    expect(errors[0]).toBeInstanceOf(AdapterReportError);
    expect(errors[0]).toMatchObject({ envelopeId: 'to-ghost' });
    await expect(headend.send({ to: 'aaaaaaaaaaaaaaaa', protocol: 'gbcs', payload: new Uint8Array([1]), id: 'nowhere' })).rejects.toThrow(NoRouteError);
    await emulator.setDevices([]);
    await until(() => bus.adapter.devices.length === 0, 'the unprompted identify');
    await expect(ask(headend, 'r-3')).rejects.toThrow(NoRouteError);
  });

  it('turns a pending request into RigLinkError at once when the cable is pulled, and refuses work until reopened', async () => {
    const { line, bus, headend, errors, frames } = await mockRig();
    const pending = ask(headend, 'r-4', 'silent', 30_000);
    pending.catch(() => undefined);
    await until(() => frames.some((event) => event.envelope.id === 'r-4'), 'the request to go out');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const pulledAt = Date.now();
    line.unplug();
    await expect(pending).rejects.toThrow(RigLinkError);
    expect(Date.now() - pulledAt).toBeLessThan(500);
    expect(bus.state).toBe('lost');
    expect(errors.some((error) => error instanceof RigLinkError)).toBe(true);
    await expect(headend.waitFor({ timeoutMs: 30_000 })).rejects.toThrow(RigLinkError);
    await expect(ask(headend, 'r-5')).rejects.toThrow(RigLinkError);

    await expect(bus.reopen()).rejects.toThrow(RigLinkError);
    line.plugIn();
    await bus.reopen();
    expect(bus.state).toBe('open');
    expect((await ask(headend, 'r-6')).id).toBe('r-6-reply');
  });

  it('fails a send stuck in the driver when the cable is pulled, and a stalled line after the write deadline', async () => {
    const { line, bus, headend } = await mockRig({ bus: { writeTimeoutMs: 300 } });
    line.stallWrites();
    const stuck = headend.send({ to: DEVICE, protocol: 'gbcs', payload: new Uint8Array([1]), id: 'stuck' });
    stuck.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 20));
    line.unplug();
    await expect(stuck).rejects.toThrow(RigLinkError);

    line.plugIn();
    line.stallWrites(false);
    await bus.reopen();
    line.stallWrites(true);
    const startedAt = Date.now();
    await expect(headend.send({ to: DEVICE, protocol: 'gbcs', payload: new Uint8Array([1]), id: 'stalled' })).rejects.toThrow(/stalled/);
    expect(Date.now() - startedAt).toBeLessThan(1500);
    expect(bus.state).toBe('lost');
  });

  it('fails to open with RigLinkError when no adapter answers, and rejects everything with LinkClosedError once closed', async () => {
    const silent = new MockRigLine();
    await expect(SerialBus.open({ path: silent.path, baud: 9600, binding: silent.binding, helloTimeoutMs: 150 })).rejects.toThrow(/did not answer hello/);
    const { bus, headend } = await mockRig();
    await bus.close();
    await expect(ask(headend, 'r-7')).rejects.toThrow(LinkClosedError);
    await expect(bus.attach('other')).rejects.toThrow(LinkClosedError);
  });
});

const socatAvailable = spawnSync('socat', ['-V']).status === 0;
if (!socatAvailable) console.warn('test/rig.test.ts: socat is not installed, so the pseudo-terminal test is skipped (apt-get install -y socat)');

describe('SerialBus on a real pseudo-terminal pair (socat)', () => {
  it.skipIf(!socatAvailable)('round-trips through the operating system serial driver, and a vanished line rejects the pending request', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'hanlab-pty-'));
    atEnd(() => rm(directory, { recursive: true, force: true }));
    const [host, adapterSide] = [join(directory, 'host'), join(directory, 'adapter')];
    const socat = spawn('socat', [`pty,raw,echo=0,link=${host}`, `pty,raw,echo=0,link=${adapterSide}`], { stdio: 'ignore' });
    atEnd(async () => socat.kill());
    await until(() => existsSync(host) && existsSync(adapterSide), 'socat to make its pseudo-terminals');

    const sim = later(new InMemoryBus({ clock: new RealClock() }));
    const device: Endpoint = await sim.attach(DEVICE, (envelope) =>
      envelope.protocol === 'silent' ? undefined : device.send({ to: envelope.from, protocol: envelope.protocol, payload: envelope.payload, id: `${envelope.id}-reply` }),
    );
    const adapterPort = new SerialPort({ path: adapterSide, baudRate: 115200 });
    atEnd(() => new Promise((resolve) => (adapterPort.isOpen ? adapterPort.close(resolve) : resolve(undefined))));
    later(new AdapterEmulator({ link: byteLinkOverStream(adapterPort), bus: sim, devices: [DEVICE] }));

    const bus = later(await SerialBus.open({ path: host, baud: 115200, helloTimeoutMs: 2000 }));
    const errors: TransportError[] = [];
    bus.onError((error) => errors.push(error));
    const headend = await bus.attach(HEADEND);
    expect((await ask(headend, 'pty-1')).payload).toEqual(new Uint8Array([1, 2, 0x7e, 0x7d]));

    const pending = ask(headend, 'pty-2', 'silent', 30_000);
    pending.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
    socat.kill();
    const startedAt = Date.now();
    await expect(pending).rejects.toThrow(RigLinkError);
    expect(Date.now() - startedAt).toBeLessThan(2000);
    expect(bus.state).toBe('lost');
    expect(errors.map((error) => error.name)).toContain('RigLinkError');
  });
});

describe('rig lock', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'hanlab-lock-test-'));
    atEnd(() => rm(directory, { recursive: true, force: true }));
  });

  const lockFile = (rig: string): string => join(directory, `${rig}.lock`);
  const foreignRecord = (overrides: Partial<RigLockRecord>): RigLockRecord => ({
    rig: 'lab-7',
    owner: 'someone',
    pid: process.pid,
    host: 'another-host.lab',
    acquiredAt: new Date().toISOString(),
    expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    token: 'theirs',
    ...overrides,
  });

  it('lets one run hold a rig; the next is told who has it until the lock is released', async () => {
    const first = await RigLock.acquire({ rig: 'lab-7', directory, owner: 'alice' });
    expect(first.record).toMatchObject({ rig: 'lab-7', owner: 'alice', pid: process.pid, host: hostname() });
    const refused = RigLock.acquire({ rig: 'lab-7', directory, owner: 'bob' });
    await expect(refused).rejects.toThrow(RigLockedError);
    await expect(refused).rejects.toThrow(/locked by alice \(pid \d+ on /);
    await RigLock.acquire({ rig: 'lab-8', directory }).then((other) => other.release());
    await first.release();
    const second = await RigLock.acquire({ rig: 'lab-7', directory, owner: 'bob' });
    expect(second.record.owner).toBe('bob');
    await second.release();
  });

  it('takes over a lock whose process has gone or whose time has expired, but not a live one from another host', async () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    await writeFile(lockFile('lab-7'), JSON.stringify(foreignRecord({ host: hostname(), pid: gone })));
    const afterCrash = await RigLock.acquire({ rig: 'lab-7', directory });
    expect(afterCrash.record.pid).toBe(process.pid);
    await afterCrash.release();

    await writeFile(lockFile('lab-7'), JSON.stringify(foreignRecord({ expiresAt: new Date(Date.now() - 1000).toISOString() })));
    await (await RigLock.acquire({ rig: 'lab-7', directory })).release();

    await writeFile(lockFile('lab-7'), JSON.stringify(foreignRecord({})));
    await expect(RigLock.acquire({ rig: 'lab-7', directory })).rejects.toThrow(/locked by someone \(pid \d+ on another-host.lab\)/);
  });

  it('gives a stale lock to exactly one of many runs racing for it', async () => {
    await writeFile(lockFile('lab-7'), JSON.stringify(foreignRecord({ expiresAt: new Date(Date.now() - 1000).toISOString() })));
    const attempts = await Promise.allSettled(Array.from({ length: 12 }, (_, index) => RigLock.acquire({ rig: 'lab-7', directory, owner: `run-${index}` })));
    const winners = attempts.flatMap((attempt) => (attempt.status === 'fulfilled' ? [attempt.value] : []));
    expect(winners).toHaveLength(1);
    for (const attempt of attempts) if (attempt.status === 'rejected') expect(attempt.reason).toBeInstanceOf(RigLockedError);
    const onDisk = JSON.parse(await readFile(lockFile('lab-7'), 'utf8')) as RigLockRecord;
    expect(onDisk.token).toBe(winners[0]?.record.token);
    await winners[0]?.release();
  });

  it('renews its expiry, and never removes a lock that has become someone else’s', async () => {
    const lock = await RigLock.acquire({ rig: 'lab-7', directory, ttlMs: 1000 });
    await lock.renew(3_600_000);
    expect(Date.parse(lock.record.expiresAt) - Date.now()).toBeGreaterThan(3_000_000);
    await writeFile(lockFile('lab-7'), JSON.stringify(foreignRecord({})));
    await expect(lock.renew()).rejects.toThrow(RigLockedError);
    await lock.release();
    expect(JSON.parse(await readFile(lockFile('lab-7'), 'utf8'))).toMatchObject({ token: 'theirs' });
  });
});

describe('rig binding', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'hanlab-bind-test-'));
    atEnd(() => rm(directory, { recursive: true, force: true }));
  });

  async function labRig(serial: string): Promise<{ line: MockRigLine; rig: ReturnType<typeof parseRig> }> {
    const line = new MockRigLine();
    const sim = later(new InMemoryBus({ clock: new RealClock() }));
    await sim.attach(DEVICE);
    later(new AdapterEmulator({ link: line.farEnd, bus: sim, devices: [DEVICE, 'ffeeddccbbaa9988'] }));
    const text = ['id: lab-7', 'roles:', `  esme: { serial: { path: ${line.path}, baud: 115200${serial} } }`, '  chf: simulated', ''].join('\n');
    return { line, rig: parseRig(text, 'rigs/lab-7.yaml') };
  }

  it('binds a real role to its serial bus and device, the rest to the simulation, and locks the rig while bound', async () => {
    const { line, rig } = await labRig(`, device: "${DEVICE}"`);
    if (!rig.ok) throw new Error(JSON.stringify(rig.errors));
    const bound = later(await bindRig({ rig: rig.rig, runId: 'run-1', lockDirectory: directory, serialBinding: line.binding, helloTimeoutMs: 500 }));
    expect(bound.clock).toBeInstanceOf(RealClock);
    expect(bound.roles.esme).toMatchObject({ kind: 'serial', device: DEVICE });
    expect(bound.roles.esme.bus).toBeInstanceOf(SerialBus);
    expect(bound.roles.chf).toEqual({ role: 'chf', kind: 'simulated', bus: bound.simulation });
    expect(bound.lock?.record.rig).toBe('lab-7');

    const again = bindRig({ rig: rig.rig, runId: 'run-2', lockDirectory: directory, serialBinding: line.binding });
    await expect(again).rejects.toThrow(RigBindingError);
    await expect(again).rejects.toThrow(/^rigs\/lab-7\.yaml: cannot lock the rig: rig lab-7 is locked by/);

    await bound.close();
    await (await RigLock.acquire({ rig: 'lab-7', directory })).release();
  });

  it('names the rig file and role when the adapter does not host the expected device, and leaves the rig unlocked', async () => {
    const { line, rig } = await labRig(', device: aaaaaaaaaaaaaaaa');
    if (!rig.ok) throw new Error(JSON.stringify(rig.errors));
    const failed = bindRig({ rig: rig.rig, runId: 'run-3', lockDirectory: directory, serialBinding: line.binding, helloTimeoutMs: 500 });
    await expect(failed).rejects.toThrow(
      `rigs/lab-7.yaml: role esme: serial ${line.path}: expects device aaaaaaaaaaaaaaaa, but the adapter hosts ${DEVICE}, ffeeddccbbaa9988`,
    );
    const ambiguous = await labRig('');
    if (!ambiguous.rig.ok) throw new Error('unparsed');
    await expect(bindRig({ rig: ambiguous.rig.rig, runId: 'run-4', lockDirectory: directory, serialBinding: ambiguous.line.binding })).rejects.toThrow(/role esme: .*name this role's device/);
    await (await RigLock.acquire({ rig: 'lab-7', directory })).release();
  });

  it('asks for quotes around an EUI that YAML would read as a number', () => {
    const parsed = parseRig('id: lab-9\nroles:\n  esme: { serial: { path: /dev/ttyUSB0, baud: 115200, device: 0011223344556677 } }\n', 'rigs/lab-9.yaml');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.errors[0]).toMatchObject({ line: 3, path: 'roles.esme.serial.device', message: expect.stringMatching(/quote it/) });
  });

  it('runs an all-simulated rig on a virtual clock, without a lock', async () => {
    const rig = parseRig('id: sim\n', 'rigs/sim.yaml');
    if (!rig.ok) throw new Error('unparsed');
    const bound = later(await bindRig({ rig: rig.rig, runId: 'run-5', lockDirectory: directory }));
    expect(bound.clock).toBeInstanceOf(VirtualClock);
    expect(bound.lock).toBeUndefined();
    expect(bound.simulation).toBeInstanceOf(InMemoryBus);
    expect(new Set(Object.values(bound.roles).map((role) => role.kind))).toEqual(new Set(['simulated']));
  });
});
