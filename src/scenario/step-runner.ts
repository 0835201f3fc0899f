import { dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import { decodeFrame, encodeCiphered, encodeGeneralSigning } from '../gbcs/frame.ts';
import { SECURITY_HEADER } from '../gbcs/security.ts';
import type { Json } from '../gbcs/payload/types.ts';
import { UntrustedResponseError } from '../headend/headend.ts';
import type { RequestOutcome, RequestParams } from '../headend/requests/types.ts';
import type { Outcome } from '../evidence/outcome.ts';
import { TimeoutError } from '../time/timeout.ts';
import { TransportError } from '../transport/errors.ts';
import { StalledError } from '../time/drive.ts';
import { formatAlertCode } from './alerts.ts';
import { compareValues } from './compare.ts';
import { formatDuration } from './duration.ts';
import { evaluate, formatValue, type Value } from './expression.ts';
import { InfrastructureError, type Premises } from './premises.ts';
import { isQuantity, type Quantity } from './quantity.ts';
import { resolveParams, type DateTimeSpec, type ParamValue } from './service-requests.ts';
import type { Attack, Captures, Check, ExpectAlertStep, ExpectReadStep, ExpectStateStep, HanStep, MakeUtrnStep, ServiceRequestStep, Step } from './types.ts';

export interface StepResult {
  outcome: Outcome;
  reason?: string;
}

/** What steps share while a scenario runs: its premises, its variables, and the alerts already taken. */
export interface ScenarioContext {
  premises: Premises;
  variables: Map<string, Value>;
  /** Alerts matched by earlier expect-alert steps, so each alert satisfies one expectation. */
  takenAlerts: Set<unknown>;
  log(message: string): void;
}

/** A step's own verdict: the device did the wrong thing. */
class StepFailure extends Error {}

/** Turns JSON result fields into scenario values: quantities keep their units; other objects are not capturable. */
function toValue(v: Json | undefined): Value | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (!Array.isArray(v) && typeof v === 'object' && typeof v.value === 'number' && typeof v.unit === 'string') return { value: v.value, unit: v.unit } as Quantity;
  return undefined;
}

const UNIT_SUFFIXES: readonly [suffix: string, unit: Quantity['unit']][] = [
  ['Gbp', 'GBP'],
  ['Kwh', 'kWh'],
  ['M3', 'm3'],
];

/**
 * Result fields as scenarios name them: a number whose name carries its unit (`balanceGbp`, `importKwh`) is also
 * offered as a quantity under the plain name (`balance`, `import`), so `capture: { b: balance }` keeps the unit.
 */
export function withQuantities(fields: Readonly<Record<string, Json>>): Record<string, Json> {
  const out: Record<string, Json> = { ...fields };
  for (const [key, v] of Object.entries(fields)) {
    if (typeof v !== 'number') continue;
    for (const [suffix, unit] of UNIT_SUFFIXES) {
      if (key.length > suffix.length && key.endsWith(suffix) && out[key.slice(0, -suffix.length)] === undefined) out[key.slice(0, -suffix.length)] = { value: v, unit };
    }
  }
  return out;
}

function field(fields: Readonly<Record<string, unknown>>, path: string): unknown {
  let at: unknown = fields;
  for (const part of path.split('.')) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

function capture(ctx: ScenarioContext, captures: Captures, fields: Readonly<Record<string, unknown>>, what: string): void {
  for (const [variable, path] of Object.entries(captures)) {
    const value = toValue(field(fields, path) as Json);
    if (value === undefined) throw new StepFailure(`${what} has no field "${path}" to capture into ${variable} (fields: ${Object.keys(fields).join(', ') || 'none'})`);
    ctx.variables.set(variable, value);
  }
}

/**
 * Scenario parameter values as the head-end's service request definitions take them (plain JSON). A file named
 * by a scenario (`image`) is relative to the scenario's own file.
 */
function toRequestParams(resolved: Record<string, ParamValue>, now: number, scenarioFile: string): RequestParams {
  const out: Record<string, Json> = {};
  for (const [name, v] of Object.entries(resolved)) {
    if (name === 'image' && typeof v === 'string' && !isAbsolute(v)) out[name] = resolvePath(dirname(scenarioFile), v);
    else if (isQuantity(v)) out[name] = { value: v.value, unit: v.unit };
    else if (typeof v === 'object') out[name] = new Date(dateTimeOf(v, now)).toISOString();
    else out[name] = v;
  }
  return out;
}

function dateTimeOf(spec: DateTimeSpec, now: number): number {
  return spec.kind === 'at' ? spec.epochMs : now + spec.ms;
}

/** Sends one service request through the head-end and interprets the response. */
async function serviceRequest(ctx: ScenarioContext, srv: string, to: ServiceRequestStep['to'], params: ServiceRequestStep['params'], timeoutMs: number, scenarioFile: string): Promise<RequestOutcome> {
  const { premises } = ctx;
  const definition = premises.requests.get(srv, to);
  if (!definition) throw new InfrastructureError(`the head-end cannot send ${srv} to ${to}`);
  const given = toRequestParams(resolveParams(srv, params, ctx.variables), premises.clock.now(), scenarioFile);
  const requestParams = { ...premises.defaultParams(srv, given), ...given };
  const hub = premises.roles.chf;
  if (!hub) throw new InfrastructureError('no Comms Hub on these premises');
  const specs = definition.build(requestParams, premises.requestContext());
  let outcome: RequestOutcome | undefined;
  for (const spec of specs) {
    const result = await premises.run(premises.headEnd.send({ ...spec, hub }, { timeoutMs }));
    const interpreted = definition.interpret(premises.decodeMessage(result.response.bytes), requestParams);
    outcome = { ...interpreted, fields: withQuantities(interpreted.fields) };
    if (!outcome.success) break;
  }
  if (!outcome) throw new InfrastructureError(`${srv} to ${to} built no command`);
  return outcome;
}

/**
 * Sends a tampered command (negative scenarios) and returns what the device answered, or undefined when it
 * answered nothing within the step's time.
 */
async function attack(ctx: ScenarioContext, step: ServiceRequestStep & { attack: Attack }): Promise<RequestOutcome | undefined> {
  const { premises } = ctx;
  const { headEnd } = premises;
  const definition = premises.requests.get(step.srv, step.to);
  if (!definition) throw new InfrastructureError(`the head-end cannot send ${step.srv} to ${step.to}`);
  const hub = premises.roles.chf;
  if (!hub) throw new InfrastructureError('no Comms Hub on these premises');
  const given = toRequestParams(resolveParams(step.srv, step.params, ctx.variables), premises.clock.now(), step.location.file);
  const requestParams = { ...premises.defaultParams(step.srv, given), ...given };
  const [spec] = definition.build(requestParams, premises.requestContext());
  if (!spec) throw new InfrastructureError(`${step.srv} to ${step.to} built no command`);
  let bytes: Uint8Array;
  if (step.attack === 'replay') {
    const first = await premises.run(headEnd.send({ ...spec, hub }, { timeoutMs: step.timeout }));
    bytes = first.command.bytes;
    ctx.log(`sent ${step.srv} once (accepted: counter ${first.command.counter}); sending the same bytes again`);
  } else if (step.attack === 'unsigned') {
    bytes = headEnd.buildCommand({ ...spec, hub, critical: false }).bytes;
  } else if (step.attack === 'unknown-sender') {
    bytes = headEnd.buildCommand({ ...spec, hub, sender: 'otherSupplier' }).bytes;
  } else {
    const built = decodeFrame(headEnd.buildCommand({ ...spec, hub, critical: true }).bytes);
    const forged = headEnd.security.sign(headEnd.senderEui('otherSupplier'), built.signedData);
    const gs = encodeGeneralSigning({ header: built.header, payload: built.payload, signature: forged });
    const mac = headEnd.security.computeMac(built.header, gs);
    if (!mac) throw new InfrastructureError('the head-end cannot MAC the forged command');
    bytes = encodeCiphered(gs, SECURITY_HEADER, mac);
  }
  const header = decodeFrame(bytes).header;
  try {
    const result = await premises.run(headEnd.sendBytes(bytes, hub, header, { timeoutMs: step.timeout }));
    return definition.interpret(premises.decodeMessage(result.response.bytes), requestParams);
  } catch (e) {
    if (e instanceof TimeoutError) return undefined;
    throw e;
  }
}

async function runSrv(ctx: ScenarioContext, step: ServiceRequestStep): Promise<void> {
  if (step.attack) {
    const answered = await attack(ctx, { ...step, attack: step.attack });
    const got = answered === undefined ? 'no-response' : answered.success ? 'success' : (answered.error ?? 'an unnamed error');
    if (got !== step.expect) throw new StepFailure(`${step.attack} ${step.srv} to ${step.to}: expected ${step.expect}, got ${got}`);
    return;
  }
  let outcome: RequestOutcome;
  try {
    outcome = await serviceRequest(ctx, step.srv, step.to, step.params, step.timeout, step.location.file);
  } catch (e) {
    if (e instanceof TimeoutError && step.expect === 'no-response') return;
    throw e;
  }
  const got = outcome.success ? 'success' : (outcome.error ?? 'an unnamed error');
  if (step.expect === 'no-response') throw new StepFailure(`expected no response from ${step.to}, got ${got}`);
  if (got !== step.expect) throw new StepFailure(`expected ${step.expect} from ${step.to}, got ${got}${outcome.success ? '' : ` (${JSON.stringify(outcome.fields)})`}`);
  capture(ctx, step.capture, outcome.fields, `the ${step.srv} response`);
}

function check(ctx: ScenarioContext, what: string, actual: Value | undefined, c: Check): { ok: boolean; message: string } {
  if (actual === undefined) return { ok: false, message: `${what} is not known` };
  const expected = evaluate(c.value, ctx.variables);
  const since = c.since ? evaluate(c.since, ctx.variables) : undefined;
  return compareValues(what, c.op, actual, expected, since);
}

async function runExpectState(ctx: ScenarioContext, step: ExpectStateStep): Promise<void> {
  const { premises } = ctx;
  const deadline = premises.clock.now() + (step.within ?? 0);
  for (;;) {
    const result = check(ctx, `${step.device}.${step.field}`, premises.state(step.device)[step.field], step.check);
    if (result.ok) return;
    if (premises.clock.now() >= deadline) throw new StepFailure(step.within ? `${result.message} (still, after ${formatDuration(step.within)})` : result.message);
    await premises.wait(Math.min(1000, deadline - premises.clock.now()));
  }
}

async function runExpectRead(ctx: ScenarioContext, step: ExpectReadStep): Promise<void> {
  const outcome = await serviceRequest(ctx, step.srv, step.to, step.params, step.timeout, step.location.file);
  if (!outcome.success) throw new StepFailure(`${step.srv} to ${step.to} failed: ${outcome.error ?? 'unnamed error'}`);
  const result = check(ctx, step.field, toValue(field(outcome.fields, step.field) as Json), step.check);
  if (!result.ok) throw new StepFailure(result.message);
  capture(ctx, step.capture, outcome.fields, `the ${step.srv} response`);
}

async function runExpectAlert(ctx: ScenarioContext, step: ExpectAlertStep): Promise<void> {
  const { premises } = ctx;
  const from = premises.roles[step.from];
  if (!from) throw new InfrastructureError(`no ${step.from} on these premises`);
  const code = step.alert.code;
  const what = `alert ${formatAlertCode(step.alert)} from ${step.from}`;
  const matches = (m: { frame: { header: { originator: string } }; bytes: Uint8Array }) => {
    if (ctx.takenAlerts.has(m) || m.frame.header.originator !== from) return false;
    return alertCodesOf(premises.decodeMessage(m.bytes).payload?.fields).includes(code);
  };
  try {
    const alert = await premises.run(premises.headEnd.waitForAlert(matches, step.timeout, what));
    ctx.takenAlerts.add(alert);
    capture(ctx, step.capture, { code: `0x${code.toString(16).toUpperCase()}`, at: new Date(alert.at).toISOString() }, what);
  } catch (e) {
    if (e instanceof TimeoutError) throw new StepFailure(`no ${what} within ${formatDuration(step.timeout)}`);
    throw e;
  }
}

/** Every alert code a decoded alert payload carries, wherever the encoding puts it. */
export function alertCodesOf(fields: unknown): number[] {
  const out: number[] = [];
  const codeOf = (v: unknown): number => {
    if (typeof v === 'number') return v;
    if (typeof v === 'string') return Number.parseInt(v.replace(/^0x/i, ''), 16);
    if (v !== null && typeof v === 'object' && 'value' in v) return codeOf((v as { value: unknown }).value);
    return Number.NaN;
  };
  const visit = (v: unknown, key?: string) => {
    if (key !== undefined && /^alertCode$/i.test(key) && Number.isFinite(codeOf(v))) out.push(codeOf(v));
    else if (Array.isArray(v)) v.forEach((x) => visit(x));
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) visit(x, k);
  };
  visit(fields);
  return out;
}

async function runHan(ctx: ScenarioContext, step: HanStep): Promise<void> {
  const utrn = step.han.action === 'enter-utrn' ? String(formatValue(evaluate(step.han.utrn, ctx.variables))) : undefined;
  const fields = await ctx.premises.han(step.han, utrn === undefined ? {} : { utrn });
  capture(ctx, step.capture, fields, `${step.han.action} on ${step.han.device}`);
}

function runMakeUtrn(ctx: ScenarioContext, step: MakeUtrnStep): void {
  const amount = evaluate(step.amount, ctx.variables);
  if (!isQuantity(amount)) throw new StepFailure(`make-utrn needs money, got ${formatValue(amount)}`);
  const made = ctx.premises.makeUtrn(step.for, amount);
  capture(ctx, step.capture, { utrn: made.utrn, counter: made.counter.toString(), amount: made.amount }, 'the UTRN');
}

/** Whose fault a thrown error is: the device's (fail) or the harness's, broker's or rig's (error). */
export function classify(e: unknown): StepResult {
  if (e instanceof StepFailure) return { outcome: 'fail', reason: e.message };
  if (e instanceof UntrustedResponseError) return { outcome: 'fail', reason: e.message };
  if (e instanceof TimeoutError) return { outcome: 'fail', reason: `no answer: ${e.message}` };
  if (e instanceof TransportError || e instanceof InfrastructureError || e instanceof StalledError) return { outcome: 'error', reason: `${e.name}: ${e.message}` };
  return { outcome: 'error', reason: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
}

/** Runs one step; never throws: the result says pass, fail or error, with the reason. */
export async function runStep(ctx: ScenarioContext, step: Step): Promise<StepResult> {
  try {
    switch (step.kind) {
      case 'srv':
        await runSrv(ctx, step);
        break;
      case 'han':
        await runHan(ctx, step);
        break;
      case 'wait':
        await ctx.premises.wait(step.duration);
        break;
      case 'expect-alert':
        await runExpectAlert(ctx, step);
        break;
      case 'expect-state':
        await runExpectState(ctx, step);
        break;
      case 'expect-read':
        await runExpectRead(ctx, step);
        break;
      case 'make-utrn':
        runMakeUtrn(ctx, step);
        break;
    }
    return { outcome: 'pass' };
  } catch (e) {
    return classify(e);
  }
}

export { StepFailure };
