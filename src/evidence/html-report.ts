/**
 * report.html: the run for people. One self-contained page (no scripts, no network; a Content Security Policy
 * says so), failures and errors first, each scenario with its step timeline and the frames and log lines of
 * every step. Built from events only, so the live reporter and a rebuild from evidence.jsonl give the same page.
 */
import { writeFileSync } from 'node:fs';
import type { RunEvent } from './events.ts';
import { directionArrow, frameFields, hexDump, messageCodeText, type JsonValue } from './frame-view.ts';
import { el, fragment, trusted, type Html } from './html.ts';
import type { Outcome } from './outcome.ts';
import { buildReportModel, clockMs, failuresFirst, type AttemptView, type Entry, type ReportModel, type ScenarioView, type StepView } from './report-model.ts';
import { REPORT_CSS } from './report-style.ts';
import type { Reporter } from './reporter.ts';
import type { RunFacts } from './run-facts.ts';
import { OUTCOME_WORDS } from './summary-table.ts';

export interface HtmlReportOptions {
  readonly facts?: RunFacts;
  /** Problems met reading the log (a torn last line), shown at the top of the page. */
  readonly warnings?: readonly string[];
}

const VERDICT_WORDS: Readonly<Record<Outcome, string>> = { pass: 'Passed', fail: 'Failed', error: 'Errored', skipped: 'Skipped' };
const TREE_DEPTH_LIMIT = 24;

/** "850 ms", "12.345 s", "2 m 03.500 s", "1 h 02 m 05 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(3)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = (ms % 60_000) / 1000;
  if (minutes < 60) return `${minutes} m ${seconds.toFixed(3).padStart(6, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} m ${String(Math.floor(seconds)).padStart(2, '0')} s`;
}

function badge(outcome: Outcome): Html {
  return el('span', { class: `badge outcome-${outcome}` }, OUTCOME_WORDS[outcome] ?? outcome);
}

function timeText(time: { wallTime: string; virtualTime?: string } | undefined): Html | string {
  if (time === undefined) return 'not recorded';
  return fragment(time.wallTime, ' wall', time.virtualTime === undefined ? '' : fragment(' · ', time.virtualTime, ' virtual'));
}

function tree(value: JsonValue, depth = 0): Html {
  if (value === null || typeof value !== 'object') {
    const kind = value === null ? 'null' : typeof value;
    return el('span', { class: `value-${kind}` }, typeof value === 'string' ? JSON.stringify(value) : String(value));
  }
  const entries = Array.isArray(value) ? value.map((item, index) => [`[${index}]`, item] as const) : Object.entries(value);
  if (entries.length === 0) return el('span', { class: 'value-null' }, Array.isArray(value) ? '[]' : '{}');
  if (depth >= TREE_DEPTH_LIMIT) return el('span', { class: 'value-null' }, '…');
  return el(
    'ul',
    { class: depth === 0 ? 'tree root' : 'tree' },
    entries.map(([name, item]) => el('li', {}, el('span', { class: 'key' }, name), ': ', tree(item, depth + 1))),
  );
}

function frameEntry(frame: Entry & { type: 'frame' }, offsetMs: number): Html {
  const fields = frameFields(frame);
  const dump = hexDump(frame.hex);
  const summaryParts = [frame.protocol, frame.useCase, frame.messageCode === undefined ? undefined : messageCodeText(frame.messageCode), `${Math.floor(frame.hex.length / 2)} bytes`];
  return el(
    'details',
    { class: `frame ${frame.direction === 'upstream' ? 'upstream' : 'downstream'}` },
    el(
      'summary',
      {},
      el('time', {}, `+${formatDuration(offsetMs)}`),
      ' ',
      el('span', { class: 'arrow' }, directionArrow(frame)),
      ` ${frame.direction} ${frame.from} → ${frame.to} · `,
      summaryParts.filter((part) => part !== undefined).join(' · '),
    ),
    el(
      'div',
      { class: 'frame-body' },
      fields === undefined ? false : fragment(el('h4', {}, 'Decoded'), tree(fields)),
      el('h4', {}, 'Bytes'),
      el('pre', { class: 'hex' }, dump.lines.join('\n'), dump.omittedBytes > 0 ? `\n… ${dump.omittedBytes} more bytes in evidence.jsonl` : ''),
    ),
  );
}

function entryList(entries: readonly Entry[], originMs: number): Html {
  return fragment(
    entries.map((entry) => {
      const offsetMs = Math.max(0, clockMs(entry) - originMs);
      if (entry.type === 'frame') return frameEntry(entry, offsetMs);
      return el('div', { class: `log level-${entry.level}` }, el('time', {}, `+${formatDuration(offsetMs)}`), ' ', el('span', { class: 'level' }, entry.level.toUpperCase()), ' ', entry.message);
    }),
  );
}

function exchangeSummary(entries: readonly Entry[]): string {
  const frames = entries.filter((entry) => entry.type === 'frame').length;
  const logs = entries.length - frames;
  return [frames > 0 ? `${frames} frame${frames === 1 ? '' : 's'}` : '', logs > 0 ? `${logs} log line${logs === 1 ? '' : 's'}` : ''].filter(Boolean).join(' · ');
}

function percent(part: number, whole: number): string {
  return `${Math.min(100, (100 * part) / whole).toFixed(2)}%`;
}

function stepItem(step: StepView, attemptStartMs: number, spanMs: number, wallOnly: boolean): Html {
  const took =
    step.durationMs === undefined
      ? 'did not end'
      : wallOnly || step.wallDurationMs === undefined
        ? formatDuration(step.durationMs)
        : `${formatDuration(step.durationMs)} · ${formatDuration(step.wallDurationMs)} wall`;
  const barWidth = step.durationMs === undefined ? spanMs - step.offsetMs : step.durationMs;
  return el(
    'li',
    { class: `step outcome-${step.outcome}` },
    el(
      'div',
      { class: 'step-head' },
      badge(step.outcome),
      el('code', {}, step.id),
      el('span', {}, step.name, ' ', el('span', { class: 'kind' }, step.kind)),
      el('span', { class: 'at' }, `+${formatDuration(step.offsetMs)}`),
      el('span', { class: 'took' }, took),
    ),
    el('div', { class: 'bar' }, el('span', { style: `left:${percent(step.offsetMs, spanMs)};width:${percent(Math.max(0, barWidth), spanMs)}` })),
    step.reason === undefined ? false : el('p', { class: 'reason' }, step.reason),
    step.entries.length === 0
      ? false
      : el('details', { class: 'exchange', open: step.outcome === 'fail' || step.outcome === 'error' }, el('summary', {}, exchangeSummary(step.entries)), entryList(step.entries, attemptStartMs)),
  );
}

function attemptBody(attempt: AttemptView): Html {
  const startMs = clockMs(attempt.start);
  const wallOnly = attempt.start.virtualTime === undefined;
  const lastStepEnd = Math.max(0, ...attempt.steps.map((step) => step.offsetMs + (step.durationMs ?? 0)));
  const spanMs = Math.max(1, attempt.durationMs ?? 0, lastStepEnd);
  return fragment(
    attempt.steps.length === 0 ? el('p', { class: 'meta' }, 'No steps ran.') : el('ol', { class: 'steps' }, attempt.steps.map((step) => stepItem(step, startMs, spanMs, wallOnly))),
    attempt.entries.length === 0
      ? false
      : el('details', { class: 'exchange' }, el('summary', {}, `Outside any step: ${exchangeSummary(attempt.entries)}`), entryList(attempt.entries, startMs)),
  );
}

function stepName(view: ScenarioView, stepId: string): string | undefined {
  for (const attempt of [...view.attempts].reverse()) {
    const step = attempt.steps.find((candidate) => candidate.id === stepId);
    if (step !== undefined) return step.name;
  }
  return undefined;
}

/** "Failed at step read-balance (Read the balance): expected …". */
export function verdictSentence(view: ScenarioView): string {
  const { result } = view;
  const where = result.decidingStep === undefined ? '' : ` at step ${result.decidingStep}${stepName(view, result.decidingStep) ? ` (${stepName(view, result.decidingStep)})` : ''}`;
  const why = result.reason ?? (result.outcome === 'pass' ? '' : 'no reason was recorded');
  return `${VERDICT_WORDS[result.outcome]}${where}${why ? `: ${why}` : ''}`;
}

function scenarioLabel(view: ScenarioView): string {
  return view.result.setId === '' ? view.result.scenarioId : `${view.setLabel} › ${view.result.scenarioId}`;
}

function scenarioSection(view: ScenarioView): Html {
  const { result } = view;
  const last = view.attempts.at(-1);
  const earlier = view.attempts.slice(0, -1);
  const notPassed = result.outcome === 'fail' || result.outcome === 'error';
  const meta = [
    result.file === undefined ? undefined : `file ${result.file}`,
    result.tags.length === 0 ? undefined : `tags ${result.tags.join(', ')}`,
    result.attempts.length > 1 ? `attempts ${result.attempts.map((outcome) => OUTCOME_WORDS[outcome]).join(' → ')}` : undefined,
    last?.durationMs === undefined ? 'did not end' : `took ${formatDuration(last.durationMs)}${last.start.virtualTime === undefined ? '' : ' virtual'}`,
  ].filter((part) => part !== undefined);
  return el(
    'section',
    { class: `scenario outcome-${result.outcome}`, id: view.anchor },
    el(
      'details',
      { open: notPassed },
      el(
        'summary',
        {},
        badge(result.outcome),
        result.setId === '' ? false : el('span', { class: 'set' }, `${view.setLabel} ›`),
        el('strong', {}, result.scenarioId),
        el('span', { class: 'title' }, result.title),
        el('span', { class: 'duration' }, formatDuration(result.durationMs), ' wall'),
      ),
      el(
        'div',
        { class: 'scenario-body' },
        result.outcome === 'pass' ? false : el('p', { class: `verdict outcome-${result.outcome}` }, verdictSentence(view)),
        el('p', { class: 'meta' }, meta.join(' · ')),
        earlier.map((attempt) =>
          el('details', { class: 'exchange' }, el('summary', {}, `Attempt ${attempt.number}: `, badge(result.attempts[attempt.number - 1] ?? 'error')), attemptBody(attempt)),
        ),
        last === undefined ? false : attemptBody(last),
      ),
    ),
  );
}

function factsList(model: ReportModel, facts: RunFacts): Html {
  const { results, start, end } = model;
  const rig = start?.rig ?? facts.rig;
  const sets = start?.sets ?? [];
  const gate = facts.exitCriteria;
  const row = (name: string, value: Html | string) => fragment(el('dt', {}, name), el('dd', {}, value));
  return el(
    'dl',
    { class: 'facts' },
    row('run id', el('code', {}, results.runId || 'not recorded')),
    row('hanlab version', facts.hanlabVersion ?? 'not recorded'),
    row('seed', facts.seed === undefined ? 'not recorded' : el('code', {}, String(facts.seed))),
    row('rig', rig ?? 'not recorded'),
    sets.length === 0 ? false : row('configuration sets', el('ul', {}, sets.map((set) => el('li', {}, el('code', {}, set.id), ' ', set.label)))),
    row('started', timeText(start)),
    row('ended', end === undefined ? 'the log ends before run-end' : timeText(end)),
    row('took', `${formatDuration(results.durationMs)} wall${start?.virtualTime !== undefined && end?.virtualTime !== undefined ? ` · ${formatDuration(clockMs(end) - clockMs(start))} virtual` : ''}`),
    row(
      'exit criteria',
      gate === undefined
        ? 'not recorded'
        : fragment(
            el('span', { class: `badge outcome-${gate.ok ? 'pass' : 'fail'}` }, gate.ok ? 'MET' : 'NOT MET'),
            ' ',
            el('code', {}, gate.text),
            el('ul', {}, gate.reasons.map((reason) => el('li', {}, reason))),
          ),
    ),
  );
}

function countsBlock(model: ReportModel): Html {
  const { counts, criticalFailures } = model.results;
  const card = (label: string, value: number, outcome?: Outcome) => el('div', { class: outcome === undefined ? 'count' : `count outcome-${outcome}` }, el('b', {}, value), label);
  return el(
    'div',
    { class: 'counts' },
    card('scenario runs', counts.total),
    card('passed', counts.pass, 'pass'),
    card('failed', counts.fail, 'fail'),
    card('errored', counts.error, 'error'),
    card('skipped', counts.skipped, 'skipped'),
    criticalFailures > 0 ? card('critical failures', criticalFailures, 'fail') : false,
  );
}

function attentionList(views: readonly ScenarioView[]): Html | false {
  const needing = views.filter((view) => view.result.outcome === 'fail' || view.result.outcome === 'error');
  if (needing.length === 0) return false;
  return fragment(
    el('h2', {}, 'Failures and errors'),
    el('ol', { class: 'attention' }, needing.map((view) => el('li', {}, badge(view.result.outcome), ' ', el('a', { href: `#${view.anchor}` }, scenarioLabel(view)), ': ', verdictSentence(view)))),
  );
}

function matrixTable(model: ReportModel): Html | false {
  const sets = model.results.sets;
  if (!sets.some((set) => set.id !== '')) return false;
  const ids = [...new Set(model.scenarios.map((view) => view.result.scenarioId))];
  const cell = (setId: string, scenarioId: string) => {
    const view = model.scenarios.find((candidate) => candidate.result.setId === setId && candidate.result.scenarioId === scenarioId);
    return el('td', {}, view === undefined ? '–' : el('a', { href: `#${view.anchor}` }, badge(view.result.outcome)));
  };
  return fragment(
    el('h2', {}, 'Configuration sets × scenarios'),
    el(
      'table',
      { class: 'matrix' },
      el('thead', {}, el('tr', {}, el('th', {}, 'scenario'), sets.map((set) => el('th', { title: set.label }, set.id || model.results.name)))),
      el('tbody', {}, ids.map((id) => el('tr', {}, el('th', {}, id), sets.map((set) => cell(set.id, id))))),
    ),
  );
}

function warnings(model: ReportModel, extra: readonly string[]): Html | false {
  const all = [...extra, ...(model.results.complete ? [] : ['The log ends before run-end: the run did not finish (a crash, or the log was cut). Unfinished steps and scenarios count as errors.'])];
  return all.length === 0 ? false : fragment(all.map((text) => el('p', { class: 'warning' }, text)));
}

export function renderHtmlReport(events: readonly RunEvent[], options: HtmlReportOptions = {}): string {
  const model = buildReportModel(events);
  const facts = options.facts ?? {};
  const { results } = model;
  const outcome = results.outcome;
  const runOrigin = model.start === undefined ? 0 : clockMs(model.start);
  const body = fragment(
    el('header', {}, el('h1', {}, badge(outcome), ` ${results.name} run `, el('code', {}, results.runId || 'unnamed')), factsList(model, facts)),
    warnings(model, options.warnings ?? []),
    el('h2', {}, 'Summary'),
    countsBlock(model),
    attentionList(model.scenarios),
    matrixTable(model),
    el('h2', {}, 'Scenarios'),
    model.scenarios.length === 0 ? el('p', { class: 'meta' }, 'No scenario ran.') : failuresFirst(model.scenarios).map(scenarioSection),
    model.runEntries.length === 0 ? false : fragment(el('h2', {}, 'Outside any scenario'), entryList(model.runEntries, runOrigin)),
    el('footer', {}, `Built by hanlab${facts.hanlabVersion ? ` ${facts.hanlabVersion}` : ''} from ${model.eventCount} events of the run's evidence log. This page needs no network and runs no scripts.`),
  );
  const head = el(
    'head',
    {},
    el('meta', { charset: 'utf-8' }),
    el('meta', { 'http-equiv': 'Content-Security-Policy', content: "default-src 'none'; style-src 'unsafe-inline'; img-src data:" }),
    el('meta', { name: 'viewport', content: 'width=device-width, initial-scale=1' }),
    el('title', {}, `${OUTCOME_WORDS[outcome]} · ${results.name} run ${results.runId}`),
    el('style', {}, trusted(REPORT_CSS)),
  );
  return `<!DOCTYPE html>\n${el('html', { lang: 'en' }, head, el('body', {}, body)).markup}\n`;
}

export interface HtmlReportReporterOptions extends Omit<HtmlReportOptions, 'facts'> {
  /** A function when some facts (the exit criteria verdict) are only known after run-end. */
  readonly facts?: RunFacts | (() => RunFacts);
}

/** Writes report.html when the stream closes (also after a crash mid-run: the page says the run did not finish). */
export class HtmlReportReporter implements Reporter {
  private readonly events: RunEvent[] = [];

  constructor(
    readonly path: string,
    private readonly options: HtmlReportReporterOptions = {},
  ) {}

  onEvent(event: RunEvent): void {
    this.events.push(event);
  }

  close(): void {
    const { facts, ...rest } = this.options;
    writeFileSync(this.path, renderHtmlReport(this.events, { ...rest, ...(facts === undefined ? {} : { facts: typeof facts === 'function' ? facts() : facts }) }));
  }
}
