/** How a frame reads for people: the same words in the HTML report and at the terminal. */
import { fromHex } from '../bytes.ts';
import { decodeMessage, messageToJson } from '../gbcs/message.ts';
import { canonicalJson } from './canonical-json.ts';
import type { FrameEvent } from './events.ts';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * The frame's decoded fields: as recorded, or, for a GBCS frame recorded without them, decoded now from its
 * bytes. Recorded fields are taken in their canonical spelling (keys sorted, bigints as text, bytes as hex),
 * as evidence.jsonl holds them, so a live report and one rebuilt from the log read the same.
 */
export function frameFields(frame: FrameEvent): JsonValue | undefined {
  if (frame.decoded !== undefined) return JSON.parse(canonicalJson(frame.decoded)) as JsonValue;
  if (frame.protocol !== 'gbcs') return undefined;
  try {
    return messageToJson(decodeMessage(fromHex(frame.hex)));
  } catch (error) {
    return { notDecoded: (error as Error).message };
  }
}

export function messageCodeText(code: number): string {
  return `0x${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

export function directionArrow(frame: FrameEvent): string {
  return frame.direction === 'downstream' ? '→' : '←';
}

/** "downstream headend → esme gbcs ECS10 0x0021 72 bytes" */
export function frameHeadline(frame: FrameEvent): string {
  return [
    frame.direction,
    `${frame.from} → ${frame.to}`,
    frame.protocol,
    frame.useCase,
    frame.messageCode === undefined ? undefined : messageCodeText(frame.messageCode),
    `${Math.floor(frame.hex.length / 2)} bytes`,
  ]
    .filter((part) => part !== undefined)
    .join(' ');
}

/** Leaf values with their dotted paths: `payload.fields.responses.0.result.name` → "hardware-fault". */
export function flattenFields(value: JsonValue, path = ''): [string, string][] {
  if (value === null || typeof value !== 'object') return [[path || 'value', typeof value === 'string' ? value : JSON.stringify(value)]];
  const entries = Array.isArray(value) ? value.map((item, index) => [String(index), item] as const) : Object.entries(value);
  if (entries.length === 0) return [[path || 'value', Array.isArray(value) ? '[]' : '{}']];
  return entries.flatMap(([key, item]) => flattenFields(item, path ? `${path}.${key}` : key));
}

/** Upper-case hex as an offset-and-bytes dump, 16 bytes a line, for the first `limit` bytes. */
export function hexDump(hex: string, limit = 4096): { readonly lines: string[]; readonly omittedBytes: number } {
  const bytes = Math.floor(hex.length / 2);
  const shown = Math.min(bytes, limit);
  const lines: string[] = [];
  for (let offset = 0; offset < shown; offset += 16) {
    const row = hex.slice(offset * 2, Math.min(offset + 16, shown) * 2).toUpperCase();
    lines.push(`${offset.toString(16).toUpperCase().padStart(4, '0')}  ${row.replace(/(..)(?!$)/g, '$1 ')}`);
  }
  return { lines, omittedBytes: bytes - shown };
}
