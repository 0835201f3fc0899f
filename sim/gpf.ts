import { normaliseEui, type Eui } from '../src/crypto/eui.ts';
import { GbcsDecodeError } from '../src/gbcs/errors.ts';
import { decodeFrame } from '../src/gbcs/frame.ts';
import { buildGpfDeviceLogBackupAlert, buildGpfDeviceLogRestoreResponse, type GpfDeviceLogRestoreOutcome } from '../src/gbcs/payload/asn1/index.ts';
import { cosemDateTime } from '../src/gbcs/payload/dlms/cosem-time.ts';
import { CLUSTER, encodeGbzMessage, statusResponse } from '../src/gbcs/payload/gbz/index.ts';
import { decodePayload } from '../src/gbcs/payload/index.ts';
import type { Envelope } from '../src/transport/envelope.ts';
import { ZclDecodeError } from '../src/zcl/errors.ts';
import { unwrapTunnel, wrapGbcsInTunnel } from '../src/zcl/tunnel.ts';
import type { CommsHub, GasProxy } from './chf.ts';
import type { DeviceEnvironment } from './core/device.ts';
import { GbcsDevice, type CommandContext, type GbcsDeviceOptions, type UseCaseReply } from './core/gbcs-device.ts';
import { MeteringServer, TUNNELING_CLUSTER, ZCL_CLUSTER_META } from './core/metering-server.ts';
import { answerReads, gbzCommandOf, responseEncryptor, ZCL_STATUS } from './gas/gbz-replies.ts';
import { deviceTypeName, GpfDeviceLog, type GpfDeviceLogEntry } from './gas/gpf-device-log.ts';
import { GSME_MESSAGE_CODE } from './gas/gsme-use-cases.ts';
import { GsmeMirror, readingsFromMirror } from './gas/mirror.ts';
import { SleepyQueue } from './gas/sleepy-queue.ts';
import { decodeSleepyTunnel, encodeSleepyTunnel, SleepyTunnelError } from './gas/sleepy-tunnel.ts';
import { VOLUME_UNITS_PER_M3, wholeSeconds } from './gas/units.ts';
import { MESSAGE_CODE as CODE } from '../src/gbcs/message-codes.ts';

export const GPF_MESSAGE_CODE = {
  GCS59_RESTORE_DEVICE_LOG: CODE.GCS59,
  GCS62_DEVICE_LOG_BACKUP: CODE.GCS62,
} as const;

export const GPF_DEFAULTS = {
  queueCapacity: 32,
  /** A queued command not collected within a day is dropped, as hub firmware does. */
  queueTimeoutMs: 24 * 3_600_000,
  deviceLogCapacity: 8,
} as const;

export interface GasProxyFunctionOptions extends GbcsDeviceOptions {
  queueCapacity?: number;
  queueTimeoutMs?: number;
  deviceLogCapacity?: number;
}

/** Something the GPF could not do, kept for the record. */
export interface GpfIncident {
  at: number;
  what: 'queue-full' | 'expired' | 'unknown-han-sender' | 'not-joined' | 'malformed-han-frame' | 'unsupported-han-frame' | 'no-hub';
  detail: string;
}

/**
 * The Gas Proxy Function: a logical device in the Comms Hub with its own EUI and keys. It answers the reads GBCS
 * lets it answer (GCS14, GCS60a addressed to it) from its mirror of the GSME's attributes; it queues commands
 * addressed to the sleepy GSME until the GSME polls, and passes the GSME's responses and alerts to the WAN; it
 * keeps the GPF device log, backs it up to the DCC (GCS62) and takes it back on a replacement hub (GCS59).
 * HAN devices joined with it (IHDs, PPMIDs) read gas consumption and credit from the mirror. It is powered with
 * its hub.
 */
export class GasProxyFunction extends GbcsDevice implements GasProxy {
  readonly kind = 'GPF';
  readonly deviceLog: GpfDeviceLog;
  readonly mirror = new GsmeMirror();
  readonly incidents: GpfIncident[] = [];
  /** Read Attributes from the IHDs and PPMIDs in the device log, answered from the mirror. */
  readonly meteringServer: MeteringServer;
  private readonly queue: SleepyQueue;
  private readonly acb: Eui;
  private hub: CommsHub | undefined;
  private backupDue = false;
  private gsmeTunnelSeq = 0;

  constructor(env: DeviceEnvironment, eui: Eui, options: GasProxyFunctionOptions) {
    super(env, eui, options);
    this.acb = normaliseEui(options.acb ?? options.pki.roles.acb);
    this.queue = new SleepyQueue(options.queueCapacity ?? GPF_DEFAULTS.queueCapacity, options.queueTimeoutMs ?? GPF_DEFAULTS.queueTimeoutMs);
    this.deviceLog = new GpfDeviceLog(options.deviceLogCapacity ?? GPF_DEFAULTS.deviceLogCapacity);
    this.meteringServer = new MeteringServer({
      clock: this.clock,
      format: { unit: 'm3', multiplier: 1, divisor: VOLUME_UNITS_PER_M3 },
      readings: () => readingsFromMirror(this.mirror),
      send: (to, frame, meta) => this.transmit(to, 'zcl', frame, meta),
    });
    this.useCase([GSME_MESSAGE_CODE.GCS14_PREPAYMENT_REGISTERS, GSME_MESSAGE_CODE.GCS60A_METER_BALANCE], (ctx) => this.readMirror(ctx));
    this.useCase(GPF_MESSAGE_CODE.GCS59_RESTORE_DEVICE_LOG, (ctx) => this.restoreDeviceLog(ctx));
  }

  /** Part of the hub, in service with it. */
  get commissioned(): boolean {
    return true;
  }

  get gsmeEui(): Eui | undefined {
    return this.deviceLog.gsme;
  }

  /** Commands waiting for the GSME to poll. */
  get waitingForGsme(): number {
    return this.queue.length;
  }

  /** Installs this GPF in a hub: the hub hands it GPF and GSME traffic, and it reaches the WAN through the hub. */
  attachTo(hub: CommsHub): void {
    this.hub = hub;
    hub.gpf = this;
    // The GSME's firmware is served from the GPF's address (sim/firmware/distributor.ts).
    hub.firmware.serveVia(this.eui, (to, frame, meta) => this.transmit(to, 'zcl', frame, meta));
  }

  /** Joins a device with the GPF (the GSME, or a PPMID or IHD reading gas data); a change is backed up to the DCC. */
  addToDeviceLog(entry: GpfDeviceLogEntry): GpfDeviceLogRestoreOutcome['joinResponseCode'] {
    const { outcome, changed } = this.deviceLog.add(entry);
    if (changed) this.backUpDeviceLogSoon();
    return outcome;
  }

  removeFromDeviceLog(eui: Eui): boolean {
    const removed = this.deviceLog.remove(eui);
    if (removed) this.backUpDeviceLogSoon();
    return removed;
  }

  async fromWan(bytes: Uint8Array, recipient: Eui): Promise<Uint8Array[]> {
    if (recipient === this.eui) return this.processCommand(bytes);
    if (recipient === this.gsmeEui) this.enqueueForGsme(bytes);
    return [];
  }

  protected async handle(envelope: Envelope): Promise<void> {
    if (envelope.protocol !== 'zcl' || !this.hub?.powered) return;
    const sender = this.deviceLog.get(envelope.from);
    if (!sender) {
      this.incident('unknown-han-sender', `ZCL from ${envelope.from}, which is not in the GPF device log`);
      return;
    }
    if (!this.hub.deviceLog.get(envelope.from)?.joined) {
      this.incident('not-joined', `ZCL from ${envelope.from}, which has not joined the hub's HAN`);
      return;
    }
    if (sender.deviceType === 'GSME') return this.fromGsme(envelope);
    if (!(await this.meteringServer.handle(envelope))) this.incident('unsupported-han-frame', `ZCL from ${sender.deviceType} ${envelope.from} that the GPF does not serve`);
  }

  private async fromGsme(envelope: Envelope): Promise<void> {
    const gsme = envelope.from;
    if (this.hub?.firmware.fromHan(envelope, this.eui)) return;
    try {
      const cluster = envelope.meta?.[ZCL_CLUSTER_META];
      if (typeof cluster === 'number' && cluster !== TUNNELING_CLUSTER) this.mirror.apply(cluster, envelope.payload, this.clock.now());
      else await this.fromGsmeTunnel(gsme, unwrapTunnel(envelope.payload).data);
    } catch (e) {
      if (!(e instanceof ZclDecodeError || e instanceof SleepyTunnelError)) throw e;
      this.incident('malformed-han-frame', e.message);
    }
  }

  private async fromGsmeTunnel(gsme: Eui, data: Uint8Array): Promise<void> {
    const message = decodeSleepyTunnel(data);
    if (message.kind === 'put') {
      await this.requireHub().toWan([message.message]);
      return;
    }
    if (message.kind !== 'get') return;
    const { command, remaining, expired } = this.queue.take(this.clock.now());
    for (const e of expired) this.incident('expired', `message code 0x${e.messageCode.toString(16).padStart(4, '0')} (counter ${e.counter}) was not collected within ${this.queue.timeoutMs} ms`);
    const answer = encodeSleepyTunnel({ kind: 'get-response', remaining: Math.min(remaining, 0xff), ...(command ? { message: command.bytes } : {}) });
    this.gsmeTunnelSeq = (this.gsmeTunnelSeq + 1) & 0xff;
    const frame = wrapGbcsInTunnel(Number.parseInt(gsme.slice(-4), 16), this.gsmeTunnelSeq, answer, 'serverToClient');
    await this.transmit(gsme, 'zcl', frame, { [ZCL_CLUSTER_META]: TUNNELING_CLUSTER });
  }

  private enqueueForGsme(bytes: Uint8Array): void {
    const h = decodeFrame(bytes).header;
    const queued = this.queue.push({ bytes, messageCode: h.other.messageCode, counter: h.counter, queuedAt: this.clock.now() });
    if (!queued) this.incident('queue-full', `${this.queue.capacity} commands already wait for the GSME; message code 0x${h.other.messageCode.toString(16).padStart(4, '0')} dropped`);
  }


  /** GCS14 / GCS60a from the mirror; the date-time says when the GSME last reported. */
  private readMirror({ frame }: CommandContext): UseCaseReply {
    const message = gbzCommandOf(frame);
    const encrypt = responseEncryptor(this.guard.security, frame, this.eui);
    const prepaymentEncrypted = frame.header.other.messageCode === GSME_MESSAGE_CODE.GCS14_PREPAYMENT_REGISTERS;
    const answer = answerReads(message, (c, a) => this.mirror.read(c, a), (c) => (prepaymentEncrypted && c === CLUSTER.PREPAYMENT ? encrypt : undefined));
    return {
      payload: encodeGbzMessage(answer ?? statusResponse(message, ZCL_STATUS.MALFORMED_COMMAND)),
      responseDateTime: cosemDateTime(wholeSeconds(this.mirror.updatedAt ?? this.clock.now())),
    };
  }

  private restoreDeviceLog({ frame }: CommandContext): UseCaseReply {
    const decoded = decodePayload(frame.payload, { messageCode: frame.header.other.messageCode, cra: 1, offset: frame.payloadOffset });
    if (decoded?.kind !== 'gpf-device-log-restore-command') throw new GbcsDecodeError(frame.payloadOffset, 'a GPF device log restore command', decoded?.kind ?? 'no known payload');
    const entries = (decoded.fields as { deviceLogEntries: { deviceId: string; deviceType: { value: number } }[] }).deviceLogEntries;
    const outcomes: GpfDeviceLogRestoreOutcome[] = entries.map((e) => {
      const deviceType = deviceTypeName(e.deviceType.value);
      const joinResponseCode = deviceType ? this.addToDeviceLog({ deviceId: e.deviceId, deviceType }) : 'invalidJoinMethodAndRole';
      return { deviceId: e.deviceId, deviceType: e.deviceType.value, joinResponseCode };
    });
    return { payload: buildGpfDeviceLogRestoreResponse(outcomes) };
  }

  /** GCS62 goes after whatever response announced the change, once for changes made together. */
  private backUpDeviceLogSoon(): void {
    if (this.backupDue) return;
    this.backupDue = true;
    this.clock.setTimer(0, () => {
      this.backupDue = false;
      void this.backUpDeviceLog().catch((e: unknown) => this.onHandlerError(e));
    });
  }

  private async backUpDeviceLog(): Promise<void> {
    if (!this.hub) {
      this.incident('no-hub', 'the GPF device log changed but the GPF is in no hub to send its backup');
      return;
    }
    const payload = buildGpfDeviceLogBackupAlert({ backupDateTime: wholeSeconds(this.clock.now()), deviceLogEntries: this.deviceLog.entries });
    await this.hub.toWan([this.guard.alert(this.acb, GPF_MESSAGE_CODE.GCS62_DEVICE_LOG_BACKUP, payload)]);
  }

  private requireHub(): CommsHub {
    if (!this.hub) throw new Error(`GPF ${this.eui} is in no hub`);
    return this.hub;
  }

  private incident(what: GpfIncident['what'], detail: string): void {
    this.incidents.push({ at: this.clock.now(), what, detail });
  }
}
