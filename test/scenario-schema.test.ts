import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countOutcomes, type Outcome } from '../src/evidence/outcome.ts';
import {
  compareValues,
  DEFAULT_EXIT_CRITERIA,
  DEFAULT_STEP_TIMEOUT,
  evaluate,
  evaluateExitCriteria,
  ExitCriteriaError,
  ExpressionError,
  formatDuration,
  formatSourceError,
  loadMatrixFile,
  loadRigFile,
  loadScenarios,
  mqttPassword,
  ParamError,
  parseDuration,
  parseExitCriteria,
  parseExpr,
  parseMatrix,
  parseQuantity,
  parseRig,
  parseScenario,
  resolveParams,
  selectScenarios,
  selectSets,
  SelectionError,
  type Scenario,
  type ScenarioError,
  type Value,
} from '../src/scenario/index.ts';

const FILE = 'scenarios/test.yaml';
const yaml = (...lines: string[]): string => `${lines.join('\n')}\n`;

function parsed(text: string): Scenario {
  const result = parseScenario(text, FILE);
  if (!result.ok) throw new Error(result.errors.map(formatSourceError).join('\n'));
  return result.scenario;
}

function errorsOf(text: string): ScenarioError[] {
  const result = parseScenario(text, FILE);
  if (result.ok) throw new Error('expected the scenario to be rejected');
  return result.errors;
}

/** A header with every role, so steps can be tested on their own. */
const HEADER = ['id: t', 'title: T', 'roles: [chf, gpf, esme, gsme, ppmid, ihd]', 'steps:'];
const withSteps = (...stepLines: string[]): string => yaml(...HEADER, ...stepLines);
/** Line numbers of step lines given to withSteps start after the header. */
const stepLine = (n: number): number => HEADER.length + n;

const TOP_UP = yaml(
  'id: prepay-topup-ppmid',
  'title: Prepayment top-up entered on the PPMID',
  'tags: [prepayment, critical]',
  'description: The supplier makes a UTRN, the consumer types it on the PPMID.',
  'roles:',
  '  chf:',
  '  esme: { paymentMode: prepayment, balance: 5.00 GBP, firmware: 1.10 }',
  '  gsme: { paymentMode: credit }',
  '  ppmid: {}',
  'vars:',
  '  topUp: 10 GBP',
  'defaults:',
  '  timeout: 45s',
  'steps:',
  '  - id: balance-before',
  '    srv: 4.18',
  '    to: esme',
  '    capture: { balanceBefore: balance }',
  '  - make-utrn: { for: esme, amount: "${topUp}" }',
  '    capture: { code: utrn }',
  '  - han: { device: ppmid, action: enter-utrn, utrn: "${code}" }',
  '    timeout: 2m',
  '  - wait: 1h30m',
  '  - expect-state: { device: esme, field: balance, op: eq, value: "${balanceBefore} + ${topUp}", within: 5m }',
  '  - expect-read: { srv: "4.18", to: esme, field: balance, op: changed-by, value: 1000 p, since: "${balanceBefore}" }',
  '  - srv: "1.6"',
  '    to: gsme',
  '    params: { mode: prepayment, executeAt: +1d }',
  '  - expect-alert: { code: 0x8F66, from: gsme, within: 2h }',
  '  - expect-alert: { code: future-dated-command-successfully-actioned, from: gsme }',
  '  - han: { device: gsme, action: fault, kind: delay, delay: 3s, rate: 25%, direction: in }',
  '  - han: { device: esme, action: fault, kind: clock-drift, drift: -30s }',
  '  - han: { device: gsme, action: fault-clear }',
  '  - srv: "2.2"',
  '    to: esme',
  '    params: { utrn: "7394 6144 3320 4021 7315" }',
  '    expect: utrn-duplicate',
);

describe('valid scenario files', () => {
  const scenario = parsed(TOP_UP);

  it('reads the header, roles with typed settings, and vars as typed values', () => {
    expect(scenario).toMatchObject({ id: 'prepay-topup-ppmid', tags: ['prepayment', 'critical'], defaults: { timeout: 45_000 } });
    expect(scenario.roles).toEqual({
      chf: {},
      esme: { paymentMode: 'prepayment', balance: { value: 5, unit: 'GBP' }, firmware: '1.10' },
      gsme: { paymentMode: 'credit' },
      ppmid: {},
    });
    expect(scenario.vars).toEqual({ topUp: { value: 10, unit: 'GBP' } });
    expect(scenario.location).toEqual({ file: FILE, line: 1, column: 5 });
  });

  it('gives every step a kind, an id, a name, a position and a timeout', () => {
    expect(scenario.steps.map((step) => step.kind)).toEqual([
      'srv', 'make-utrn', 'han', 'wait', 'expect-state', 'expect-read', 'srv', 'expect-alert', 'expect-alert', 'han', 'han', 'han', 'srv',
    ]);
    const [readBalance, makeUtrn, enterUtrn, wait, expectState] = scenario.steps;
    expect(readBalance).toMatchObject({ id: 'balance-before', srv: '4.18', to: 'esme', expect: 'success', name: '4.18 Read Meter Balance → esme', timeout: 45_000 });
    expect(readBalance?.location).toEqual({ file: FILE, line: 15, column: 5 });
    expect(makeUtrn).toMatchObject({ id: 'step-2', for: 'esme', capture: { code: 'utrn' } });
    expect(enterUtrn).toMatchObject({ kind: 'han', han: { action: 'enter-utrn', device: 'ppmid' }, timeout: 120_000 });
    expect(wait).toMatchObject({ kind: 'wait', duration: 5_400_000, name: 'wait 1h30m' });
    expect(wait).not.toHaveProperty('timeout');
    // `within` sets how long the step may take.
    expect(expectState).toMatchObject({ within: 300_000, timeout: 300_000, check: { op: 'eq' } });
  });

  it('resolves alert codes written as hex numbers or as names', () => {
    const alerts = scenario.steps.filter((step) => step.kind === 'expect-alert');
    expect(alerts.map((step) => step.alert)).toEqual([
      { code: 0x8f66, name: 'Future-Dated Command Successfully Actioned' },
      { code: 0x8f66, name: 'Future-Dated Command Successfully Actioned' },
    ]);
    expect(alerts[0]).toMatchObject({ within: 7_200_000, timeout: 7_200_000 });
    expect(alerts[1]).toMatchObject({ timeout: 45_000 });
  });

  it('reads faults with their defaults', () => {
    const hans = scenario.steps.flatMap((step) => (step.kind === 'han' ? [step.han] : []));
    expect(hans.slice(1)).toEqual([
      { action: 'fault', device: 'gsme', fault: { kind: 'delay', direction: 'in', rate: 0.25, delay: 3000 } },
      { action: 'fault', device: 'esme', fault: { kind: 'clock-drift', drift: -30_000 } },
      { action: 'fault-clear', device: 'gsme' },
    ]);
  });

  it('keeps parameters as expressions the runner resolves with the run variables', () => {
    const modeChange = scenario.steps[6];
    if (modeChange?.kind !== 'srv') throw new Error('expected a service request');
    const now = resolveParams(modeChange.srv, modeChange.params, new Map());
    expect(now).toEqual({ mode: 'prepayment', executeAt: { kind: 'after', ms: 86_400_000 } });
    const topUp = scenario.steps[12];
    if (topUp?.kind !== 'srv') throw new Error('expected a service request');
    expect(resolveParams(topUp.srv, topUp.params, new Map())).toEqual({ utrn: '73946144332040217315' });
    expect(topUp.expect).toBe('utrn-duplicate');
  });

  it('accepts roles as a list as well as a mapping, and takes the default timeout', () => {
    const scenario = parsed(yaml('id: a', 'title: A', 'roles: [chf, esme]', 'steps:', '  - wait: 1s', '  - srv: "8.9"', '    to: chf'));
    expect(scenario.roles).toEqual({ chf: {}, esme: {} });
    expect(scenario.steps[1]).toMatchObject({ timeout: DEFAULT_STEP_TIMEOUT });
    expect(scenario).toMatchObject({ tags: [], description: '', vars: {} });
  });
});

describe('errors point at the offending node', () => {
  it('names a typo\'d key with its line and column, the keys allowed there, and the likely one', () => {
    const [error, ...rest] = errorsOf(withSteps('  - srv: "8.9"', '    to: chf', '    timout: 30s'));
    expect(rest).toEqual([]);
    expect(error).toMatchObject({ file: FILE, line: stepLine(3), column: 5, found: 'timout', path: 'steps[0].timout' });
    expect(error?.message).toBe('unknown key "timout"; did you mean "timeout"?');
    expect(error?.expected).toBe('one of id, name, timeout, srv, to, params, expect, attack, capture');
    expect(formatSourceError(error!)).toBe(
      `${FILE}:${stepLine(3)}:5: unknown key "timout"; did you mean "timeout"? (expected one of id, name, timeout, srv, to, params, expect, attack, capture; found timout)`,
    );
  });

  it('reports a value of the wrong type where it is', () => {
    const errors = errorsOf(yaml('id: t', 'title: [not, text]', 'roles: [chf]', 'steps:', '  - wait: 1s'));
    expect(errors).toEqual([expect.objectContaining({ line: 2, column: 8, expected: 'text', found: 'a list' })]);
  });

  it('reports bad durations with what a duration looks like', () => {
    const errors = errorsOf(
      withSteps('  - wait: 30', '  - srv: "8.9"', '    to: chf', '    timeout: 30 minutes', '  - expect-alert: { code: 0x8F66, from: esme, within: 0s }', '  - wait: 30m1h'),
    );
    expect(errors.map((error) => [error.line, error.column, error.found])).toEqual([
      [stepLine(1), 11, '30'],
      [stepLine(4), 14, '30 minutes'],
      [stepLine(5), 55, '0s'],
      [stepLine(6), 11, '30m1h'],
    ]);
    expect(errors[0]?.message).toContain('no unit');
    expect(errors[2]?.message).toContain('more than zero');
    expect(errors[3]?.message).toContain('largest to smallest');
    for (const error of errors) expect(error.expected).toContain('500ms, 30s, 30m, 2h, 1d');
  });

  it('reports every error in the file at once, in file order', () => {
    const errors = errorsOf(
      yaml(
        'id: Bad Id',
        'title: t',
        'roles: [chf, esm]',
        'steps:',
        '  - srv: "8.11"',
        '    to: esme',
        '    params: { device: gsme, instalCode: 12 }',
        '  - han: { device: ppmid, action: enter-utrm }',
        '  - expct-state: { device: esme }',
      ),
    );
    expect(errors.map((error) => `${error.line}:${error.column} ${error.message}`)).toEqual([
      '1:5 not a scenario id',
      '3:14 unknown role; did you mean "esme"?',
      '6:9 8.11 Update HAN Device Log is not sent to esme',
      '7:29 8.11 Update HAN Device Log takes no parameter "instalCode"; did you mean "installCode"?',
      '8:35 unknown HAN action; did you mean "enter-utrn"?',
      '9:5 unknown key "expct-state"; did you mean "expect-state"?',
    ]);
    expect(errors[4]?.expected).toContain('enter-utrn, ihd-read, power-off');
  });

  it('says when a required key is missing, pointing at the mapping that lacks it', () => {
    const errors = errorsOf(yaml('id: t', 'roles: [chf]', 'steps:', '  - srv: "8.9"'));
    expect(errors.map((error) => [error.line, error.column, error.message, error.found])).toEqual([
      [1, 1, 'missing "title"', 'nothing'],
      [4, 5, 'missing "to"', 'nothing'],
    ]);
  });

  it('reports YAML syntax errors with their position', () => {
    const errors = errorsOf(yaml('id: t', 'title: T', 'roles: [chf', 'steps: []'));
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toMatchObject({ file: FILE, expected: 'valid YAML' });
    expect(errors[0]?.message).toMatch(/^YAML syntax: /);
    expect(errors[0]?.line).toBeGreaterThanOrEqual(3);
    const duplicate = errorsOf(yaml('id: t', 'title: T', 'id: u'));
    expect(duplicate[0]).toMatchObject({ line: 3, column: 1 });
    expect(duplicate[0]?.message).toContain('unique');
  });

  it('rejects an empty file as not a scenario', () => {
    expect(errorsOf('')).toEqual([expect.objectContaining({ line: 1, column: 1, expected: 'a mapping (key: value)' })]);
  });

  it('needs exactly one kind per step', () => {
    const errors = errorsOf(withSteps('  - name: nothing to do', '  - wait: 1s', '    srv: "8.9"'));
    expect(errors.map((error) => [error.line, error.message])).toEqual([
      [stepLine(1), 'the step does not say what to do'],
      [stepLine(3), 'a step does one thing; this one has both "wait" and "srv"'],
    ]);
  });

  it('checks service requests against the catalogue', () => {
    const errors = errorsOf(
      withSteps(
        '  - srv: 8.10',
        '    to: chf',
        '  - srv: 2.2',
        '    to: esme',
        '  - srv: "2.2"',
        '    to: esme',
        '    params: { utrn: "1234", amount: 10 kWh }',
        '  - srv: "8.11"',
        '    to: chf',
        '    params: { installCode: ZZ }',
      ),
    );
    expect(errors.map((error) => [error.line, error.message, error.found])).toEqual([
      [stepLine(1), 'unknown service request; did you mean "8.11"?', '8.10'],
      [stepLine(3), '2.2 Top Up Device needs one of params.utrn, params.amount', 'a mapping'],
      [stepLine(7), 'give only one of utrn, amount', 'a mapping'],
      [stepLine(7), '"1234" is not 20 digits', '"1234"'],
      [stepLine(7), 'the quantity 10 kWh is not money', '10 kWh'],
      [stepLine(10), '8.11 Update HAN Device Log needs params.device', 'a mapping'],
      [stepLine(10), '"ZZ" is not an install code', 'ZZ'],
    ]);
  });

  it('checks roles and variables across steps', () => {
    const errors = errorsOf(
      yaml(
        'id: t',
        'title: T',
        'roles: [chf, esme]',
        'steps:',
        '  - han: { device: ppmid, action: reboot }',
        '  - expect-state: { device: esme, field: balance, op: eq, value: "${balanceBefor} + 1 GBP" }',
        '  - srv: "4.18"',
        '    to: esme',
        '    capture: { balanceBefore: balance }',
        '  - expect-state: { device: esme, field: balance, op: ge, value: "${balanceBefore}" }',
        '  - srv: "8.11"',
        '    to: chf',
        '    params: { device: ihd }',
        '  - id: check',
        '    wait: 1s',
        '  - id: check',
        '    wait: 1s',
      ),
    );
    expect(errors.map((error) => [error.line, error.message])).toEqual([
      [5, "role ppmid is not among this scenario's roles"],
      [6, 'variable "balanceBefor" is used before any step captures it'],
      [13, "role ihd is not among this scenario's roles"],
      [16, 'step id "check" is already used by step 6'],
    ]);
  });

  it('checks comparisons and faults for consistency', () => {
    const errors = errorsOf(
      withSteps(
        '  - expect-state: { device: esme, field: balance, op: changed-by, value: 10 GBP }',
        '  - expect-state: { device: esme, field: mode, op: gt, value: credit }',
        '  - expect-state: { device: esme, field: mode, op: eq, value: credit, since: "1 GBP" }',
        '  - han: { device: gsme, action: fault, kind: delay }',
        '  - han: { device: gsme, action: fault, kind: drop, drift: +5m, rate: 2 }',
        '  - han: { device: chf, action: enter-utrn, utrn: "1" }',
        '  - expect-alert: { code: 0x8F66, from: esme, within: 1h }',
        '    timeout: 2h',
      ),
    );
    expect(errors.map((error) => [error.line, error.message])).toEqual([
      [stepLine(1), 'changed-by needs "since": the earlier value, such as "${balanceBefore}"'],
      [stepLine(2), 'gt needs a number or a quantity, not the text "credit"'],
      [stepLine(3), '"since" applies only to op: changed-by'],
      [stepLine(4), 'a delay fault needs "delay"'],
      [stepLine(5), '"drift" applies only to kind: clock-drift'],
      [stepLine(5), 'not a rate between 0 and 1'],
      [stepLine(6), 'enter-utrn does not apply to chf'],
      [stepLine(8), '"within" already sets how long this step may take; give one of within and timeout'],
    ]);
  });
});

describe('loading files and folders', () => {
  const root = mkdtempSync(join(tmpdir(), 'hanlab-scenarios-'));
  const write = (path: string, text: string): string => {
    const full = join(root, path);
    mkdirSync(join(full, '..'), { recursive: true });
    writeFileSync(full, text);
    return full;
  };
  const scenarioText = (id: string, title: string, tags: string[]): string =>
    yaml(`id: ${id}`, `title: ${title}`, `tags: [${tags.join(', ')}]`, 'roles: [chf]', 'steps:', '  - wait: 1s');

  write('suite/a-install.yaml', scenarioText('install', 'Install and commission', ['install', 'critical']));
  write('suite/nested/b-topup.yml', scenarioText('top-up', 'Prepayment top-up', ['prepayment', 'critical']));
  write('suite/nested/c-mode.yaml', scenarioText('change-of-mode', 'Change of mode', ['prepayment', 'slow']));
  write('suite/notes.txt', 'not a scenario');
  const broken = write('suite/z-broken.yaml', yaml('id: broken', 'title: B', 'roles: [chf]', 'steps:', '  - wiat: 1s'));
  const again = write('other/again.yaml', scenarioText('install', 'Install again', []));

  it('reads every *.yaml and *.yml under a folder in order, and reports bad files without dropping good ones', async () => {
    const { scenarios, errors } = await loadScenarios(join(root, 'suite'));
    expect(scenarios.map((scenario) => scenario.id)).toEqual(['install', 'top-up', 'change-of-mode']);
    expect(errors).toEqual([expect.objectContaining({ file: broken, line: 5, column: 5, message: 'unknown key "wiat"; did you mean "wait"?' })]);
  });

  it('rejects a scenario id used twice and a path that does not exist', async () => {
    const missing = join(root, 'missing.yaml');
    const { scenarios, errors } = await loadScenarios(join(root, 'suite', 'a-install.yaml'), again, missing);
    expect(scenarios.map((scenario) => scenario.title)).toEqual(['Install and commission']);
    expect(errors.map((error) => [error.file, error.line])).toEqual([
      [missing, 0],
      [again, 1],
    ]);
    expect(errors[1]?.message).toContain('already used in');
  });

  it('selects by tags (any of, all of, not) and by a regular expression on id or title', async () => {
    const { scenarios } = await loadScenarios(join(root, 'suite'));
    const ids = (filter: Parameters<typeof selectScenarios>[1]): string[] => selectScenarios(scenarios, filter).map((scenario) => scenario.id);
    expect(ids({})).toEqual(['install', 'top-up', 'change-of-mode']);
    expect(ids({ tags: 'install,slow' })).toEqual(['install', 'change-of-mode']);
    expect(ids({ tags: 'prepayment+critical' })).toEqual(['top-up']);
    expect(ids({ tags: ['prepayment+!slow', 'install'] })).toEqual(['install', 'top-up']);
    expect(ids({ grep: 'TOP-?UP' })).toEqual(['top-up']);
    expect(ids({ grep: 'commission' })).toEqual(['install']);
    expect(ids({ tags: 'critical', grepInvert: 'install' })).toEqual(['top-up']);
    expect(() => ids({ grep: '(' })).toThrow(SelectionError);
    expect(() => ids({ tags: 'Critical' })).toThrow(/not a tag/);
  });
});

describe('durations, quantities and expressions', () => {
  it('parses durations into milliseconds and refuses ones without units', () => {
    const ms = (text: string): number | string => {
      const result = parseDuration(text);
      return result.ok ? result.ms : result.message;
    };
    expect([ms('500ms'), ms('30s'), ms('30m'), ms('2h'), ms('1d'), ms('1h30m'), ms('1.5h'), ms('2m 15s')]).toEqual([500, 30_000, 1_800_000, 7_200_000, 86_400_000, 5_400_000, 5_400_000, 135_000]);
    expect(ms('30')).toContain('no unit');
    expect(ms('30 minutes')).toContain('cannot read');
    expect(ms('1s1s')).toContain('largest to smallest');
  });

  it('formats any whole-millisecond duration so that it parses back to itself', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 * 86_400_000 }), (ms) => {
        const back = parseDuration(formatDuration(ms));
        return back.ok && back.ms === ms;
      }),
    );
  });

  it('reads quantities in every unit and compares across units of one dimension', () => {
    expect(parseQuantity('10.00 GBP')).toEqual({ value: 10, unit: 'GBP' });
    expect(parseQuantity('£2.50')).toEqual({ value: 2.5, unit: 'GBP' });
    expect(parseQuantity('12.5kWh')).toEqual({ value: 12.5, unit: 'kWh' });
    expect(parseQuantity('3 m³')).toEqual({ value: 3, unit: 'm3' });
    expect(parseQuantity('10 apples')).toBeUndefined();
    const gbp = (value: number): Value => ({ value, unit: 'GBP' });
    expect(compareValues('balance', 'eq', gbp(10.01), { value: 1001, unit: 'p' }).ok).toBe(true);
    expect(compareValues('balance', 'lt', gbp(9.99), gbp(10)).ok).toBe(true);
    expect(compareValues('energy', 'ge', { value: 12.5, unit: 'kWh' }, { value: 12_500, unit: 'Wh' }).ok).toBe(true);
    const mismatch = compareValues('balance', 'eq', gbp(1), { value: 1, unit: 'kWh' });
    expect(mismatch).toEqual({ ok: false, message: 'balance: cannot compare the quantity 1.00 GBP with the quantity 1 kWh' });
    expect(compareValues('balance', 'ge', gbp(15), gbp(20)).message).toBe('balance is 15.00 GBP, expected at least 20.00 GBP');
  });

  it('evaluates variables, sums with units, and text templates', () => {
    const vars = new Map<string, Value>([
      ['before', { value: 5, unit: 'GBP' }],
      ['topUp', { value: 250, unit: 'p' }],
      ['count', 3],
      ['device', 'esme'],
    ]);
    const run = (text: string): Value => {
      const expr = parseExpr(text);
      if (!expr.ok) throw new Error(expr.message);
      return evaluate(expr.expr, vars);
    };
    expect(run('${before} + 10 GBP - ${topUp}')).toEqual({ value: 12.5, unit: 'GBP' });
    expect(run('${count} + 2')).toBe(5);
    expect(run('${before}')).toEqual({ value: 5, unit: 'GBP' });
    expect(run('balance of ${device}: ${before}')).toBe('balance of esme: 5.00 GBP');
    expect(() => run('${before} + 1 kWh')).toThrow(ExpressionError);
    expect(() => run('${missing}')).toThrow(/has no value/);
    expect(parseExpr('${unclosed')).toMatchObject({ ok: false });
    const changed = compareValues('balance', 'changed-by', run('${before} + 10 GBP'), { value: 1000, unit: 'p' }, run('${before}'));
    expect(changed.ok).toBe(true);
  });

  it('resolves parameters that use variables, and refuses values of the wrong kind', () => {
    const params = { utrn: parseExpr('${code}'), device: parseExpr('esme') };
    const exprs = Object.fromEntries(Object.entries(params).map(([name, parse]) => [name, parse.ok ? parse.expr : undefined!]));
    expect(resolveParams('2.2', { utrn: exprs.utrn! }, new Map([['code', '73946144332040217315']]))).toEqual({ utrn: '73946144332040217315' });
    expect(() => resolveParams('2.2', { utrn: exprs.utrn! }, new Map([['code', 'nope']]))).toThrow(ParamError);
    expect(() => resolveParams('8.11', { device: exprs.device!, colour: exprs.device! }, new Map())).toThrow(/no parameter "colour"/);
  });
});

describe('exit criteria', () => {
  const totals = (outcomes: Outcome[], criticalFailures = 0) => ({ counts: countOutcomes(outcomes), criticalFailures });

  it('passes when every condition holds and says which failed and why otherwise', () => {
    const criteria = parseExitCriteria('pass-rate>=95%, critical-failures=0,errors=0');
    const good = evaluateExitCriteria(criteria, totals([...Array<Outcome>(19).fill('pass'), 'fail', 'skipped']));
    expect(good.ok).toBe(true);
    expect(good.verdicts[0]?.reason).toBe('pass-rate is 95.0% (19 of 20 passed), meets >= 95%');

    const bad = evaluateExitCriteria(criteria, totals(['pass', 'pass', 'fail', 'error'], 1));
    expect(bad.ok).toBe(false);
    expect(bad.failed.map((verdict) => verdict.reason)).toEqual(['pass-rate is 50.0% (2 of 4 passed), needs >= 95%', 'critical-failures is 1, needs = 0', 'errors is 1, needs = 0']);
  });

  it('has no pass rate when nothing ran, and defaults to no failures and no errors', () => {
    const verdict = evaluateExitCriteria(parseExitCriteria('pass-rate>=90%'), totals(['skipped']));
    expect(verdict.failed[0]).toMatchObject({ reason: 'pass-rate is undefined: no scenario ran, needs >= 90%' });
    expect(verdict.failed[0]).not.toHaveProperty('actual');
    expect(evaluateExitCriteria(parseExitCriteria(DEFAULT_EXIT_CRITERIA), totals(['pass', 'skipped'])).ok).toBe(true);
    expect(evaluateExitCriteria(parseExitCriteria(DEFAULT_EXIT_CRITERIA), totals(['pass', 'error'])).ok).toBe(false);
    expect(evaluateExitCriteria(parseExitCriteria('failures<=1,total>2,skipped!=0'), totals(['fail', 'pass', 'skipped'])).ok).toBe(true);
  });

  it('refuses malformed criteria, naming the column', () => {
    const failure = (text: string): ExitCriteriaError => {
      try {
        parseExitCriteria(text);
      } catch (error) {
        if (error instanceof ExitCriteriaError) return error;
      }
      throw new Error(`"${text}" was accepted`);
    };
    expect(failure('errors=0,pass-rat>=95%')).toMatchObject({ column: 10 });
    expect(failure('errors=0,pass-rat>=95%').message).toContain('did you mean "pass-rate"?');
    expect(failure('pass-rate>=95').message).toContain('write 95%');
    expect(failure('errors=0%').message).toContain('a count');
    expect(failure('errors=0,,failures=0')).toMatchObject({ column: 10 });
    expect(failure('errors is zero').message).toContain('not a condition');
  });
});

describe('rig files', () => {
  it('loads rigs/sim.yaml: every role simulated, in-memory, virtual time', async () => {
    const result = await loadRigFile('rigs/sim.yaml');
    if (!result.ok) throw new Error(result.errors.map(formatSourceError).join('\n'));
    expect(result.rig).toMatchObject({ id: 'sim', bus: { kind: 'in-memory' }, clock: 'virtual' });
    expect(Object.values(result.rig.roles)).toEqual(Array(6).fill({ kind: 'simulated' }));
  });

  it('binds roles to serial and MQTT endpoints and then runs in real time', () => {
    const result = parseRig(
      yaml(
        'id: rig-7',
        'bus: { mqtt: { url: "mqtts://rig-7.lab:8883", username: hanlab, passwordEnv: RIG7_PASSWORD } }',
        'roles:',
        '  esme: { serial: { path: /dev/ttyUSB0, baud: 115200 } }',
        '  chf: { mqtt: { url: "mqtt://10.0.0.7:1883", password: s3cret } }',
      ),
      'rigs/rig-7.yaml',
    );
    if (!result.ok) throw new Error(result.errors.map(formatSourceError).join('\n'));
    const { rig } = result;
    expect(rig.clock).toBe('real');
    expect(rig.roles.esme).toEqual({ kind: 'serial', serial: { path: '/dev/ttyUSB0', baud: 115200 } });
    expect(rig.roles.gsme).toEqual({ kind: 'simulated' });
    if (rig.bus.kind !== 'mqtt' || rig.roles.chf.kind !== 'mqtt') throw new Error('expected MQTT');
    expect(mqttPassword(rig.bus.mqtt, { RIG7_PASSWORD: 'from-env' })).toBe('from-env');
    expect(mqttPassword(rig.roles.chf.mqtt, {})).toBe('s3cret');
  });

  it('reports rig mistakes at their line and column', () => {
    const result = parseRig(
      yaml(
        'id: rig-8',
        'roles:',
        '  esm: simulated',
        '  esme: { serial: { path: /dev/ttyUSB0, baud: fast } }',
        '  chf: { mqtt: { url: "http://x", password: a, passwordEnv: B } }',
        '  gsme: { usb: 1 }',
      ),
      'rigs/rig-8.yaml',
    );
    if (result.ok) throw new Error('expected errors');
    expect(result.errors.map((error) => [error.line, error.column, error.message])).toEqual([
      [3, 3, 'unknown key "esm"; did you mean "esme"?'],
      [4, 47, 'expected a number'],
      [5, 23, 'not a broker URL (mqtt://, mqtts://, ws:// or wss:// with a host)'],
      [5, 48, 'give password or passwordEnv, not both'],
      [6, 9, 'not a role binding'],
    ]);
    const virtual = parseRig(yaml('id: rig-9', 'clock: virtual', 'roles:', '  esme: { serial: { path: /dev/ttyS0, baud: 9600 } }'), 'rigs/rig-9.yaml');
    expect(virtual.ok ? [] : virtual.errors.map((error) => [error.line, error.found])).toEqual([[2, 'virtual']]);
  });
});

describe('configuration-set files', () => {
  it('loads the sample estate: at least three sets with identities and planted defects', async () => {
    const result = await loadMatrixFile('fixtures/matrix/estate-sample.yaml');
    if (!result.ok) throw new Error(result.errors.map(formatSourceError).join('\n'));
    const { sets } = result.matrix;
    expect(sets.length).toBeGreaterThanOrEqual(3);
    for (const set of sets) {
      expect(set.label).not.toBe('');
      expect(set.roles.chf).toMatchObject({ model: expect.any(String), firmware: expect.any(String) });
    }
    expect(sets.find((set) => set.id === 'hub-b-1.4-gas-defect')?.defects).toEqual({ gsme: ['refuse-future-dated-mode-change'] });
    expect(selectSets(result.matrix, '^hub-a').map((set) => set.id)).toEqual(['hub-a-2.1', 'hub-a-2.0-n-minus-1']);
    expect(selectSets(result.matrix, 'N-1').map((set) => set.id)).toEqual(['hub-a-2.0-n-minus-1']);
    expect(() => selectSets(result.matrix, '[')).toThrow(SelectionError);
  });

  it('reports duplicate set ids, missing firmware and unknown roles where they are', () => {
    const result = parseMatrix(
      yaml(
        'id: m',
        'sets:',
        '  - id: a',
        '    label: A',
        '    roles: { chf: { model: X } }',
        '  - id: b',
        '    label: B',
        '    roles: { chff: { model: X, firmware: "1" } }',
        '    defects: { gsme: [Bad Defect] }',
      ),
      'fixtures/matrix/m.yaml',
    );
    if (result.ok) throw new Error('expected errors');
    expect(result.errors.map((error) => [error.line, error.column, error.message])).toEqual([
      [5, 19, 'missing "firmware"'],
      [8, 14, 'unknown key "chff"; did you mean "chf"?'],
      [9, 23, 'not a defect name'],
    ]);
    const duplicate = parseMatrix(yaml('id: m', 'sets:', '  - { id: a, label: A, roles: {} }', '  - { id: a, label: B, roles: {} }'), 'm.yaml');
    expect(duplicate.ok ? [] : duplicate.errors.map((error) => [error.line, error.message])).toEqual([[4, 'set id "a" is already used by set 1']]);
  });
});
