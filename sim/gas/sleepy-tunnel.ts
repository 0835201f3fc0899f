/**
 * The GBCS header on Transfer Data between a sleepy GSME and the hub (GBCS 10.2.2): the GSME asks for what is
 * waiting (GET), the hub answers with one message and how many remain (GET-RESPONSE), and the GSME sends its
 * responses and alerts (PUT). The hub cannot push to a GSME: its radio is off between polls.
 */

export const SLEEPY_TUNNEL_HEADER = { GET: 0x01, GET_RESPONSE: 0x02, PUT: 0x03 } as const;

export type SleepyTunnelMessage =
  | { kind: 'get' }
  /** `message` absent when nothing is waiting. */
  | { kind: 'get-response'; remaining: number; message?: Uint8Array }
  | { kind: 'put'; message: Uint8Array };

export class SleepyTunnelError extends Error {
  override readonly name = 'SleepyTunnelError';
}

export function encodeSleepyTunnel(m: SleepyTunnelMessage): Uint8Array {
  switch (m.kind) {
    case 'get':
      return Uint8Array.of(SLEEPY_TUNNEL_HEADER.GET);
    case 'get-response': {
      if (!Number.isInteger(m.remaining) || m.remaining < 0 || m.remaining > 0xff) throw new SleepyTunnelError(`remaining count ${m.remaining} does not fit one octet`);
      const body = m.message ?? new Uint8Array(0);
      const out = new Uint8Array(2 + body.length);
      out[0] = SLEEPY_TUNNEL_HEADER.GET_RESPONSE;
      out[1] = m.remaining;
      out.set(body, 2);
      return out;
    }
    case 'put': {
      const out = new Uint8Array(1 + m.message.length);
      out[0] = SLEEPY_TUNNEL_HEADER.PUT;
      out.set(m.message, 1);
      return out;
    }
  }
}

export function decodeSleepyTunnel(data: Uint8Array): SleepyTunnelMessage {
  switch (data[0]) {
    case SLEEPY_TUNNEL_HEADER.GET:
      if (data.length !== 1) throw new SleepyTunnelError(`GET carries nothing, got ${data.length - 1} more octets`);
      return { kind: 'get' };
    case SLEEPY_TUNNEL_HEADER.GET_RESPONSE: {
      const remaining = data[1];
      if (remaining === undefined) throw new SleepyTunnelError('GET-RESPONSE without its remaining count');
      return data.length > 2 ? { kind: 'get-response', remaining, message: data.slice(2) } : { kind: 'get-response', remaining };
    }
    case SLEEPY_TUNNEL_HEADER.PUT:
      if (data.length < 2) throw new SleepyTunnelError('PUT without a message');
      return { kind: 'put', message: data.slice(1) };
    default:
      throw new SleepyTunnelError(`unknown tunnel header ${data[0] === undefined ? '(empty)' : `0x${data[0].toString(16).padStart(2, '0')}`}`);
  }
}
