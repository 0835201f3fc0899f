import { normaliseEui, type Eui } from '../../src/crypto/eui.ts';
import type { Envelope } from '../../src/transport/envelope.ts';
import { ZclDecodeError } from '../../src/zcl/errors.ts';
import { unwrapTunnel, wrapGbcsInTunnel } from '../../src/zcl/tunnel.ts';
import type { DeviceEnvironment } from './device.ts';
import { GbcsDevice, type GbcsDeviceOptions } from './gbcs-device.ts';
import { decodeHan, encodeHan, hashTcLinkKey, HanMessageError, installCodeKey, joinProof, rejoinProof, type HanMessage } from './han.ts';

export interface HanDeviceOptions extends GbcsDeviceOptions {
  /** The device's ZigBee install code (given to the hub by CCS01 before it can join). */
  installCode: Uint8Array;
}

export type NetworkState = 'not-joined' | 'joining' | 'joined' | 'refused' | 'lost';

/**
 * A device on the HAN: it joins a hub with its install code, takes GBCS from the hub inside Tunneling cluster
 * Transfer Data frames and answers the same way. Other ZCL (metering reads, OTA) is the subclass's.
 */
export abstract class HanDevice extends GbcsDevice {
  readonly installCode: Uint8Array;
  hub: Eui | undefined;
  network: NetworkState = 'not-joined';
  lastJoinRefusal: string | undefined;
  panId: number | undefined;
  /** The network it belongs to: a hub forming a network with this extended PAN id (after CCS03) gets it back. */
  extendedPanId: Eui | undefined;
  /** Hash of the TC link key established by its join; it proves a rejoin with it. */
  private linkKeyHash: Uint8Array | undefined;
  private tunnelSeq = 0;

  constructor(env: DeviceEnvironment, eui: Eui, options: HanDeviceOptions) {
    super(env, eui, options);
    this.installCode = Uint8Array.from(options.installCode);
  }

  /** Asks a hub to let it join; the answer arrives as a `join-response`. */
  async join(hub: Eui): Promise<void> {
    this.hub = normaliseEui(hub);
    this.network = 'joining';
    const nonce = this.random.bytes(8);
    await this.transmit(this.hub, 'han', encodeHan({ type: 'join-request', device: this.eui, deviceType: this.kind, nonce, proof: joinProof(this.installCode, this.eui, this.hub, nonce) }));
  }

  /** Rejoins a hub that formed its network with this device's extended PAN id, with the TC link key it holds. */
  async rejoinWithLinkKey(hub: Eui): Promise<void> {
    if (!this.linkKeyHash) throw new Error(`${this.eui} holds no TC link key to rejoin with`);
    this.hub = normaliseEui(hub);
    this.network = 'joining';
    const nonce = this.random.bytes(8);
    await this.transmit(this.hub, 'han', encodeHan({ type: 'rejoin-request', device: this.eui, nonce, proof: rejoinProof(this.linkKeyHash, this.eui, this.hub, nonce) }));
  }

  async leave(): Promise<void> {
    if (this.hub) await this.transmit(this.hub, 'han', encodeHan({ type: 'leave', device: this.eui }));
    this.network = 'not-joined';
  }

  /** The hub went away (power cut, replacement): the device knows it has lost the network. */
  networkLost(): void {
    if (this.network === 'joined') this.network = 'lost';
  }

  protected override onPowerOff(): void {
    // ZigBee devices keep their network parameters across power cuts; they are simply silent meanwhile.
  }

  protected async handle(envelope: Envelope): Promise<void> {
    if (envelope.protocol === 'han') return this.fromNetwork(envelope);
    if (envelope.protocol !== 'zcl' || envelope.from !== this.hub || this.network !== 'joined') return;
    return this.fromZcl(envelope);
  }

  /** ZCL from the hub: GBCS in a Transfer Data frame unless a subclass recognises another cluster first. */
  protected async fromZcl(envelope: Envelope): Promise<void> {
    let data: Uint8Array;
    try {
      data = unwrapTunnel(envelope.payload).data;
    } catch (e) {
      if (!(e instanceof ZclDecodeError)) throw e;
      this.refuse({ reason: 'malformed', detail: `ZCL from ${envelope.from}: ${e.message}` });
      return;
    }
    for (const frame of await this.processCommand(data)) await this.sendToHub(frame);
  }

  /** Sends a GBCS frame (a response or an alert) to the hub inside a Transfer Data frame. */
  protected async sendToHub(gbcs: Uint8Array): Promise<void> {
    if (!this.hub || this.network !== 'joined') return;
    this.tunnelSeq = (this.tunnelSeq + 1) & 0xff;
    await this.transmit(this.hub, 'zcl', wrapGbcsInTunnel(Number.parseInt(this.eui.slice(-4), 16), this.tunnelSeq, gbcs, 'clientToServer'));
  }

  private async fromNetwork(envelope: Envelope): Promise<void> {
    let message: HanMessage;
    try {
      message = decodeHan(envelope.payload);
    } catch (e) {
      if (!(e instanceof HanMessageError)) throw e;
      return;
    }
    // A device off its network rejoins the first hub it hears forming that network again (hub replacement).
    if (message.type === 'beacon') {
      if (this.network !== 'joined' && this.linkKeyHash && message.extendedPanId === this.extendedPanId) await this.rejoinWithLinkKey(envelope.from);
      return;
    }
    if (envelope.from !== this.hub) return;
    if (message.type === 'leave') {
      // Removed from the hub's device log (CCS02): told to leave, it forgets the network.
      this.network = 'not-joined';
      this.panId = undefined;
      this.extendedPanId = undefined;
      this.linkKeyHash = undefined;
      return;
    }
    if (message.type !== 'join-response') return;
    if (message.status === 'accepted') {
      this.network = 'joined';
      this.panId = message.panId;
      this.extendedPanId = message.extendedPanId;
      this.linkKeyHash ??= hashTcLinkKey(installCodeKey(this.installCode));
      this.lastJoinRefusal = undefined;
    } else {
      this.network = 'refused';
      this.lastJoinRefusal = message.reason ?? 'refused';
    }
  }
}
