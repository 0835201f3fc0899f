import type { Outcome } from './outcome.ts';
import type { RunResults } from './results.ts';

const WORD: Readonly<Record<Outcome, string>> = { pass: 'PASS', fail: 'FAIL', error: 'ERROR', skipped: 'SKIP' };

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  const line = (row: readonly string[]): string => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join('\n');
}

/** `-` where a scenario did not run in a set. */
function outcomeCell(outcome: Outcome | undefined): string {
  return outcome === undefined ? '-' : WORD[outcome];
}

function oneLine(text: string, limit: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > limit ? `${flat.slice(0, limit - 1)}…` : flat;
}

/**
 * The results as a plain-text table: scenario × configuration set for a matrix run, or scenario,
 * outcome, time and reason for a single set; then the totals.
 */
export function formatSummaryTable(results: RunResults): string {
  const { counts } = results;
  const totals = `${counts.total} scenario run(s): ${counts.pass} passed, ${counts.fail} failed, ${counts.error} errored, ${counts.skipped} skipped`;
  const critical = results.criticalFailures > 0 ? `; ${results.criticalFailures} critical failure(s)` : '';
  if (counts.total === 0) return `${totals}${critical}`;
  if (results.sets.length > 1) {
    const ids = [...new Set(results.sets.flatMap((set) => set.scenarios.map((scenario) => scenario.scenarioId)))];
    const rows = [
      ['scenario', ...results.sets.map((set) => set.id)],
      ...ids.map((id) => [id, ...results.sets.map((set) => outcomeCell(set.scenarios.find((scenario) => scenario.scenarioId === id)?.outcome))]),
    ];
    const legend = results.sets.map((set) => `  ${set.id}: ${set.label}`).join('\n');
    return `${table(rows)}\n\n${legend}\n${totals}${critical}`;
  }
  const rows = [
    ['scenario', 'outcome', 'time', 'reason'],
    ...results.sets.flatMap((set) => set.scenarios).map((scenario) => [scenario.scenarioId, WORD[scenario.outcome], `${(scenario.durationMs / 1000).toFixed(1)}s`, scenario.outcome === 'pass' ? '' : oneLine(scenario.reason ?? '', 80)]),
  ];
  return `${table(rows)}\n${totals}${critical}`;
}

export { WORD as OUTCOME_WORDS };
