/** Policy violations and their stable rule ids: tooling and dashboards key on these ids, so never rename one. */

export type Severity = 'error' | 'warning';

export const RULE_SEVERITY = {
  // A device or a planned upgrade against the catalogue (and, for image admission, an offered image).
  'unknown-model': 'error',
  'device-type-mismatch': 'error',
  'wrong-manufacturer': 'error',
  'wrong-image-type': 'error',
  'hardware-out-of-range': 'error',
  'unknown-version': 'error',
  'version-not-current': 'error',
  'retired-version': 'error',
  downgrade: 'error',
  'multi-hop-upgrade': 'error',
  'upgrade-not-to-approved': 'error',
  'image-hash-mismatch': 'error',
  // The catalogue's own consistency.
  'approved-count': 'error',
  'previous-count': 'error',
  'duplicate-version': 'error',
  'state-out-of-order': 'error',
  'malformed-hash': 'error',
  // Allowed by the file format, but the head-end cannot build the activation (CS06) for the version.
  'missing-hash': 'warning',
  'hub-manufactured-not-approved': 'error',
  'exception-invalid': 'error',
} as const satisfies Record<string, Severity>;

export type RuleId = keyof typeof RULE_SEVERITY;
export const RULE_IDS = Object.keys(RULE_SEVERITY) as RuleId[];

export interface Violation {
  rule: RuleId;
  severity: Severity;
  message: string;
  /** The estate device concerned; absent for the catalogue's own violations. */
  device?: string;
  /** The catalogue model concerned, when there is one. */
  model?: string;
}

export function violation(rule: RuleId, message: string, about: { device?: string | undefined; model?: string | undefined }): Violation {
  const v: Violation = { rule, severity: RULE_SEVERITY[rule], message };
  if (about.device !== undefined) v.device = about.device;
  if (about.model !== undefined) v.model = about.model;
  return v;
}
