import { checkName, isValidName, type Envelope } from './envelope.ts';

/**
 * Topic scheme (see docs/transport.md): `hanlab/<run-id>/<to-address>/<protocol>`. Every level is a
 * checked name, so none can hold a `/`, `+` or `#`.
 */
export const TOPIC_ROOT = 'hanlab';

export function envelopeTopic(runId: string, envelope: Pick<Envelope, 'to' | 'protocol'>): string {
  return `${TOPIC_ROOT}/${checkName(runId, 'run id')}/${checkName(envelope.to, 'envelope.to')}/${checkName(envelope.protocol, 'envelope.protocol')}`;
}

/** Everything addressed to `address` in this run, whatever the protocol. */
export function inboxFilter(runId: string, address: string): string {
  return `${TOPIC_ROOT}/${checkName(runId, 'run id')}/${checkName(address, 'endpoint address')}/+`;
}

export interface ParsedTopic {
  readonly runId: string;
  readonly to: string;
  readonly protocol: string;
}

export function parseTopic(topic: string): ParsedTopic | undefined {
  const [root, runId, to, protocol, ...rest] = topic.split('/');
  if (root !== TOPIC_ROOT || rest.length > 0) return undefined;
  if (!isValidName(runId) || !isValidName(to) || !isValidName(protocol)) return undefined;
  return { runId, to, protocol };
}
