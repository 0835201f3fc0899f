import { z } from 'zod';
import { ORDERING_OPS, type CompareOp } from './compare.ts';
import { didYouMean } from './did-you-mean.ts';
import { describeValue, parseExpr } from './expression.ts';
import { isQuantity } from './quantity.ts';
import { checkParam, SERVICE_REQUESTS, type ServiceRequestSpec } from './service-requests.ts';
import { reject, type Problem } from './zod-kit.ts';

const SRV_EXPECTED = `a service request code: ${[...SERVICE_REQUESTS.keys()].join(', ')}`;

export const srvCodeField: z.ZodType<string, unknown> = z.unknown().transform((raw, ctx) => {
  const code = typeof raw === 'number' ? String(raw) : raw;
  if (typeof code === 'string' && SERVICE_REQUESTS.has(code)) return code;
  const suggestion = typeof code === 'string' ? didYouMean(code, SERVICE_REQUESTS.keys()) : undefined;
  reject(ctx, `unknown service request${suggestion ? `; did you mean "${suggestion}"?` : ''}`, SRV_EXPECTED);
  return z.NEVER;
});

/** Target and parameter checks for `{ srv, to, params }` against the catalogue, on the raw mapping. */
export function serviceRequestProblems(raw: Record<string, unknown>): Problem[] {
  const spec = typeof raw.srv === 'string' ? SERVICE_REQUESTS.get(raw.srv) : undefined;
  if (spec === undefined) return [];
  const problems: Problem[] = [];
  if (typeof raw.to === 'string' && !(spec.targets as readonly string[]).includes(raw.to)) {
    problems.push({ path: ['to'], message: `${spec.code} ${spec.title} is not sent to ${raw.to}`, expected: `one of ${spec.targets.join(', ')}` });
  }
  const params = typeof raw.params === 'object' && raw.params !== null && !Array.isArray(raw.params) ? (raw.params as Record<string, unknown>) : {};
  problems.push(...paramProblems(spec, params));
  const where = raw.params === undefined ? [] : ['params'];
  for (const [name, paramSpec] of Object.entries(spec.params)) {
    if (paramSpec.required && params[name] === undefined) {
      problems.push({ path: where, message: `${spec.code} ${spec.title} needs params.${name}`, expected: `${name}: ${paramSpec.description}` });
    }
  }
  for (const group of spec.exactlyOneOf ?? []) {
    const given = group.filter((name) => params[name] !== undefined);
    if (given.length !== 1) {
      const message = given.length === 0 ? `${spec.code} ${spec.title} needs one of params.${group.join(', params.')}` : `give only one of ${given.join(', ')}`;
      problems.push({ path: where, message, expected: `exactly one of ${group.join(', ')}` });
    }
  }
  return problems;
}

function paramProblems(spec: ServiceRequestSpec, params: Record<string, unknown>): Problem[] {
  const problems: Problem[] = [];
  const names = Object.keys(spec.params);
  for (const [name, value] of Object.entries(params)) {
    const paramSpec = spec.params[name];
    if (paramSpec === undefined) {
      const suggestion = didYouMean(name, names);
      problems.push({
        path: ['params', name],
        at: 'key',
        message: `${spec.code} ${spec.title} takes no parameter "${name}"${suggestion ? `; did you mean "${suggestion}"?` : ''}`,
        expected: names.length > 0 ? `one of ${names.join(', ')}` : 'no parameters',
      });
      continue;
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') continue;
    const parsed = parseExpr(value);
    if (!parsed.ok || parsed.expr.kind !== 'literal') continue;
    const checked = checkParam(paramSpec.kind, parsed.expr.value);
    if (!checked.ok) problems.push({ path: ['params', name], message: checked.message, expected: checked.expected });
  }
  return problems;
}

/** Consistency of `op`, `value` and `since` in expect-state and expect-read. */
export function checkProblems(raw: Record<string, unknown>): Problem[] {
  const problems: Problem[] = [];
  const op = raw.op as CompareOp | undefined;
  if (op === 'changed-by' && raw.since === undefined) {
    problems.push({ path: [], message: 'changed-by needs "since": the earlier value, such as "${balanceBefore}"', expected: 'since: <value or ${variable}>' });
  }
  if (op !== 'changed-by' && raw.since !== undefined) {
    problems.push({ path: ['since'], at: 'key', message: '"since" applies only to op: changed-by', expected: 'since only with changed-by' });
  }
  if (op !== undefined && ORDERING_OPS.has(op) && (typeof raw.value === 'string' || typeof raw.value === 'boolean')) {
    const parsed = parseExpr(raw.value);
    if (parsed.ok && parsed.expr.kind === 'literal' && !isQuantity(parsed.expr.value)) {
      problems.push({ path: ['value'], message: `${op} needs a number or a quantity, not ${describeValue(parsed.expr.value)}`, expected: 'a number or a quantity such as 10.00 GBP' });
    }
  }
  return problems;
}
