/** A run's events as terminal lines, one per event: `hanlab evidence show`. */
import type { RunEvent } from './events.ts';
import { flattenFields, frameFields, frameHeadline } from './frame-view.ts';
import type { Reporter } from './reporter.ts';
import { ResultsCollector } from './results.ts';
import { OUTCOME_WORDS } from './summary-table.ts';

/** Decoded fields beyond this many are left to --json. */
const FIELDS_PER_LINE = 24;

/** Line breaks and terminal control characters (an ESC from a device log) written visibly, keeping one line per event. */
function visibleOnOneLine(text: string): string {
  return text.replace(/\r?\n/g, ' ⏎ ').replace(/[\u0000-\u001F\u007F-\u009F]/g, (character) => `\\x${character.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

function clock(event: RunEvent): string {
  return (event.virtualTime ?? event.wallTime).slice(11, 23);
}

function where(event: RunEvent): string {
  if (!('scenarioId' in event) || event.scenarioId === undefined) return '';
  return `${event.setId ? `${event.setId} › ` : ''}${event.scenarioId}${'stepId' in event && event.stepId !== undefined ? ` › ${event.stepId}` : ''}  `;
}

function fieldsText(event: RunEvent & { type: 'frame' }): string {
  const fields = frameFields(event);
  if (fields === undefined) return '';
  const pairs = flattenFields(fields).map(([path, value]) => `${path}=${/[\s"=]/.test(value) || value === '' ? JSON.stringify(value) : value}`);
  const more = pairs.length > FIELDS_PER_LINE ? ` … ${pairs.length - FIELDS_PER_LINE} more (--json)` : '';
  return `  ${pairs.slice(0, FIELDS_PER_LINE).join(' ')}${more}`;
}

/**
 * Turns events into lines. It keeps the run's results as it goes, so a scenario's end line gives the verdict
 * the reports give (with the deciding step), not just what the scenario-end event carried.
 */
export class EventLineFormatter implements Reporter {
  private readonly collector = new ResultsCollector();
  readonly lines: string[] = [];

  onEvent(event: RunEvent): void {
    this.collector.onEvent(event);
    this.lines.push(visibleOnOneLine(`${clock(event)}  ${where(event)}${this.describe(event)}`));
  }

  private describe(event: RunEvent): string {
    switch (event.type) {
      case 'run-start':
        return `run ${event.runId} started${event.rig ? ` on rig ${event.rig}` : ''}: ${event.planned} scenario run(s)${event.sets?.length ? `, sets ${event.sets.map((set) => set.id).join(', ')}` : ''} (${event.wallTime})`;
      case 'run-end': {
        const { counts } = this.collector.results();
        return `run ${event.runId} ended: ${counts.total} scenario run(s), ${counts.pass} passed, ${counts.fail} failed, ${counts.error} errored, ${counts.skipped} skipped`;
      }
      case 'scenario-start':
        return `scenario started: ${event.title}${(event.attempt ?? 1) > 1 ? ` (attempt ${event.attempt})` : ''}${event.tags.length ? ` [${event.tags.join(', ')}]` : ''}`;
      case 'scenario-end': {
        const result = this.collector.scenario(event.setId, event.scenarioId);
        if (result === undefined) return `scenario ended${event.outcome ? ` ${OUTCOME_WORDS[event.outcome]}` : ''}${event.reason ? `: ${event.reason}` : ''}`;
        const step = result.decidingStep === undefined ? '' : ` at step ${result.decidingStep}`;
        return `scenario ${OUTCOME_WORDS[result.outcome]}${result.outcome === 'pass' ? '' : `${step}: ${result.reason ?? 'no reason recorded'}`}`;
      }
      case 'step-start':
        return `step started: ${event.name} (${event.kind})`;
      case 'step-end':
        return `step ${OUTCOME_WORDS[event.outcome]}${event.reason ? `: ${event.reason}` : ''}`;
      case 'frame':
        return `${frameHeadline(event)}${fieldsText(event)}`;
      case 'log':
        return `${event.level.toUpperCase()} ${event.message}`;
    }
  }
}

/** Only the events of one scenario (in every set), plus the run's start and end. */
export function eventsOfScenario(events: readonly RunEvent[], scenarioId: string): RunEvent[] {
  return events.filter((event) => event.type === 'run-start' || event.type === 'run-end' || ('scenarioId' in event && event.scenarioId === scenarioId));
}
