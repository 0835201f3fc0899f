import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** ../shared beside the project root, as on developer machines and in CI. */
export const SHARED = resolve(here, '../../../shared');
export const RTDS_ROOT = join(SHARED, 'rtds/RTDS-4.5.0');
export const RTDS_KEYSTORE = join(SHARED, 'rtds/keystore');

export interface RtdsMessage {
  /** e.g. `2.2_CS01a` */
  folder: string;
  file: string;
  /** COMMAND, PRECOMMAND, RESPONSE or ALERT */
  kind: 'COMMAND' | 'PRECOMMAND' | 'RESPONSE' | 'ALERT';
  bytes: Uint8Array;
}

let cache: RtdsMessage[] | undefined;

export function rtdsMessages(): RtdsMessage[] {
  if (cache) return cache;
  const out: RtdsMessage[] = [];
  for (const folder of readdirSync(RTDS_ROOT).sort()) {
    for (const file of readdirSync(join(RTDS_ROOT, folder)).sort()) {
      if (!file.endsWith('.HEX')) continue;
      const kind = (['PRECOMMAND', 'COMMAND', 'RESPONSE', 'ALERT'] as const).find((k) => file.includes(`_${k}`));
      if (!kind) throw new Error(`unclassified RTDS file ${file}`);
      const text = readFileSync(join(RTDS_ROOT, folder, file), 'utf8').trim();
      out.push({ folder, file, kind, bytes: new Uint8Array(Buffer.from(text, 'hex')) });
    }
  }
  return (cache = out);
}
