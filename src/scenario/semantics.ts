/**
 * Checks that look across the whole scenario (roles used but not declared, variables used before they are
 * captured, repeated step ids), then fills in what the file left to defaults: step ids, names, timeouts.
 */
import { describeStep } from './describe.ts';
import { didYouMean } from './did-you-mean.ts';
import { variablesOf, type Expr } from './expression.ts';
import type { Role } from './roles.ts';
import { DEFAULT_STEP_TIMEOUT, type ScenarioDraft } from './schema.ts';
import { SERVICE_REQUESTS } from './service-requests.ts';
import type { Scenario, Step, StepDraft } from './types.ts';
import type { PathIssue, PathSegment, YamlSource } from './yaml-source.ts';

interface Ref<T> {
  readonly value: T;
  readonly path: readonly PathSegment[];
}

function roleRefs(step: StepDraft): Ref<Role>[] {
  const paramRoles = (code: string, params: Readonly<Record<string, Expr>>, prefix: PathSegment[]): Ref<Role>[] =>
    Object.entries(params).flatMap(([name, expr]) =>
      SERVICE_REQUESTS.get(code)?.params[name]?.kind === 'role' && expr.kind === 'literal' ? [{ value: expr.value as Role, path: [...prefix, 'params', name] }] : [],
    );
  switch (step.kind) {
    case 'srv':
      return [{ value: step.to, path: ['to'] }, ...paramRoles(step.srv, step.params, [])];
    case 'han':
      return [{ value: step.han.device, path: ['han', 'device'] }];
    case 'expect-alert':
      return [{ value: step.from, path: ['expect-alert', 'from'] }];
    case 'expect-state':
      return [{ value: step.device, path: ['expect-state', 'device'] }];
    case 'expect-read':
      return [{ value: step.to, path: ['expect-read', 'to'] }, ...paramRoles(step.srv, step.params, ['expect-read'])];
    case 'make-utrn':
      return [{ value: step.for, path: ['make-utrn', 'for'] }];
    case 'wait':
      return [];
  }
}

function exprRefs(step: StepDraft): Ref<Expr>[] {
  const params = (values: Readonly<Record<string, Expr>>, prefix: PathSegment[]): Ref<Expr>[] =>
    Object.entries(values).map(([name, expr]) => ({ value: expr, path: [...prefix, 'params', name] }));
  const check = (prefix: PathSegment): Ref<Expr>[] =>
    step.kind === 'expect-state' || step.kind === 'expect-read'
      ? [{ value: step.check.value, path: [prefix, 'value'] }, ...(step.check.since === undefined ? [] : [{ value: step.check.since, path: [prefix, 'since'] }])]
      : [];
  switch (step.kind) {
    case 'srv':
      return params(step.params, []);
    case 'han':
      return step.han.action === 'enter-utrn' ? [{ value: step.han.utrn, path: ['han', 'utrn'] }] : [];
    case 'expect-state':
      return check('expect-state');
    case 'expect-read':
      return [...params(step.params, ['expect-read']), ...check('expect-read')];
    case 'make-utrn':
      return [{ value: step.amount, path: ['make-utrn', 'amount'] }];
    case 'expect-alert':
    case 'wait':
      return [];
  }
}

function capturesOf(step: StepDraft): string[] {
  return 'capture' in step ? Object.keys(step.capture) : [];
}

function crossCheck(draft: ScenarioDraft): PathIssue[] {
  const issues: PathIssue[] = [];
  const declared = Object.keys(draft.roles);
  const known = new Set(Object.keys(draft.vars ?? {}));
  const ids = new Map<string, number>();
  draft.steps.forEach((step, index) => {
    const at = (path: readonly PathSegment[]): PathSegment[] => ['steps', index, ...path];
    for (const ref of roleRefs(step)) {
      if (declared.includes(ref.value)) continue;
      issues.push({ path: at(ref.path), message: `role ${ref.value} is not among this scenario's roles`, expected: `one of ${declared.join(', ')}, or add ${ref.value} under roles` });
    }
    for (const ref of exprRefs(step)) {
      for (const name of variablesOf(ref.value)) {
        if (known.has(name)) continue;
        const suggestion = didYouMean(name, known);
        issues.push({
          path: at(ref.path),
          message: `variable "${name}" is used before any step captures it${suggestion ? `; did you mean "${suggestion}"?` : ''}`,
          expected: known.size > 0 ? `one of ${[...known].join(', ')}` : 'a variable captured by an earlier step or declared under vars',
        });
      }
    }
    for (const name of capturesOf(step)) known.add(name);
    const id = step.id ?? defaultStepId(index);
    const first = ids.get(id);
    if (first !== undefined) {
      issues.push({ path: at(['id']), message: `step id "${id}" is already used by step ${first + 1}`, expected: 'a step id unique in this scenario' });
    } else {
      ids.set(id, index);
    }
  });
  return issues;
}

function defaultStepId(index: number): string {
  return `step-${index + 1}`;
}

function finalizeStep(step: StepDraft, index: number, defaultTimeout: number, source: YamlSource): Step {
  const common = { id: step.id ?? defaultStepId(index), name: step.name ?? describeStep(step), location: source.locate(['steps', index]) };
  if (step.kind === 'wait') return { ...step, ...common };
  const within = step.kind === 'expect-alert' || step.kind === 'expect-state' ? step.within : undefined;
  return { ...step, ...common, timeout: step.timeout ?? within ?? defaultTimeout };
}

/** Cross-checks the draft; when it passes, the finished Scenario. */
export function finalizeScenario(draft: ScenarioDraft, source: YamlSource): { ok: true; scenario: Scenario } | { ok: false; issues: PathIssue[] } {
  const issues = crossCheck(draft);
  if (issues.length > 0) return { ok: false, issues };
  const defaultTimeout = draft.defaults?.timeout ?? DEFAULT_STEP_TIMEOUT;
  return {
    ok: true,
    scenario: {
      id: draft.id,
      title: draft.title,
      tags: draft.tags ?? [],
      description: draft.description ?? '',
      roles: draft.roles,
      vars: draft.vars ?? {},
      defaults: { timeout: defaultTimeout },
      steps: draft.steps.map((step, index) => finalizeStep(step, index, defaultTimeout, source)),
      location: source.locate(['id']),
    },
  };
}

