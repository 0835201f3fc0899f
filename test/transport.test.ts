import { createServer, type Server, type Socket } from 'node:net';
import { Aedes, type AedesOptions, type AuthenticateError } from 'aedes';
import { encode as encodeCbor } from 'cbor-x';
import fc from 'fast-check';
import { connectAsync } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TimeoutError, VirtualClock } from '../src/time/index.ts';
import {
  AddressInUseError,
  BrokerAuthError,
  BrokerUnavailableError,
  decodeEnvelope,
  encodeEnvelope,
  envelopeIds,
  EnvelopeError,
  envelopeTopic,
  HandlerError,
  InMemoryBus,
  LinkClosedError,
  MqttBus,
  NoRouteError,
  startEmbeddedBroker,
  type Envelope,
  type FrameEvent,
  type MqttBusOptions,
  type TransportError,
} from '../src/transport/index.ts';
import { closeAfterEachAndRefuseUnhandled } from './support/hygiene.ts';

const START = Date.UTC(2025, 5, 1);
const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);

/** Everything a test opens, closed afterwards whatever happened. */
const { later, atEnd } = closeAfterEachAndRefuseUnhandled();

const nameArb = fc.stringMatching(/^[A-Za-z0-9._:~-]{1,24}$/);
const envelopeArb: fc.Arbitrary<Envelope> = fc.record(
  {
    from: nameArb,
    to: nameArb,
    protocol: fc.oneof(fc.constantFrom('gbcs', 'zcl', 'ota'), nameArb),
    payload: fc.uint8Array({ maxLength: 512 }),
    id: fc.string({ minLength: 1, maxLength: 64 }),
    meta: fc.dictionary(fc.stringMatching(/^[A-Za-z][A-Za-z0-9._-]{0,11}$/), fc.oneof(fc.string(), fc.boolean(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }))),
  },
  { requiredKeys: ['from', 'to', 'protocol', 'payload', 'id'] },
);

describe('envelope CBOR', () => {
  it('round-trips every valid envelope', () => {
    fc.assert(
      fc.property(envelopeArb, (envelope) => {
        const decoded = decodeEnvelope(encodeEnvelope(envelope));
        const meta = envelope.meta && Object.fromEntries(Object.entries(envelope.meta).map(([key, value]) => [key, Object.is(value, -0) ? 0 : value]));
        expect(decoded).toEqual({ ...envelope, payload: new Uint8Array(envelope.payload), ...(meta && { meta }) });
        if (meta) for (const [key, value] of Object.entries(meta)) expect(Object.is(decoded.meta?.[key], value)).toBe(true);
        expect(decoded.payload).toBeInstanceOf(Uint8Array);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses arbitrary bytes with EnvelopeError and nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (garbage) => {
        expect(() => decodeEnvelope(garbage)).toThrow(EnvelopeError);
      }),
    );
  });

  it('refuses near misses: truncated, trailing bytes, wrong version, wrong field types, unknown fields', () => {
    const good = encodeEnvelope({ from: 'hes', to: 'esme-1', protocol: 'gbcs', payload: bytes(1, 2, 3), id: 'f-1' });
    const wire = { v: 1, from: 'hes', to: 'esme-1', protocol: 'gbcs', payload: bytes(1), id: 'f-1' };
    const cases: Array<[string, Uint8Array]> = [
      ['truncated', good.subarray(0, good.length - 2)],
      ['trailing byte', new Uint8Array([...good, 0])],
      ['not a map', encodeCbor([1, 2, 3])],
      ['version 2', encodeCbor({ ...wire, v: 2 })],
      ['no version', encodeCbor({ ...wire, v: undefined })],
      ['numeric address', encodeCbor({ ...wire, to: 42 })],
      ['address with a slash', encodeCbor({ ...wire, to: 'a/b' })],
      ['wildcard in protocol', encodeCbor({ ...wire, protocol: '#' })],
      ['payload as text', encodeCbor({ ...wire, payload: 'AQID' })],
      ['empty id', encodeCbor({ ...wire, id: '' })],
      ['nested meta', encodeCbor({ ...wire, meta: { deep: { x: 1 } } })],
      ['unknown field', encodeCbor({ ...wire, extra: true })],
      ['date instead of map', encodeCbor(new Date(0))],
    ];
    for (const [label, input] of cases) {
      expect(() => decodeEnvelope(input), label).toThrow(EnvelopeError);
    }
    expect(decodeEnvelope(good).payload).toEqual(bytes(1, 2, 3));
  });

  it('refuses to encode an invalid envelope', () => {
    const base = { from: 'hes', to: 'esme-1', protocol: 'gbcs', payload: bytes(1), id: 'f-1' };
    expect(() => encodeEnvelope({ ...base, to: 'esme 1' })).toThrow(EnvelopeError);
    expect(() => encodeEnvelope({ ...base, meta: { rssi: Number.NaN } })).toThrow(EnvelopeError);
    expect(() => encodeEnvelope({ ...base, meta: JSON.parse('{"__proto__": 1}') as Record<string, number> })).toThrow(EnvelopeError);
    expect(() => encodeEnvelope({ ...base, payload: [1, 2] as unknown as Uint8Array })).toThrow(EnvelopeError);
  });

  it('puts frames on hanlab/<run>/<to>/<protocol>', () => {
    expect(envelopeTopic('run-7', { to: 'esme-1', protocol: 'zcl' })).toBe('hanlab/run-7/esme-1/zcl');
    expect(() => envelopeTopic('run/7', { to: 'esme-1', protocol: 'zcl' })).toThrow(EnvelopeError);
  });
});

describe('InMemoryBus', () => {
  it('delivers only as the clock advances, by latency, equal times in send order', async () => {
    const clock = new VirtualClock({ start: START });
    const latencies: Record<string, number> = { slow: 30, fast: 5 };
    const bus = later(new InMemoryBus({ clock, latencyMs: (envelope) => latencies[envelope.protocol] ?? 10 }));
    const arrivals: string[] = [];
    await bus.attach('esme-1', (envelope) => void arrivals.push(`${clock.now() - START} ${envelope.id}`));
    const hes = await bus.attach('hes');
    const nextId = envelopeIds('f');

    await hes.send({ to: 'esme-1', protocol: 'slow', payload: bytes(1), id: nextId() });
    await hes.send({ to: 'esme-1', protocol: 'gbcs', payload: bytes(2), id: nextId() });
    await hes.send({ to: 'esme-1', protocol: 'fast', payload: bytes(3), id: nextId() });
    await hes.send({ to: 'esme-1', protocol: 'gbcs', payload: bytes(4), id: nextId() });
    expect(arrivals).toEqual([]);

    await clock.advance(10);
    expect(arrivals).toEqual(['5 f-3', '10 f-2', '10 f-4']);
    await clock.advance(100);
    expect(arrivals).toEqual(['5 f-3', '10 f-2', '10 f-4', '30 f-1']);
  });

  it('shows observers every frame both ways with its clock time', async () => {
    const clock = new VirtualClock({ start: START });
    const bus = later(new InMemoryBus({ clock, latencyMs: 25 }));
    const seen: string[] = [];
    bus.onFrame((event: FrameEvent) => seen.push(`${event.at - START} ${event.kind} ${event.envelope.from}>${event.envelope.to} ${event.envelope.id}`));
    const esme = await bus.attach('esme-1', async (request) => {
      await esme.send({ to: request.from, protocol: 'gbcs', payload: bytes(0x99), id: `${request.id}-reply` });
    });
    const hes = await bus.attach('hes');

    const reply = hes.request({ to: 'esme-1', protocol: 'gbcs', payload: bytes(1), id: 'req-1' }, { timeoutMs: 1000 });
    await clock.runUntilIdle();
    expect((await reply).payload).toEqual(bytes(0x99));
    expect(seen).toEqual([
      '0 sent hes>esme-1 req-1',
      '25 delivered hes>esme-1 req-1',
      '25 sent esme-1>hes req-1-reply',
      '50 delivered esme-1>hes req-1-reply',
    ]);
  });

  it('gives receivers their own copy of the payload', async () => {
    const clock = new VirtualClock({ start: START });
    const bus = later(new InMemoryBus({ clock }));
    const esme = await bus.attach('esme-1');
    const hes = await bus.attach('hes');
    const payload = bytes(1, 2, 3);
    const arrival = esme.waitFor({ timeoutMs: 100 });
    await hes.send({ to: 'esme-1', protocol: 'zcl', payload, id: 'f-1' });
    payload[0] = 0xff;
    await clock.advance(0);
    expect((await arrival).payload).toEqual(bytes(1, 2, 3));
  });

  it('refuses unknown destinations, taken addresses, bad names and sending as someone else', async () => {
    const clock = new VirtualClock({ start: START });
    const bus = later(new InMemoryBus({ clock }));
    const hes = await bus.attach('hes');
    await expect(hes.send({ to: 'nobody', protocol: 'gbcs', payload: bytes(), id: 'f-1' })).rejects.toBeInstanceOf(NoRouteError);
    await expect(bus.attach('hes')).rejects.toBeInstanceOf(AddressInUseError);
    await expect(bus.attach('has space')).rejects.toBeInstanceOf(EnvelopeError);
    await bus.attach('esme-1');
    await expect(hes.send({ from: 'esme-1', to: 'esme-1', protocol: 'gbcs', payload: bytes(), id: 'f-2' })).rejects.toBeInstanceOf(EnvelopeError);
  });

  it('reports a failing handler and a vanished receiver, and keeps delivering', async () => {
    const clock = new VirtualClock({ start: START });
    const bus = later(new InMemoryBus({ clock, latencyMs: 5 }));
    const errors: TransportError[] = [];
    bus.onError((error) => errors.push(error));
    await bus.attach('broken', () => {
      throw new Error('model bug');
    });
    await bus.attach('async-broken', async () => Promise.reject(new Error('async model bug')));
    const leaving = await bus.attach('leaving');
    const fine = await bus.attach('fine');
    const hes = await bus.attach('hes');

    for (const to of ['broken', 'async-broken', 'leaving', 'fine']) await hes.send({ to, protocol: 'gbcs', payload: bytes(), id: `to-${to}` });
    await leaving.close();
    const arrival = fine.waitFor({ timeoutMs: 100 });
    await clock.runUntilIdle();
    expect((await arrival).id).toBe('to-fine');
    expect(errors.map((error) => error.name).sort()).toEqual(['HandlerError', 'HandlerError', 'NoRouteError']);
    expect(errors.find((error) => error instanceof HandlerError)?.message).toMatch(/model bug/);
  });

  it('times waits out in virtual time and fails them on close', async () => {
    const clock = new VirtualClock({ start: START });
    const bus = new InMemoryBus({ clock });
    const hes = await bus.attach('hes');
    const timedOut = hes.waitFor({ timeoutMs: 3000 }).catch((error: unknown) => error);
    await clock.advance(3000);
    expect(await timedOut).toBeInstanceOf(TimeoutError);

    const pending = hes.waitFor({ timeoutMs: 3000 }).catch((error: unknown) => error);
    await bus.close();
    expect(await pending).toBeInstanceOf(LinkClosedError);
    await expect(hes.send({ to: 'hes', protocol: 'gbcs', payload: bytes(), id: 'x' })).rejects.toBeInstanceOf(LinkClosedError);
    await expect(bus.attach('esme-1')).rejects.toBeInstanceOf(LinkClosedError);
    expect(clock.pendingTimers).toBe(0);
  });

  it('cancels the wait of a request whose send failed', async () => {
    const clock = new VirtualClock({ start: START });
    const bus = later(new InMemoryBus({ clock }));
    const hes = await bus.attach('hes');
    await expect(hes.request({ to: 'nobody', protocol: 'gbcs', payload: bytes(), id: 'r' }, { timeoutMs: 1000 })).rejects.toBeInstanceOf(NoRouteError);
    expect(clock.pendingTimers).toBe(0);
  });
});

/** A broker the test controls directly, standing in for an external one; `stop()` drops every client. */
async function startRawBroker(options: AedesOptions, port = 0): Promise<{ url: string; port: number; stop(): Promise<void>; close(): Promise<void> }> {
  const aedes = await Aedes.createBroker(options);
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    aedes.handle(socket);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await closed;
    })());
  return { url: `mqtt://127.0.0.1:${address.port}`, port: address.port, stop, close: stop };
}

const fastReconnect: Partial<MqttBusOptions> = { reconnectPeriodMs: 50, connectTimeoutMs: 2000, ackTimeoutMs: 2000 };

describe('MqttBus', () => {
  it('round-trips a request and reply through the embedded broker', async () => {
    const broker = later(await startEmbeddedBroker());
    const harness = later(await MqttBus.connect({ url: broker.url, runId: 'run-1', ...fastReconnect }));
    const rig = later(await MqttBus.connect({ url: broker.url, runId: 'run-1', ...fastReconnect }));
    const seen: string[] = [];
    harness.onFrame((event) => seen.push(`${event.kind} ${event.envelope.id}`));

    const esme = await rig.attach('esme-1', async (request) => {
      await esme.send({ to: request.from, protocol: request.protocol, payload: new Uint8Array([...request.payload].reverse()), id: `${request.id}-r` });
    });
    const hes = await harness.attach('hes');
    const reply = await hes.request(
      { to: 'esme-1', protocol: 'gbcs', payload: bytes(1, 2, 3), id: 'q-1', meta: { rssi: -60 } },
      { timeoutMs: 2000, match: (envelope) => envelope.id === 'q-1-r' },
    );
    expect(reply).toEqual({ from: 'esme-1', to: 'hes', protocol: 'gbcs', payload: bytes(3, 2, 1), id: 'q-1-r' });
    expect(seen).toEqual(['sent q-1', 'delivered q-1-r']);
  });

  it('keeps runs apart and reports malformed frames without losing the next good one', async () => {
    const broker = later(await startEmbeddedBroker());
    const bus = later(await MqttBus.connect({ url: broker.url, runId: 'run-a', ...fastReconnect }));
    const otherRun = later(await MqttBus.connect({ url: broker.url, runId: 'run-b', ...fastReconnect }));
    const errors: TransportError[] = [];
    bus.onError((error) => errors.push(error));
    const esme = await bus.attach('esme-1');
    const otherHes = await otherRun.attach('hes');
    await otherRun.attach('esme-1');

    const raw = await connectAsync(broker.url);
    atEnd(() => raw.endAsync());
    await raw.publishAsync('hanlab/run-a/esme-1/gbcs', Buffer.from('not cbor at all'), { qos: 1 });
    const misrouted = encodeEnvelope({ from: 'x', to: 'ihd-1', protocol: 'gbcs', payload: bytes(), id: 'wrong-topic' });
    await raw.publishAsync('hanlab/run-a/esme-1/gbcs', Buffer.from(misrouted), { qos: 1 });
    await otherHes.send({ to: 'esme-1', protocol: 'gbcs', payload: bytes(), id: 'other-run' });
    const good = encodeEnvelope({ from: 'hes', to: 'esme-1', protocol: 'gbcs', payload: bytes(7), id: 'good' });
    const arrival = esme.waitFor({ timeoutMs: 2000 });
    await raw.publishAsync('hanlab/run-a/esme-1/gbcs', Buffer.from(good), { qos: 1 });

    expect((await arrival).id).toBe('good');
    expect(errors).toHaveLength(2);
    expect(errors.every((error) => error instanceof EnvelopeError)).toBe(true);
    expect(errors[0]?.message).toMatch(/malformed frame on hanlab\/run-a\/esme-1\/gbcs/);
  });

  it('fails waits and sends fast with BrokerUnavailableError when the broker stops, then reconnects', async () => {
    const first = await startEmbeddedBroker();
    let broker = first;
    atEnd(() => broker.close());
    const harness = later(await MqttBus.connect({ url: first.url, runId: 'run-1', ...fastReconnect, ackTimeoutMs: 10_000 }));
    const rig = later(await MqttBus.connect({ url: first.url, runId: 'run-1', ...fastReconnect }));
    const reported: TransportError[] = [];
    harness.onError((error) => reported.push(error));
    const rigReported: TransportError[] = [];
    rig.onError((error) => rigReported.push(error));
    const hes = await harness.attach('hes');
    const esme = await rig.attach('esme-1');

    const waiting = hes.waitFor({ timeoutMs: 10_000 }).catch((error: unknown) => error);
    const stoppedAt = Date.now();
    await first.close();
    const waitError = await waiting;
    const detectedMs = Date.now() - stoppedAt;
    expect(waitError).toBeInstanceOf(BrokerUnavailableError);
    expect(detectedMs).toBeLessThan(1000);

    const sendStarted = Date.now();
    await expect(hes.send({ to: 'esme-1', protocol: 'gbcs', payload: bytes(), id: 'while-down' })).rejects.toBeInstanceOf(BrokerUnavailableError);
    expect(Date.now() - sendStarted).toBeLessThan(50);
    await expect(hes.waitFor({ timeoutMs: 10_000 })).rejects.toBeInstanceOf(BrokerUnavailableError);
    expect(harness.state).toBe('reconnecting');
    expect(reported.map((error) => error.name)).toEqual(['BrokerUnavailableError']);

    broker = await startEmbeddedBroker({ port: first.port });
    await harness.waitUntilConnected({ timeoutMs: 3000 });
    await rig.waitUntilConnected({ timeoutMs: 3000 });
    const arrival = esme.waitFor({ timeoutMs: 2000 });
    await hes.send({ to: 'esme-1', protocol: 'gbcs', payload: bytes(5), id: 'after' });
    expect((await arrival).id).toBe('after');
    expect(rigReported.map((error) => error.name)).toEqual(['BrokerUnavailableError']);
  });

  it('fails an unacknowledged send as soon as the connection drops, and never replays it', async () => {
    const stalling = await startRawBroker({
      authorizePublish: (_client, packet, callback) => {
        // Never answers for frames of protocol "held": their PUBACK never comes.
        if (!packet.topic.endsWith('/held')) callback(null);
      },
    });
    let second: Awaited<ReturnType<typeof startRawBroker>> | undefined;
    atEnd(() => stalling.close());
    atEnd(() => second?.close() ?? Promise.resolve());
    const harness = later(await MqttBus.connect({ url: stalling.url, runId: 'run-1', ...fastReconnect, ackTimeoutMs: 10_000 }));
    const rig = later(await MqttBus.connect({ url: stalling.url, runId: 'run-1', ...fastReconnect }));
    const reported: TransportError[] = [];
    harness.onError((error) => reported.push(error));
    rig.onError((error) => reported.push(error));
    const hes = await harness.attach('hes');
    const received: string[] = [];
    await rig.attach('esme-1', (envelope) => void received.push(envelope.id));

    const held = hes.send({ to: 'esme-1', protocol: 'held', payload: bytes(), id: 'held-1' }).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const stoppedAt = Date.now();
    await stalling.stop();
    expect(await held).toBeInstanceOf(BrokerUnavailableError);
    expect(Date.now() - stoppedAt).toBeLessThan(1000);

    second = await startRawBroker({}, stalling.port);
    await harness.waitUntilConnected({ timeoutMs: 3000 });
    await rig.waitUntilConnected({ timeoutMs: 3000 });
    await hes.send({ to: 'esme-1', protocol: 'gbcs', payload: bytes(), id: 'after' });
    await expect.poll(() => received, { timeout: 2000 }).toContain('after');
    expect(received).toEqual(['after']);
    expect(reported.map((error) => error.name)).toEqual(['BrokerUnavailableError', 'BrokerUnavailableError']);
  });

  it('gives up on a send with no PUBACK after ackTimeoutMs', async () => {
    const stalling = later(await startRawBroker({ authorizePublish: () => undefined }));
    const harness = later(await MqttBus.connect({ url: stalling.url, runId: 'run-1', ...fastReconnect, ackTimeoutMs: 150 }));
    const hes = await harness.attach('hes');
    const started = Date.now();
    const error = await hes.send({ to: 'esme-1', protocol: 'gbcs', payload: bytes(), id: 'lost' }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(BrokerUnavailableError);
    expect((error as Error).message).toMatch(/no PUBACK/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('connects to an external broker by URL with username and password', async () => {
    const authenticate: AedesOptions['authenticate'] = (_client, username, password, done) => {
      if (username === 'supplier' && password?.toString() === 's3cret') return done(null, true);
      done(Object.assign(new Error('bad credentials'), { returnCode: 4 }) as AuthenticateError, null);
    };
    const external = later(await startRawBroker({ authenticate }));

    await expect(MqttBus.connect({ url: external.url, runId: 'run-1', username: 'supplier', password: 'wrong' })).rejects.toBeInstanceOf(BrokerAuthError);
    await expect(MqttBus.connect({ url: external.url, runId: 'run-1' })).rejects.toBeInstanceOf(BrokerAuthError);

    const options = { url: external.url, runId: 'run-1', username: 'supplier', password: 's3cret' };
    const harness = later(await MqttBus.connect(options));
    const rig = later(await MqttBus.connect(options));
    const esme = await rig.attach('esme-1');
    const arrival = esme.waitFor({ timeoutMs: 2000 });
    await (await harness.attach('hes')).send({ to: 'esme-1', protocol: 'zcl', payload: bytes(1), id: 'auth-ok' });
    expect((await arrival).id).toBe('auth-ok');
  });

  it('checks credentials on the embedded broker too', async () => {
    const broker = later(await startEmbeddedBroker({ credentials: { username: 'u', password: 'p' } }));
    await expect(MqttBus.connect({ url: broker.url, runId: 'r', username: 'u', password: 'x' })).rejects.toBeInstanceOf(BrokerAuthError);
    later(await MqttBus.connect({ url: broker.url, runId: 'r', username: 'u', password: 'p' }));
  });

  it('reports an unreachable broker as BrokerUnavailableError without waiting for the timeout', async () => {
    const broker = await startEmbeddedBroker();
    await broker.close();
    const started = Date.now();
    await expect(MqttBus.connect({ url: broker.url, runId: 'r', connectTimeoutMs: 5000 })).rejects.toBeInstanceOf(BrokerUnavailableError);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('fails pending waits with LinkClosedError on close', async () => {
    const broker = later(await startEmbeddedBroker());
    const bus = await MqttBus.connect({ url: broker.url, runId: 'r', ...fastReconnect });
    const hes = await bus.attach('hes');
    const waiting = hes.waitFor({ timeoutMs: 5000 }).catch((error: unknown) => error);
    await bus.close();
    expect(await waiting).toBeInstanceOf(LinkClosedError);
    await expect(hes.send({ to: 'x', protocol: 'gbcs', payload: bytes(), id: 'x' })).rejects.toBeInstanceOf(LinkClosedError);
    expect(bus.state).toBe('closed');
  });
});
