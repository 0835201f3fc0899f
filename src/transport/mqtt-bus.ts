import { connect as connectClient, type MqttClient } from 'mqtt';
import type { Clock, TimerHandle } from '../time/clock.ts';
import { RealClock } from '../time/real-clock.ts';
import { withTimeout } from '../time/timeout.ts';
import type { Bus, Endpoint, EnvelopeHandler, ErrorListener, FrameListener, Unsubscribe } from './bus.ts';
import { BusEvents } from './bus-events.ts';
import { EndpointCore, endpointFor } from './endpoint-core.ts';
import { checkName, decodeEnvelope, encodeEnvelope, type Envelope } from './envelope.ts';
import { AddressInUseError, BrokerAuthError, BrokerUnavailableError, EnvelopeError, LinkClosedError, type TransportError } from './errors.ts';
import { envelopeTopic, inboxFilter, parseTopic } from './mqtt-topics.ts';

export interface MqttBusOptions {
  /** `mqtt://host:port` (or `mqtts://`), an embedded broker's `url` or an external one. */
  readonly url: string;
  /** Namespaces the topics, so runs sharing a broker never see each other's frames. */
  readonly runId: string;
  readonly username?: string;
  readonly password?: string;
  readonly clientId?: string;
  /**
   * The clock of the frames: it stamps them and times the waits for an answer (Endpoint.waitFor, request). A
   * RealClock unless given; a simulation on a virtual clock gives its own, so that "no answer within a minute" is a
   * simulated minute. The broker's own exchanges (CONNACK, PUBACK, SUBACK) are always timed in real time.
   */
  readonly clock?: Clock;
  /** Longest wait for the first CONNACK. Default 5000. */
  readonly connectTimeoutMs?: number;
  /** Longest wait for a PUBACK or SUBACK before the broker counts as unavailable. Default 5000. */
  readonly ackTimeoutMs?: number;
  /** Pause between reconnection attempts. Default 1000. */
  readonly reconnectPeriodMs?: number;
  /** MQTT keepalive: a silently dead connection is noticed within about 1.5 times this. Default 10. */
  readonly keepaliveSeconds?: number;
}

/**
 * `connecting` until the first CONNACK; `reconnecting` after a loss until the broker is back and our
 * subscriptions are restored; `refused` when the broker turned down our credentials (no more retries);
 * `closed` after close().
 */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'refused' | 'closed';

interface PendingAck {
  readonly reject: (error: Error) => void;
}

/** MQTT 3.1.1 return codes 4 and 5, MQTT 5 reason codes 0x86 and 0x87. */
const AUTH_REFUSAL_CODES = new Set([4, 5, 0x86, 0x87]);

function isAuthRefusal(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' && AUTH_REFUSAL_CODES.has(code);
}

/**
 * Endpoints on an MQTT broker (see docs/transport.md for topics and QoS). Every send is QoS 1 and
 * resolves on the broker's PUBACK. The bus never queues while disconnected: a send or wait that cannot
 * complete because the broker is gone rejects with BrokerUnavailableError, at once if the loss is known,
 * else when its acknowledgement times out. The client keeps reconnecting in the background and restores
 * subscriptions, so later sends work again once the broker is back; lost frames are not replayed.
 */
export class MqttBus implements Bus {
  private connectionState: ConnectionState = 'connecting';
  private readonly events: BusEvents;
  private readonly endpoints = new Map<string, EndpointCore>();
  private readonly pendingAcks = new Set<PendingAck>();
  private readonly stateListeners = new Set<(state: ConnectionState) => void>();
  private lastClientError: Error | undefined;
  private initialFailure: BrokerUnavailableError | undefined;
  /** Counts CONNACKs, so a subscription restore outlived by another reconnection knows it is stale. */
  private connectionCount = 0;

  /** Times the broker's exchanges: real time whatever the frames' clock. */
  private readonly brokerClock = new RealClock();

  private constructor(
    private readonly client: MqttClient,
    private readonly options: MqttBusOptions,
    private readonly clock: Clock,
  ) {
    this.events = new BusEvents(clock);
    client.on('message', (topic, payload) => this.receive(topic, payload));
    client.on('connect', () => this.onConnect());
    client.on('close', () => this.onClose());
    client.on('error', (error) => this.onClientError(error));
  }

  /** Connects, or rejects with BrokerAuthError / BrokerUnavailableError (unreachable, or no CONNACK in time). */
  static async connect(options: MqttBusOptions): Promise<MqttBus> {
    checkName(options.runId, 'run id');
    const clock = options.clock ?? new RealClock();
    const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    const client = connectClient(options.url, {
      username: options.username,
      password: options.password,
      clientId: options.clientId,
      protocolVersion: 4,
      clean: true,
      keepalive: options.keepaliveSeconds ?? 10,
      connectTimeout: connectTimeoutMs,
      reconnectPeriod: options.reconnectPeriodMs ?? 1000,
      // We restore subscriptions ourselves, to know when they are back.
      resubscribe: false,
      queueQoSZero: false,
    });
    const bus = new MqttBus(client, options, clock);
    try {
      await withTimeout(bus.brokerClock, bus.firstConnection(), connectTimeoutMs, `a CONNACK from ${options.url}`, () =>
        bus.unavailable(`no CONNACK within ${connectTimeoutMs} ms`),
      );
    } catch (error) {
      bus.connectionState = 'closed';
      client.end(true);
      throw error;
    }
    return bus;
  }

  get state(): ConnectionState {
    return this.connectionState;
  }

  onStateChange(listener: (state: ConnectionState) => void): Unsubscribe {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Resolves once connected with subscriptions restored; BrokerUnavailableError if not within `timeoutMs`. */
  waitUntilConnected(options: { readonly timeoutMs: number }): Promise<void> {
    if (this.connectionState === 'connected') return Promise.resolve();
    if (this.connectionState === 'refused' || this.connectionState === 'closed') return Promise.reject(this.blockedReason());
    let unsubscribe: Unsubscribe = () => undefined;
    const connected = new Promise<void>((resolve, reject) => {
      unsubscribe = this.onStateChange((state) => {
        if (state === 'connected') resolve();
        else if (state === 'refused' || state === 'closed') reject(this.blockedReason());
      });
    });
    return withTimeout(this.brokerClock, connected, options.timeoutMs, 'the broker', () =>
      this.unavailable(`not reconnected within ${options.timeoutMs} ms`),
    ).finally(unsubscribe);
  }

  async attach(address: string, handler?: EnvelopeHandler): Promise<Endpoint> {
    checkName(address, 'endpoint address');
    const blocked = this.blockedReason();
    if (blocked !== undefined) throw blocked;
    if (this.endpoints.has(address)) throw new AddressInUseError(address);
    const core = new EndpointCore(address, handler, this.clock, this.events, () => this.blockedReason());
    // Registered before the SUBACK so that a frame arriving right behind it is not dropped.
    this.endpoints.set(address, core);
    try {
      await this.subscribe(inboxFilter(this.options.runId, address));
    } catch (error) {
      this.endpoints.delete(address);
      throw error;
    }
    return endpointFor(core, (e) => this.publish(e), () => this.detach(core));
  }

  onFrame(listener: FrameListener): Unsubscribe {
    return this.events.onFrame(listener);
  }

  onError(listener: ErrorListener): Unsubscribe {
    return this.events.onError(listener);
  }

  async close(): Promise<void> {
    if (this.connectionState === 'closed') return;
    const wasConnected = this.client.connected;
    this.setState('closed');
    const closed = new LinkClosedError(`MQTT bus on ${this.options.url} is closed`);
    this.failPending(closed);
    this.dropUnackedPublishes();
    for (const core of this.endpoints.values()) core.close(closed);
    this.endpoints.clear();
    try {
      await withTimeout(this.brokerClock, this.client.endAsync(!wasConnected), 2000, 'the MQTT client to disconnect');
    } catch {
      this.client.end(true);
    }
  }

  private firstConnection(): Promise<void> {
    let unsubscribe: Unsubscribe = () => undefined;
    return new Promise<void>((resolve, reject) => {
      unsubscribe = this.onStateChange((state) => {
        if (state === 'connected') resolve();
        else reject(this.blockedReason());
      });
    }).finally(() => unsubscribe());
  }

  private publish(envelope: Envelope): Promise<void> {
    const blocked = this.blockedReason();
    if (blocked !== undefined) return Promise.reject(blocked);
    let wire: Uint8Array;
    let topic: string;
    try {
      wire = encodeEnvelope(envelope);
      topic = envelopeTopic(this.options.runId, envelope);
    } catch (error) {
      return Promise.reject(error);
    }
    this.events.frame('sent', envelope, this.endpoints.has(envelope.to));
    return this.awaitAck(`PUBACK for frame ${envelope.id}`, (done) => {
      const inFlightBefore = new Set(Object.keys(this.client.outgoing));
      this.client.publish(topic, Buffer.from(wire.buffer, wire.byteOffset, wire.byteLength), { qos: 1 }, (error) => done(error));
      const messageId = Object.keys(this.client.outgoing).find((id) => !inFlightBefore.has(id));
      // Given up on: mqtt.js must not deliver it later behind the sender's back.
      return () => {
        if (messageId !== undefined) this.client.removeOutgoingMessage(Number(messageId));
      };
    });
  }

  private async subscribe(filter: string): Promise<void> {
    let grantedQos: number | undefined;
    await this.awaitAck(`SUBACK for ${filter}`, (done) => {
      this.client.subscribe(filter, { qos: 1 }, (error, granted) => {
        grantedQos = granted?.[0]?.qos;
        done(error);
      });
    });
    // 0x80 in a SUBACK means the broker refused the subscription (usually an ACL).
    if (grantedQos === undefined || grantedQos >= 0x80) {
      throw new BrokerAuthError(this.options.url, `subscription to ${filter} refused`);
    }
  }

  /**
   * Runs one acknowledged MQTT exchange, failing fast on connection loss and on timeout. `start` may
   * return a function that withdraws the request when it times out.
   */
  private awaitAck(what: string, start: (done: (error: Error | null | undefined) => void) => (() => void) | void): Promise<void> {
    const ackTimeoutMs = this.options.ackTimeoutMs ?? 5000;
    return new Promise<void>((resolve, reject) => {
      let timer: TimerHandle | undefined;
      const pending: PendingAck = {
        reject: (error) => {
          finish();
          reject(error);
        },
      };
      const finish = (): void => {
        this.pendingAcks.delete(pending);
        if (timer !== undefined) this.brokerClock.clearTimer(timer);
      };
      this.pendingAcks.add(pending);
      let withdraw: (() => void) | void = undefined;
      timer = this.brokerClock.setTimer(ackTimeoutMs, () => {
        pending.reject(this.unavailable(`no ${what} within ${ackTimeoutMs} ms`));
        withdraw?.();
      });
      withdraw = start((error) => {
        if (!this.pendingAcks.has(pending)) return;
        if (error == null) {
          finish();
          resolve();
        } else {
          pending.reject(this.blockedReason() ?? this.unavailable(error.message, error));
        }
      });
    });
  }

  private receive(topic: string, payload: Buffer): void {
    const parsed = parseTopic(topic);
    if (parsed === undefined || parsed.runId !== this.options.runId) {
      this.events.error(new EnvelopeError(`frame on unexpected topic ${JSON.stringify(topic)} dropped`));
      return;
    }
    let envelope: Envelope;
    try {
      envelope = decodeEnvelope(payload);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      this.events.error(new EnvelopeError(`malformed frame on ${topic} dropped: ${detail}`, { cause: error }));
      return;
    }
    if (envelope.to !== parsed.to || envelope.protocol !== parsed.protocol) {
      this.events.error(new EnvelopeError(`frame ${envelope.id} on ${topic} is addressed to ${envelope.to}/${envelope.protocol}; dropped`));
      return;
    }
    const core = this.endpoints.get(envelope.to);
    if (core === undefined) {
      this.events.frame('unclaimed', envelope);
      return;
    }
    this.events.frame('delivered', envelope);
    core.deliver(envelope);
  }

  private async detach(core: EndpointCore): Promise<void> {
    if (core.isClosed) return;
    core.close();
    if (this.endpoints.get(core.address) === core) this.endpoints.delete(core.address);
    if (!this.client.connected) return;
    try {
      await withTimeout(this.brokerClock, this.client.unsubscribeAsync(inboxFilter(this.options.runId, core.address)), this.options.ackTimeoutMs ?? 5000, 'UNSUBACK');
    } catch {
      // The subscription dies with the session anyway (clean sessions), so there is nothing to lose here.
    }
  }

  private onConnect(): void {
    // Frames are small and latency-bound; Nagle's algorithm would hold each one back for an ACK (~40 ms).
    const stream = this.client.stream as { setNoDelay?: (noDelay: boolean) => void };
    stream.setNoDelay?.(true);
    this.connectionCount++;
    this.lastClientError = undefined;
    if (this.connectionState === 'connecting') this.setState('connected');
    else if (this.connectionState === 'reconnecting') void this.restoreSubscriptions(this.connectionCount);
  }

  private async restoreSubscriptions(connection: number): Promise<void> {
    const stillCurrent = (): boolean => connection === this.connectionCount && this.connectionState === 'reconnecting' && this.client.connected;
    const filters = [...this.endpoints.keys()].map((address) => inboxFilter(this.options.runId, address));
    const results = await Promise.allSettled(filters.map((filter) => this.subscribe(filter)));
    if (!stillCurrent()) return; // the connection dropped again; the next CONNACK restores afresh
    for (const result of results) {
      // Sends still work, so the bus counts as connected; the endpoint that cannot receive is reported.
      if (result.status === 'rejected') this.events.error(result.reason as TransportError);
    }
    this.setState('connected');
  }

  private onClose(): void {
    if (this.connectionState !== 'connected' && this.connectionState !== 'reconnecting') return;
    if (this.connectionState === 'connected') {
      const lost = this.unavailable('connection lost', this.lastClientError);
      this.setState('reconnecting');
      this.failPending(lost);
      for (const core of this.endpoints.values()) core.failWaiters(lost);
      this.events.error(lost);
    }
    this.dropUnackedPublishes();
  }

  private onClientError(error: Error): void {
    this.lastClientError = error;
    if (!isAuthRefusal(error)) {
      // Before the first CONNACK, any error means we could not connect; later ones come with a close.
      if (this.connectionState === 'connecting') {
        this.initialFailure = this.unavailable(error.message, error);
        this.setState('closed');
      }
      return;
    }
    const wasRunning = this.connectionState === 'connected' || this.connectionState === 'reconnecting';
    this.setState('refused');
    if (wasRunning) {
      const refused = this.blockedReason() ?? this.unavailable(error.message);
      this.failPending(refused);
      for (const core of this.endpoints.values()) core.failWaiters(refused);
      this.events.error(refused as TransportError);
    }
  }

  /** Why nothing can be sent right now, or undefined when connected. */
  private blockedReason(): Error | undefined {
    switch (this.connectionState) {
      case 'connected':
        return this.client.connected ? undefined : this.unavailable('connection lost', this.lastClientError);
      case 'closed':
        return this.initialFailure ?? new LinkClosedError(`MQTT bus on ${this.options.url} is closed`);
      case 'refused':
        return new BrokerAuthError(this.options.url, this.lastClientError?.message ?? 'credentials refused', { cause: this.lastClientError });
      case 'connecting':
        return this.unavailable('not connected yet');
      case 'reconnecting':
        return this.unavailable('connection lost; reconnecting', this.lastClientError);
    }
  }

  private unavailable(detail: string, cause?: Error): BrokerUnavailableError {
    return new BrokerUnavailableError(this.options.url, detail, cause === undefined ? undefined : { cause });
  }

  private failPending(error: Error): void {
    for (const pending of [...this.pendingAcks]) pending.reject(error);
  }

  /** mqtt.js would resend unacknowledged QoS 1 publishes after reconnecting; their senders were already told they failed. */
  private dropUnackedPublishes(): void {
    for (const [messageId, outgoing] of Object.entries(this.client.outgoing)) {
      if (outgoing.cmd === 'publish') this.client.removeOutgoingMessage(Number(messageId));
    }
  }

  private setState(state: ConnectionState): void {
    if (this.connectionState === state) return;
    this.connectionState = state;
    for (const listener of [...this.stateListeners]) listener(state);
  }
}
