import { writeFileSync } from 'node:fs';
import type { RunEvent } from './events.ts';
import type { Reporter } from './reporter.ts';
import { ResultsCollector, type RunResults, type ScenarioResult, type SetResult } from './results.ts';
import { escapeXmlText, openTag } from './xml.ts';

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function suiteAttributes(name: string, counts: SetResult['counts'], durationMs: number, timestamp?: string): Record<string, string | number | undefined> {
  return { name, tests: counts.total, failures: counts.fail, errors: counts.error, skipped: counts.skipped, time: seconds(durationMs), timestamp };
}

function testcase(scenario: ScenarioResult, classname: string): string {
  const attributes = { name: scenario.scenarioId, classname, time: seconds(scenario.durationMs), file: scenario.file };
  const reason = scenario.reason ?? scenario.outcome;
  const detail = scenario.decidingStep === undefined ? reason : `step ${scenario.decidingStep}: ${reason}`;
  const verdict =
    scenario.outcome === 'fail'
      ? `${openTag('failure', { message: reason, type: 'fail' })}${escapeXmlText(detail)}</failure>`
      : scenario.outcome === 'error'
        ? `${openTag('error', { message: reason, type: 'error' })}${escapeXmlText(detail)}</error>`
        : scenario.outcome === 'skipped'
          ? openTag('skipped', { message: scenario.reason }, true)
          : '';
  const retries = scenario.attempts.length > 1 ? [`attempts: ${scenario.attempts.join(', ')}`] : [];
  const out = [scenario.title, ...retries, ...scenario.log].join('\n');
  return `    ${openTag('testcase', attributes)}\n      ${verdict ? `${verdict}\n      ` : ''}<system-out>${escapeXmlText(out)}</system-out>\n    </testcase>`;
}

/**
 * JUnit XML as GitLab, Jenkins and GitHub read it: a testsuite per configuration set (one overall outside a
 * matrix run), a testcase per scenario, <failure> for fail, <error> for error, <skipped>, and the scenario's
 * step log in <system-out>.
 */
export function renderJunit(results: RunResults): string {
  const suites = results.sets.map((set) => {
    const classname = set.id === '' ? results.name : `${results.name}.${set.id}`;
    const cases = set.scenarios.map((scenario) => testcase(scenario, classname)).join('\n');
    return `  ${openTag('testsuite', suiteAttributes(set.label, set.counts, set.durationMs, results.startedAt || undefined))}\n${cases}\n  </testsuite>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    openTag('testsuites', suiteAttributes(results.name, results.counts, results.durationMs)),
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}

/** Writes JUnit XML to `path` when the stream closes (also after a crash mid-run: unfinished work is an error). */
export class JunitReporter implements Reporter {
  private readonly collector = new ResultsCollector();

  constructor(readonly path: string) {}

  onEvent(event: RunEvent): void {
    this.collector.onEvent(event);
  }

  close(): void {
    writeFileSync(this.path, renderJunit(this.collector.results()));
  }
}
