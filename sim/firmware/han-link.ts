/**
 * The radio between an OTA server in the hub and one HAN device, for firmware transfers. Frames go through the
 * OtaLink model (src/ota/transfer/link.ts: 250 kbit/s half-duplex channel, per-radio-frame latency, optional loss
 * and corruption drawn from a seeded Random) and are carried on the bus as `zcl` envelopes with cluster 0x0019:
 *
 *   server → link (air time, loss) → bus envelope to the device   (the bus shows what the device's radio hears)
 *   device → bus envelope → link (air time, loss) → server         (the bus shows what the device transmitted)
 *
 * So transfers take modelled time (what wake windows, progress and a "power cut at 50 %" need), every frame that
 * crosses is in the evidence log, and the device's fault switches apply to its frames like to any other.
 * With the link model 'off' frames cross in no time and nothing is lost on the air.
 */
import type { Eui } from '../../src/crypto/eui.ts';
import { OtaLink, type LinkModel } from '../../src/ota/transfer/link.ts';
import type { OtaServer } from '../../src/ota/transfer/server.ts';
import type { Clock } from '../../src/time/clock.ts';
import type { Random } from '../../src/time/random.ts';
import type { EnvelopeMeta } from '../../src/transport/envelope.ts';
import { OTA_META } from './ota-endpoint.ts';

export interface HanLinkOptions {
  clock: Clock;
  random: Random;
  model: Partial<LinkModel> | 'off';
  server: OtaServer;
  peer: Eui;
  /** Sends a frame from the serving endpoint (hub or GPF) to the peer on the bus. */
  transmit(to: Eui, frame: Uint8Array, meta: EnvelopeMeta): Promise<void>;
  report(error: unknown): void;
}

export class HanOtaLink {
  private readonly link: OtaLink;

  constructor(private readonly o: HanLinkOptions) {
    this.link = new OtaLink({ clock: o.clock, model: o.model, random: o.random });
    this.link.onError((e) => o.report(e));
    this.link.client.onReceive((frame) => {
      void o.transmit(o.peer, frame, OTA_META).catch((e: unknown) => o.report(e));
    });
    o.server.connect(o.peer, this.link.server);
  }

  get stats() {
    return this.link.stats;
  }

  /** A frame the peer sent, as the hub's radio received it from the bus. */
  fromPeer(frame: Uint8Array): void {
    this.link.client.send(frame);
  }

  close(): void {
    this.o.server.disconnect(this.o.peer);
    this.link.close();
  }
}
