import { equalBytes } from '../bytes.ts';
import { GbcsDecodeError } from '../gbcs/errors.ts';
import { decodeMessage, messageToJson, type DecodedMessage } from '../gbcs/message.ts';
import type { GbcsSecurity } from '../gbcs/security.ts';
import type { EnvelopeMeta } from '../transport/envelope.ts';
import { ZclDecodeError } from '../zcl/errors.ts';
import { decodeZcl } from '../zcl/codec.ts';
import { TUNNELING_CLUSTER_ID, unwrapTunnel, type UnwrappedTunnelData } from '../zcl/tunnel.ts';
import { ZCL_CLUSTER_META } from '../../sim/core/metering-server.ts';

export interface FrameMeaning {
  useCase?: string;
  messageCode?: number;
  decoded?: Readonly<Record<string, unknown>>;
}

function gbcsMeaning(bytes: Uint8Array, security: GbcsSecurity): { meaning: FrameMeaning; message?: DecodedMessage } {
  try {
    const m = decodeMessage(bytes, security);
    const json = messageToJson(m) as Record<string, unknown>;
    return { meaning: { ...(m.useCase ? { useCase: m.useCase } : {}), messageCode: m.frame.header.other.messageCode, decoded: json }, message: m };
  } catch (e) {
    if (!(e instanceof GbcsDecodeError)) throw e;
    return { meaning: { decoded: { error: e.message } } };
  }
}

type GbcsMeaningOf = (bytes: Uint8Array) => FrameMeaning;

function tunnelMeaning(tunnelled: UnwrappedTunnelData, gbcs: GbcsMeaningOf): FrameMeaning {
  const first = tunnelled.data[0];
  if (first !== 0xdd && first !== 0xdf) {
    return { useCase: 'seTunneling.transferData', decoded: { tunnel: { id: tunnelled.tunnelId, direction: tunnelled.direction }, data: Buffer.from(tunnelled.data).toString('hex') } };
  }
  const inner = gbcs(tunnelled.data);
  return { ...inner, decoded: { tunnel: { id: tunnelled.tunnelId, direction: tunnelled.direction }, gbcs: inner.decoded ?? null } };
}

/** GBCS messages described lately, kept to describe the same message again on its next hop. */
const RECENT = 8;

/**
 * What frames on one simulated network mean, for the evidence log: GBCS decoded (with MAC and signature verdicts
 * from the head-end's keys), GBCS inside a ZCL Tunneling frame likewise, other ZCL by cluster and command. A frame
 * that does not decode says so; it is never dropped. A GBCS message crosses the WAN and the HAN with the same
 * bytes, so its meaning is worked out once and given to both frames.
 */
export class FrameDescriber {
  private readonly recent: { bytes: Uint8Array; generation: number; meaning: FrameMeaning; message?: DecodedMessage }[] = [];

  constructor(private readonly security: GbcsSecurity) {}

  describe(protocol: string, payload: Uint8Array, meta: EnvelopeMeta | undefined): FrameMeaning {
    return describeFrame(protocol, payload, meta, (bytes) => this.gbcs(bytes).meaning);
  }

  /**
   * A GBCS message decoded with the head-end's keys, as decodeMessage gives it (throwing GbcsDecodeError on bad
   * framing): the one worked out when the message crossed the network, when it did lately.
   */
  message(bytes: Uint8Array): DecodedMessage {
    return this.gbcs(bytes).message ?? decodeMessage(bytes, this.security);
  }

  private gbcs(bytes: Uint8Array): { meaning: FrameMeaning; message?: DecodedMessage } {
    // A key learnt or replaced since may change the verdicts: then the message is described afresh.
    const generation = this.security.keys.generation;
    const seen = this.recent.find((r) => r.generation === generation && equalBytes(r.bytes, bytes));
    if (seen) return seen;
    const described = gbcsMeaning(bytes, this.security);
    if (this.recent.length >= RECENT) this.recent.shift();
    this.recent.push({ bytes: bytes.slice(), generation, ...described });
    return described;
  }
}

function describeFrame(protocol: string, payload: Uint8Array, meta: EnvelopeMeta | undefined, gbcs: GbcsMeaningOf): FrameMeaning {
  if (protocol === 'gbcs') return gbcs(payload);
  // Only a cluster-specific frame (frame type bits 01) can be a Tunneling Transfer Data: global ones (the IHD's
  // and PPMID's reads, most of the HAN's frames) go straight to their cluster rather than through a thrown error.
  if (((payload[0] ?? 0) & 0x03) === 0x01) {
    try {
      return tunnelMeaning(unwrapTunnel(payload), gbcs);
    } catch (e) {
      if (!(e instanceof ZclDecodeError)) throw e;
    }
  }
  const cluster = meta?.[ZCL_CLUSTER_META];
  if (typeof cluster !== 'number' || cluster === TUNNELING_CLUSTER_ID) return { decoded: { error: 'ZCL frame of unknown cluster' } };
  try {
    const z = decodeZcl(payload, cluster);
    return { useCase: `${z.clusterName}.${z.commandName}`, decoded: { cluster: z.clusterName, command: z.commandName, seq: z.header.seq, payload: JSON.parse(JSON.stringify(z.payload, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))) as unknown } };
  } catch (e) {
    if (!(e instanceof ZclDecodeError)) throw e;
    return { decoded: { error: e.message } };
  }
}
