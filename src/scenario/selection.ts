/**
 * Picking scenarios to run. `--tags` takes tag expressions: `a,b` runs scenarios tagged a or b; `a+b` those
 * tagged both; `!slow` those not tagged slow; they combine, `prepayment+critical,smoke` meaning
 * (prepayment and critical) or smoke. `--grep` is a regular expression matched against id and title,
 * ignoring case.
 */
export interface Selectable {
  readonly id: string;
  readonly title: string;
  readonly tags: readonly string[];
}

export interface ScenarioFilter {
  /** Tag expressions; several are or-ed together like comma-separated ones. */
  readonly tags?: string | readonly string[];
  readonly grep?: string;
  /** Leave out scenarios whose id or title matches. */
  readonly grepInvert?: string;
}

export class SelectionError extends Error {
  override readonly name = 'SelectionError';
}

interface TagTerm {
  readonly tag: string;
  readonly negated: boolean;
}
/** Or of ands. */
export type TagExpression = readonly (readonly TagTerm[])[];

const TAG = /^[a-z0-9][a-z0-9_-]*$/;

export function parseTagExpression(text: string | readonly string[]): TagExpression {
  const source = typeof text === 'string' ? text : text.join(',');
  return source.split(',').map((alternative) => {
    const terms = alternative.split('+').map((raw) => {
      const trimmed = raw.trim();
      const negated = trimmed.startsWith('!');
      const tag = negated ? trimmed.slice(1).trim() : trimmed;
      if (!TAG.test(tag)) throw new SelectionError(`"${raw.trim()}" in --tags "${source}" is not a tag (lower-case letters, digits, _ and -, optionally after !)`);
      return { tag, negated };
    });
    return terms;
  });
}

export function matchesTags(tags: readonly string[], expression: TagExpression): boolean {
  return expression.some((alternative) => alternative.every((term) => tags.includes(term.tag) !== term.negated));
}

/** A case-insensitive regular expression from a command-line option; SelectionError when it is not one. */
export function patternRegex(pattern: string, option: string): RegExp {
  try {
    return new RegExp(pattern, 'i');
  } catch (error) {
    throw new SelectionError(`${option} "${pattern}" is not a regular expression: ${(error as Error).message}`);
  }
}

/** The scenarios the filter lets through, in their original order. Throws SelectionError on a bad filter. */
export function selectScenarios<T extends Selectable>(scenarios: readonly T[], filter: ScenarioFilter): T[] {
  const tags = filter.tags === undefined || filter.tags.length === 0 ? undefined : parseTagExpression(filter.tags);
  const grep = filter.grep === undefined ? undefined : patternRegex(filter.grep, '--grep');
  const invert = filter.grepInvert === undefined ? undefined : patternRegex(filter.grepInvert, '--grep-invert');
  const named = (pattern: RegExp, scenario: T): boolean => pattern.test(scenario.id) || pattern.test(scenario.title);
  return scenarios.filter(
    (scenario) =>
      (tags === undefined || matchesTags(scenario.tags, tags)) &&
      (grep === undefined || named(grep, scenario)) &&
      (invert === undefined || !named(invert, scenario)),
  );
}
