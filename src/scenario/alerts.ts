import { ALERT_CODE_NAMES } from '../gbcs/alert-codes.ts';
import { didYouMean } from './did-you-mean.ts';

/** An alert a scenario waits for: its 16-bit GBCS alert code and, when known, its GBCS name. */
export interface AlertCode {
  readonly code: number;
  readonly name?: string;
}

/** "Future-Dated Command Successfully Actioned" → "future-dated-command-successfully-actioned". */
export function alertSlug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

const CODE_BY_SLUG: ReadonlyMap<string, number> = new Map([...ALERT_CODE_NAMES].map(([code, name]) => [alertSlug(name), code]));

export const ALERT_EXPECTED = 'an alert code (0x8F66) or its name in kebab-case (future-dated-command-successfully-actioned)';

/** Reads `0x8F66` (a YAML number or text) or a kebab-case alert name. */
export function resolveAlertCode(raw: unknown): { ok: true; alert: AlertCode } | { ok: false; message: string } {
  const code = typeof raw === 'number' ? raw : typeof raw === 'string' && /^0x[0-9a-f]{1,4}$/i.test(raw.trim()) ? Number.parseInt(raw.trim().slice(2), 16) : undefined;
  if (code !== undefined) {
    if (!Number.isInteger(code) || code < 0 || code > 0xffff) return { ok: false, message: `${raw} is not a 16-bit alert code` };
    const name = ALERT_CODE_NAMES.get(code);
    return { ok: true, alert: name === undefined ? { code } : { code, name } };
  }
  if (typeof raw !== 'string') return { ok: false, message: 'expected an alert code or name' };
  const slug = alertSlug(raw);
  const byName = CODE_BY_SLUG.get(slug);
  if (byName !== undefined) return { ok: true, alert: { code: byName, name: ALERT_CODE_NAMES.get(byName)! } };
  const suggestion = didYouMean(slug, CODE_BY_SLUG.keys());
  return { ok: false, message: `unknown alert "${raw}"${suggestion ? `; did you mean "${suggestion}"?` : ''}` };
}

export function formatAlertCode(alert: AlertCode): string {
  const hex = `0x${alert.code.toString(16).toUpperCase().padStart(4, '0')}`;
  return alert.name === undefined ? hex : `${hex} ${alert.name}`;
}
