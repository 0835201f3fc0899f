/**
 * Smart Energy Tunneling cluster (0x0704), which carries GBCS messages between the Comms Hub and HAN devices.
 * Which side is the tunnel server depends on who opened the tunnel (the hub opens tunnels to ESME/PPMID/HCALCS as the
 * client; a GSME opens its tunnel to the hub), so Transfer Data and its companions take an explicit direction.
 * Transfer Data carries the tunnel id and then the data to the end of the frame, of any length; GBCS keeps each
 * message within the peer's MaximumIncomingTransferSize (1500 octets), which is session state, not framing.
 */
import { commandIdOffset, decodeZcl, encodeZcl, payloadOffset, type DecodedZcl, type ZclDirection, type ZclHeaderFields } from './codec.ts';
import { ZclDecodeError } from './errors.ts';

export const TUNNELING_CLUSTER_ID = 0x0704;

/** GBCS 10.2.2: every RequestTunnel for Remote Party Messages uses these values. */
export const GBCS_TUNNEL = {
  protocolId: 6, // 'GB-HGRP'
  manufacturerCode: 0xffff, // not used
  flowControlSupport: false,
  maxIncomingTransferSize: 1500,
} as const;

/** RequestTunnelResponse status. */
export const TunnelStatus = {
  SUCCESS: 0x00,
  BUSY: 0x01,
  NO_MORE_TUNNEL_IDS: 0x02,
  PROTOCOL_NOT_SUPPORTED: 0x03,
  FLOW_CONTROL_NOT_SUPPORTED: 0x04,
} as const;

/** TransferDataError status. */
export const TransferDataStatus = {
  NO_SUCH_TUNNEL: 0x00,
  WRONG_DEVICE: 0x01,
  DATA_OVERFLOW: 0x02,
} as const;

export type TunnelMessage =
  | { command: 'requestTunnel'; protocolId: number; manufacturerCode: number; flowControlSupport: boolean; maxIncomingTransferSize: number }
  | { command: 'requestTunnelResponse'; tunnelId: number; status: number; maxIncomingTransferSize: number }
  | { command: 'closeTunnel'; tunnelId: number }
  | { command: 'closureNotification'; tunnelId: number }
  | { command: 'transferData'; direction: ZclDirection; tunnelId: number; data: Uint8Array }
  | { command: 'transferDataError'; direction: ZclDirection; tunnelId: number; status: number }
  | { command: 'ackTransferData'; direction: ZclDirection; tunnelId: number; numberOfBytesLeft: number }
  | { command: 'readyData'; direction: ZclDirection; tunnelId: number; numberOfOctetsLeft: number };

export type TunnelCommand = TunnelMessage['command'];

export interface TunnelFrame {
  header: ZclHeaderFields;
  message: TunnelMessage;
}

export interface TunnelEncodeOptions {
  disableDefaultResponse?: boolean;
}

const ONE_WAY: Partial<Record<TunnelCommand, ZclDirection>> = {
  requestTunnel: 'clientToServer',
  closeTunnel: 'clientToServer',
  requestTunnelResponse: 'serverToClient',
  closureNotification: 'serverToClient',
};

const HERDSMAN_NAME: Partial<Record<TunnelCommand, string>> = { requestTunnelResponse: 'requestTunnelRsp' };
const OUR_NAME = new Map<string, TunnelCommand>([
  ['requestTunnel', 'requestTunnel'],
  ['requestTunnelRsp', 'requestTunnelResponse'],
  ['closeTunnel', 'closeTunnel'],
  ['closureNotification', 'closureNotification'],
  ['transferData', 'transferData'],
  ['transferDataError', 'transferDataError'],
  ['ackTransferData', 'ackTransferData'],
  ['readyData', 'readyData'],
]);

function directionOf(message: TunnelMessage): ZclDirection {
  return 'direction' in message ? message.direction : (ONE_WAY[message.command] as ZclDirection);
}

export function encodeTunnel(message: TunnelMessage, seq: number, options: TunnelEncodeOptions = {}): Uint8Array {
  const { command, ...fields } = message;
  const payload: Record<string, unknown> = { ...fields };
  delete payload.direction;
  if (message.command === 'requestTunnel') {
    delete payload.flowControlSupport;
    payload.flowControl = message.flowControlSupport ? 1 : 0; // herdsman's name; BOOLEAN on the wire
  }
  return encodeZcl({
    cluster: 'seTunneling',
    command: HERDSMAN_NAME[command] ?? command,
    frameType: 'specific',
    direction: directionOf(message),
    seq,
    payload,
    disableDefaultResponse: options.disableDefaultResponse ?? false,
  });
}

function toMessage(decoded: DecodedZcl): TunnelMessage {
  const command = OUR_NAME.get(decoded.commandName);
  if (command === undefined) {
    throw new ZclDecodeError('a Tunneling command this codec models', commandIdOffset(decoded.header), decoded.commandName);
  }
  const p = decoded.payload as Record<string, number>;
  const direction = decoded.header.direction;
  switch (command) {
    case 'requestTunnel': {
      const flag = p.flowControl;
      if (flag !== 0 && flag !== 1) {
        // protocolId (1) and manufacturerCode (2) come first
        throw new ZclDecodeError('flowControlSupport as boolean 0x00 or 0x01', payloadOffset(decoded.header) + 3, String(flag));
      }
      return {
        command,
        protocolId: p.protocolId!,
        manufacturerCode: p.manufacturerCode!,
        flowControlSupport: flag === 1,
        maxIncomingTransferSize: p.maxIncomingTransferSize!,
      };
    }
    case 'requestTunnelResponse':
      return { command, tunnelId: p.tunnelId!, status: p.status!, maxIncomingTransferSize: p.maxIncomingTransferSize! };
    case 'closeTunnel':
    case 'closureNotification':
      return { command, tunnelId: p.tunnelId! };
    case 'transferData':
      return { command, direction, tunnelId: p.tunnelId!, data: (decoded.payload as { data: Uint8Array }).data };
    case 'transferDataError':
      return { command, direction, tunnelId: p.tunnelId!, status: p.status! };
    case 'ackTransferData':
      return { command, direction, tunnelId: p.tunnelId!, numberOfBytesLeft: p.numberOfBytesLeft! };
    case 'readyData':
      return { command, direction, tunnelId: p.tunnelId!, numberOfOctetsLeft: p.numberOfOctetsLeft! };
  }
}

/** Decode a Tunneling cluster frame; numbers are the values on the wire (0xFFFF stays 0xFFFF). */
export function decodeTunnel(bytes: Uint8Array): TunnelFrame {
  const decoded = decodeZcl(bytes, TUNNELING_CLUSTER_ID, { keepNoValueMarkers: true });
  if (decoded.header.frameType !== 'specific') {
    throw new ZclDecodeError('a cluster-specific Tunneling command', 0, `global command ${decoded.commandName}`);
  }
  return { header: decoded.header, message: toMessage(decoded) };
}

/** A Transfer Data frame carrying one GBCS message. */
export function wrapGbcsInTunnel(tunnelId: number, seq: number, gbcsBytes: Uint8Array, direction: ZclDirection): Uint8Array {
  return encodeTunnel({ command: 'transferData', direction, tunnelId, data: gbcsBytes }, seq);
}

export interface UnwrappedTunnelData {
  tunnelId: number;
  seq: number;
  direction: ZclDirection;
  data: Uint8Array;
}

/** The GBCS bytes inside a Transfer Data frame; any other frame is a ZclDecodeError. */
export function unwrapTunnel(bytes: Uint8Array): UnwrappedTunnelData {
  const { header, message } = decodeTunnel(bytes);
  if (message.command !== 'transferData') throw new ZclDecodeError('a Transfer Data command', commandIdOffset(header), message.command);
  return { tunnelId: message.tunnelId, seq: header.seq, direction: message.direction, data: message.data };
}
