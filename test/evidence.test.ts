import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  combineOutcomes,
  ConsoleReporter,
  escapeXmlAttribute,
  EventStream,
  eventTime,
  formatSummaryTable,
  JsonlEvidenceWriter,
  JunitReporter,
  outcomeOverAttempts,
  renderJunit,
  ResultsCollector,
  verifyEvidenceChain,
  type Outcome,
  type Reporter,
  type RunEvent,
} from '../src/evidence/index.ts';
import { evaluateExitCriteria, parseExitCriteria } from '../src/scenario/exit-criteria.ts';

const T0 = Date.UTC(2025, 5, 1, 9, 0, 0);
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Writes the events it is given (argv: file, events as JSON, how to end), then dies without closing the writer. */
const CRASHING_WRITER = `
import './bin/register-ts.mjs';
const { JsonlEvidenceWriter } = await import('./src/evidence/jsonl-writer.ts');
const { exitOnInterrupt } = await import('./src/cli/interrupt.ts');
const [file, events, ending] = process.argv.slice(1);
const writer = new JsonlEvidenceWriter(file);
for (const event of JSON.parse(events)) writer.onEvent(event);
if (ending === 'SIGINT') {
  exitOnInterrupt();
  process.kill(process.pid, 'SIGINT');
  setTimeout(() => undefined, 5000);
} else {
  throw new Error('crashed mid-step');
}
`;

/**
 * Builds a run's events the way the runner emits them, with wall time advancing a second per event and a
 * virtual clock running ahead.
 */
class RunScript {
  readonly events: RunEvent[] = [];
  private tick = 0;

  private at(): ReturnType<typeof eventTime> {
    this.tick++;
    return eventTime(T0 + this.tick * 60_000, T0 + this.tick * 1000);
  }

  start(planned: number, sets?: { id: string; label: string }[]): this {
    this.events.push({ type: 'run-start', runId: 'run-1', planned, ...(sets ? { sets } : {}), ...this.at() });
    return this;
  }

  scenario(scenarioId: string, steps: [string, Outcome, string?][], options: { setId?: string; tags?: string[]; attempt?: number; end?: Outcome | 'none'; reason?: string } = {}): this {
    const scope = options.setId === undefined ? { scenarioId } : { scenarioId, setId: options.setId };
    this.events.push({ type: 'scenario-start', ...scope, title: `Title of ${scenarioId}`, tags: options.tags ?? [], file: `scenarios/${scenarioId}.yaml`, attempt: options.attempt ?? 1, ...this.at() });
    for (const [stepId, outcome, reason] of steps) {
      this.events.push({ type: 'step-start', ...scope, stepId, name: `do ${stepId}`, kind: 'srv', ...this.at() });
      this.events.push({ type: 'frame', ...scope, stepId, direction: 'downstream', from: 'headend', to: 'esme', protocol: 'gbcs', hex: 'DD00', useCase: 'ECS82', messageCode: 0x69, ...this.at() });
      this.events.push({ type: 'step-end', ...scope, stepId, outcome, ...(reason ? { reason } : {}), ...this.at() });
    }
    if (options.end !== 'none') {
      this.events.push({ type: 'scenario-end', ...scope, ...(options.end ? { outcome: options.end } : {}), ...(options.reason ? { reason: options.reason } : {}), ...this.at() });
    }
    return this;
  }

  end(): this {
    this.events.push({ type: 'run-end', runId: 'run-1', ...this.at() });
    return this;
  }

  into<R extends Reporter>(reporter: R): R {
    for (const event of this.events) reporter.onEvent(event);
    return reporter;
  }
}

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'hanlab-evidence-'));

describe('outcome rules', () => {
  it('lets the worst outcome decide: fail over error over pass over skipped', () => {
    expect(combineOutcomes(['pass', 'fail', 'error', 'skipped'])).toBe('fail');
    expect(combineOutcomes(['pass', 'error', 'skipped'])).toBe('error');
    expect(combineOutcomes(['pass', 'skipped'])).toBe('pass');
    expect(combineOutcomes(['skipped', 'skipped'])).toBe('skipped');
    expect(combineOutcomes([])).toBe('skipped');
  });

  it('never retries a failure into a pass, but lets an infrastructure error be retried', () => {
    expect(outcomeOverAttempts(['error', 'pass'])).toBe('pass');
    expect(outcomeOverAttempts(['fail', 'pass'])).toBe('fail');
    expect(outcomeOverAttempts(['error', 'error'])).toBe('error');
  });

  it('builds scenario verdicts from the event stream', () => {
    const results = new RunScript()
      .start(5)
      .scenario('all-pass', [['a', 'pass'], ['b', 'skipped']])
      .scenario('one-fails', [['a', 'error', 'broker gone'], ['b', 'fail', 'balance is 5.00 GBP, expected 15.00 GBP'], ['c', 'skipped']], { tags: ['critical'] })
      .scenario('rig-broke', [['a', 'pass']], { end: 'error', reason: 'serial port unplugged' })
      .scenario('flaky-infra', [['a', 'error', 'timeout on broker']])
      .scenario('flaky-infra', [['a', 'pass']], { attempt: 2 })
      .scenario('unfinished', [['a', 'pass']], { end: 'none' })
      .end()
      .into(new ResultsCollector())
      .results();
    const byId = Object.fromEntries(results.sets[0]!.scenarios.map((scenario) => [scenario.scenarioId, scenario]));
    expect(byId['all-pass']).toMatchObject({ outcome: 'pass' });
    expect(byId['one-fails']).toMatchObject({ outcome: 'fail', decidingStep: 'b', reason: 'balance is 5.00 GBP, expected 15.00 GBP', critical: true });
    expect(byId['rig-broke']).toMatchObject({ outcome: 'error', reason: 'serial port unplugged' });
    expect(byId['flaky-infra']).toMatchObject({ outcome: 'pass', attempts: ['error', 'pass'] });
    expect(byId['unfinished']).toMatchObject({ outcome: 'error', reason: 'scenario did not finish: the run ended first' });
    expect(results.counts).toEqual({ pass: 2, fail: 1, error: 2, skipped: 0, total: 5 });
    expect(results).toMatchObject({ outcome: 'fail', criticalFailures: 1, complete: true });
    expect(byId['one-fails']?.log.join('\n')).toContain('frame downstream headend -> esme gbcs ECS82 0x0069 (2 bytes)');
  });

  it('feeds exit criteria straight from the results', () => {
    const results = new RunScript().start(2).scenario('a', [['x', 'pass']]).scenario('b', [['x', 'fail', 'wrong']], { tags: ['critical'] }).end().into(new ResultsCollector()).results();
    const verdict = evaluateExitCriteria(parseExitCriteria('pass-rate>=50%,critical-failures=0'), results);
    expect(verdict.failed.map((failure) => failure.criterion.metric)).toEqual(['critical-failures']);
  });
});

describe('the evidence log', () => {
  const writeRun = (): { file: string; lines: string[] } => {
    const file = join(tempDir(), 'evidence.jsonl');
    const writer = new JsonlEvidenceWriter(file);
    new RunScript().start(2).scenario('a', [['s1', 'pass']]).scenario('b', [['s1', 'fail', 'no alert 0x8F66']]).end().into(writer);
    writer.close();
    return { file, lines: readFileSync(file, 'utf8').trimEnd().split('\n') };
  };
  const rewrite = (file: string, lines: string[]): void => writeFileSync(file, `${lines.join('\n')}\n`);

  it('writes one hash-chained record per event, and the chain verifies', async () => {
    const { file, lines } = writeRun();
    expect(lines).toHaveLength(12);
    const records = lines.map((line) => JSON.parse(line) as { seq: number; prev: string; hash: string; event: RunEvent });
    expect(records.map((record) => record.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(records[0]?.prev).toBe('0'.repeat(64));
    expect(records[1]?.prev).toBe(records[0]?.hash);
    expect(records[0]?.event).toMatchObject({ type: 'run-start', runId: 'run-1', wallTime: '2025-06-01T09:00:01.000Z', virtualTime: '2025-06-01T09:01:00.000Z' });
    expect(await verifyEvidenceChain(file)).toEqual({ ok: true, records: 12, head: records[11]?.hash, complete: true });
  });

  it('detects a modified record', async () => {
    const { file, lines } = writeRun();
    expect(lines[9]).toContain('no alert 0x8F66');
    lines[9] = lines[9]!.replace('no alert 0x8F66', 'all good');
    rewrite(file, lines);
    expect(await verifyEvidenceChain(file)).toMatchObject({ ok: false, records: 9, line: 10, seq: 10, reason: 'record 10 was modified: its content does not match its hash' });
  });

  it('detects a modified record whose hash was recomputed, at the record after it', async () => {
    const { file, lines } = writeRun();
    const { recordHash } = await import('../src/evidence/hash-chain.ts');
    const record = JSON.parse(lines[4]!) as { seq: number; prev: string; event: { reason?: string } };
    record.event.reason = 'forged';
    lines[4] = JSON.stringify({ ...record, hash: recordHash(record.seq, record.prev, record.event) });
    rewrite(file, lines);
    expect(await verifyEvidenceChain(file)).toMatchObject({ ok: false, line: 6, seq: 6, reason: expect.stringContaining('does not follow record 5') });
  });

  it('detects a deleted record and reordered records', async () => {
    const deleted = writeRun();
    rewrite(deleted.file, deleted.lines.filter((_, index) => index !== 3));
    expect(await verifyEvidenceChain(deleted.file)).toMatchObject({ ok: false, line: 4, seq: 5, reason: expect.stringContaining('removed, inserted or reordered') });

    const swapped = writeRun();
    const lines = [...swapped.lines];
    [lines[6], lines[7]] = [lines[7]!, lines[6]!];
    rewrite(swapped.file, lines);
    expect(await verifyEvidenceChain(swapped.file)).toMatchObject({ ok: false, line: 7, seq: 8 });
  });

  it('keeps every record written before a crash, and says the log is incomplete', async () => {
    const file = join(tempDir(), 'evidence.jsonl');
    const writer = new JsonlEvidenceWriter(file);
    const script = new RunScript().start(1).scenario('a', [['s1', 'pass']], { end: 'none' });
    script.into(writer);
    // Not closed: as if the process died here.
    expect(readFileSync(file, 'utf8').trimEnd().split('\n')).toHaveLength(script.events.length);
    expect(await verifyEvidenceChain(file)).toMatchObject({ ok: true, records: script.events.length, complete: false });
    expect(writer.head.seq).toBe(script.events.length);
    writer.close();
  });

  it('keeps every record of a step in progress when the process dies of an uncaught error or is interrupted', async () => {
    for (const [ending, expectedCode] of [['throw', 1], ['SIGINT', 130]] as const) {
      const file = join(tempDir(), 'evidence.jsonl');
      const script = new RunScript().start(1).scenario('a', [['s1', 'pass']], { end: 'none' });
      // A frame and a log line after the step's start: buffered, not yet written, when the process goes.
      const events = [...script.events.slice(0, -1), { type: 'log', level: 'info', message: 'mid-step', scenarioId: 'a', stepId: 's1', ...eventTime() }];
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', CRASHING_WRITER, file, JSON.stringify(events), ending], { cwd: ROOT, encoding: 'utf8' });
      expect(child.status, child.stderr).toBe(expectedCode);
      expect(readFileSync(file, 'utf8').trimEnd().split('\n')).toHaveLength(events.length);
      expect(await verifyEvidenceChain(file)).toMatchObject({ ok: true, records: events.length, complete: false });
    }
  });

  it('reports a torn last line, and never overwrites an existing log', async () => {
    const { file, lines } = writeRun();
    writeFileSync(file, `${lines.join('\n')}\n${lines[0]!.slice(0, 40)}`);
    expect(await verifyEvidenceChain(file)).toMatchObject({ ok: false, records: 12, line: 13, reason: expect.stringContaining('not JSON') });
    expect(() => new JsonlEvidenceWriter(file)).toThrow(/EEXIST/);
  });

  it('records bytes and big numbers in decoded fields in one stable form', async () => {
    const file = join(tempDir(), 'evidence.jsonl');
    const writer = new JsonlEvidenceWriter(file, { fsync: true });
    const decoded = { counter: 2n ** 63n, payload: new Uint8Array([0xde, 0xad]), nested: { b: 1, a: undefined } };
    writer.onEvent({ type: 'frame', direction: 'upstream', from: 'esme', to: 'headend', protocol: 'gbcs', hex: 'DEAD', decoded, ...eventTime() });
    writer.close();
    const record = JSON.parse(readFileSync(file, 'utf8')) as { event: { decoded: unknown } };
    expect(record.event.decoded).toEqual({ counter: '9223372036854775808', payload: 'DEAD', nested: { b: 1 } });
    expect(await verifyEvidenceChain(file)).toMatchObject({ ok: true, records: 1 });
  });
});

describe('canonical JSON', () => {
  /** The reference spelling: JSON.stringify's, with every object's keys in code-unit order (integer-like ones too). */
  const sortedJson = (value: unknown): string => {
    if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
    if (typeof value !== 'object' || value === null) return JSON.stringify(value);
    const fields = value as Record<string, unknown>;
    return `{${Object.keys(fields).sort().map((k) => `${JSON.stringify(k)}:${sortedJson(fields[k])}`).join(',')}}`;
  };

  it('spells any JSON value as JSON.stringify does with every key sorted, and reads back to the same spelling', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        expect(text).toBe(sortedJson(value));
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
        expect(canonicalJson(JSON.parse(text))).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });

  it('spells what JSON cannot carry in one way: bytes, bigints, dates, maps, undefined and non-finite numbers', () => {
    const value = { z: new Map([['b', 1n]]), a: [undefined, () => 1, Number.NaN, -Infinity], d: new Date(Date.UTC(2025, 0, 1)), b: Uint8Array.of(0xab, 0x01), u: undefined, f: () => 2 };
    expect(canonicalJson(value)).toBe('{"a":[null,null,null,null],"b":"AB01","d":"2025-01-01T00:00:00.000Z","z":{"b":"1"}}');
    expect(canonicalJson(undefined)).toBe('null');
    expect(canonicalJson(new Uint8Array(Buffer.from('00ff10', 'hex')).subarray(1))).toBe('"FF10"');
  });
});

interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

/**
 * A strict little XML 1.0 reader for the tests: refuses anything not well-formed (bad nesting, stray < or &,
 * unknown entities, duplicate attributes, characters XML cannot carry) and decodes what it reads.
 */
function parseXml(source: string): XmlElement {
  let at = 0;
  const fail = (why: string): never => {
    throw new Error(`not well-formed at ${at}: ${why}`);
  };
  const legal = (code: number): boolean =>
    code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
  for (const character of source) if (!legal(character.codePointAt(0)!)) fail(`illegal character U+${character.codePointAt(0)!.toString(16)}`);
  const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
  const decode = (raw: string): string =>
    raw.replace(/&([^;]*);|&/g, (whole, name: string | undefined) => {
      if (name === undefined) return fail('bare &');
      if (name.startsWith('#x')) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
      if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
      return ENTITIES[name] ?? fail(`unknown entity ${whole}`);
    });
  const spaces = (): void => {
    while (/\s/.test(source[at] ?? '')) at++;
  };
  const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
  const name = (): string => {
    NAME.lastIndex = at;
    const match = NAME.exec(source) ?? fail('expected a name');
    at = NAME.lastIndex;
    return match[0];
  };
  const element = (): XmlElement => {
    if (source[at] !== '<') fail('expected <');
    at++;
    const node: XmlElement = { name: name(), attributes: {}, children: [], text: '' };
    for (;;) {
      spaces();
      if (source.startsWith('/>', at)) {
        at += 2;
        return node;
      }
      if (source[at] === '>') {
        at++;
        break;
      }
      const attribute = name();
      if (attribute in node.attributes) fail(`duplicate attribute ${attribute}`);
      spaces();
      if (source[at++] !== '=') fail('expected =');
      spaces();
      const quote = source[at++];
      if (quote !== '"' && quote !== "'") fail('expected a quote');
      const end = source.indexOf(quote!, at);
      const raw = source.slice(at, end);
      if (end === -1 || raw.includes('<')) fail('bad attribute value');
      node.attributes[attribute] = decode(raw);
      at = end + 1;
    }
    for (;;) {
      const next = source.indexOf('<', at);
      if (next === -1) fail(`unclosed <${node.name}>`);
      node.text += decode(source.slice(at, next));
      at = next;
      if (source.startsWith('</', at)) {
        at += 2;
        if (name() !== node.name) fail(`mismatched </…> for <${node.name}>`);
        spaces();
        if (source[at++] !== '>') fail('expected >');
        return node;
      }
      node.children.push(element());
    }
  };
  if (source.startsWith('<?xml')) at = source.indexOf('?>') + 2;
  spaces();
  const root = element();
  spaces();
  if (at !== source.length) fail('content after the root element');
  return root;
}

const NASTY = 'reason <b>&amp;</b> "quoted" \'single\' ]]> \u0000nul \u001b[31mred\u001b[0m tab\there\nnewline \ud83d\ude00 lone \ud800 end';

describe('JUnit XML', () => {
  const junitOf = (script: RunScript): XmlElement => parseXml(renderJunit(script.into(new ResultsCollector()).results()));

  it('is well-formed with one testcase per scenario and failure, error and skipped as CI servers expect', () => {
    const root = junitOf(
      new RunScript()
        .start(4)
        .scenario('passes', [['a', 'pass']])
        .scenario('fails', [['a', 'fail', 'balance is 5.00 GBP, expected 15.00 GBP']])
        .scenario('errors', [['a', 'error', 'MQTT broker went away']])
        .scenario('skipped', [], { end: 'skipped', reason: 'rig has no GSME' })
        .end(),
    );
    expect(root.name).toBe('testsuites');
    expect(root.attributes).toMatchObject({ tests: '4', failures: '1', errors: '1', skipped: '1' });
    const [suite] = root.children;
    expect(root.children).toHaveLength(1);
    expect(suite?.attributes).toMatchObject({ name: 'hanlab', tests: '4' });
    const cases = suite!.children;
    expect(cases.map((testcase) => [testcase.attributes.name, testcase.children.map((child) => child.name)])).toEqual([
      ['passes', ['system-out']],
      ['fails', ['failure', 'system-out']],
      ['errors', ['error', 'system-out']],
      ['skipped', ['skipped', 'system-out']],
    ]);
    expect(cases[1]?.children[0]?.attributes).toEqual({ message: 'balance is 5.00 GBP, expected 15.00 GBP', type: 'fail' });
    expect(cases[1]?.children[0]?.text).toBe('step a: balance is 5.00 GBP, expected 15.00 GBP');
    expect(cases[2]?.children[0]?.attributes.message).toBe('MQTT broker went away');
    expect(cases[3]?.children[0]?.attributes.message).toBe('rig has no GSME');
    // Three events a second apart: the scenario's wall time, in seconds.
    expect(cases[0]?.attributes).toMatchObject({ time: '4.000', classname: 'hanlab', file: 'scenarios/passes.yaml' });
    expect(cases[1]?.children[1]?.text).toContain('step a FAIL: balance is 5.00 GBP, expected 15.00 GBP');
  });

  it('makes one testsuite per configuration set in a matrix run', () => {
    const sets = [
      { id: 'hub-a', label: 'Hub A 2.1' },
      { id: 'hub-b', label: 'Hub B 1.4' },
    ];
    const root = junitOf(
      new RunScript()
        .start(4, sets)
        .scenario('top-up', [['a', 'pass']], { setId: 'hub-a' })
        .scenario('mode', [['a', 'pass']], { setId: 'hub-a' })
        .scenario('top-up', [['a', 'pass']], { setId: 'hub-b' })
        .scenario('mode', [['a', 'fail', 'no 0x8F66']], { setId: 'hub-b' })
        .end(),
    );
    expect(root.children.map((suite) => [suite.attributes.name, suite.attributes.tests, suite.attributes.failures])).toEqual([
      ['Hub A 2.1', '2', '0'],
      ['Hub B 1.4', '2', '1'],
    ]);
    expect(root.children[1]?.children[1]?.attributes).toMatchObject({ name: 'mode', classname: 'hanlab.hub-b' });
  });

  it('escapes markup, quotes, control characters and broken surrogates, keeping what XML can carry', () => {
    const root = junitOf(new RunScript().start(1).scenario('nasty', [['a', 'fail', NASTY]]).end());
    const failure = root.children[0]!.children[0]!.children[0]!;
    const expected = NASTY.replace('\u0000', '\\x00').replaceAll('\u001b', '\\x1B').replace('\ud800', '\\uD800');
    expect(failure.attributes.message).toBe(expected);
    expect(failure.text).toBe(`step a: ${expected}`);
    expect(escapeXmlAttribute('a\nb\tc\rd')).toBe('a&#10;b&#9;c&#13;d');
  });

  it('is written by the JUnit reporter when the stream closes, even after a crash mid-run', async () => {
    const path = join(tempDir(), 'junit.xml');
    const stream = new EventStream([new JunitReporter(path)]);
    for (const event of new RunScript().start(1).scenario('cut-short', [['a', 'pass']], { end: 'none' }).events) stream.emit(event);
    await stream.close();
    const root = parseXml(readFileSync(path, 'utf8'));
    expect(root.attributes).toMatchObject({ tests: '1', errors: '1' });
  });
});

describe('the console', () => {
  const capture = (isTTY: boolean): { stream: PassThrough & { isTTY?: boolean; columns?: number }; text: () => string } => {
    const stream = Object.assign(new PassThrough(), { isTTY, columns: 100 });
    let text = '';
    stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    return { stream, text: () => text };
  };

  it('prints plain lines on CI: one per scenario, the failing step, then the summary table', () => {
    const out = capture(false);
    new RunScript()
      .start(2)
      .scenario('top-up', [['a', 'pass']])
      .scenario('mode', [['switch', 'fail', 'no alert 0x8F66 within 2h']])
      .end()
      .into(new ConsoleReporter({ stream: out.stream }));
    const lines = out.text().split('\n');
    expect(lines.slice(0, 4)).toEqual(['hanlab run run-1: 2 scenario run(s)', 'PASS  top-up (4.0s)', 'FAIL  mode (4.0s)', '      step switch: no alert 0x8F66 within 2h']);
    expect(out.text()).not.toContain('\u001b');
    expect(out.text()).toContain('mode      FAIL     4.0s  no alert 0x8F66 within 2h');
    expect(out.text()).toContain('2 scenario run(s): 1 passed, 1 failed, 0 errored, 0 skipped');
  });

  it('draws a live progress bar on a terminal, with failures above it', () => {
    const out = capture(true);
    const reporter = new RunScript()
      .start(2)
      .scenario('top-up', [['a', 'error', 'serial port unplugged']])
      .scenario('mode', [['a', 'pass']])
      .end()
      .into(new ConsoleReporter({ stream: out.stream }));
    reporter.close();
    const text = out.text();
    expect(text).toContain('2/2');
    expect(text).toContain('ERROR top-up');
    expect(text).toContain('step a: serial port unplugged');
    expect(text).toContain('2 scenario run(s): 1 passed, 0 failed, 1 errored, 0 skipped');
  });

  it('summarises a matrix run as scenario × configuration set', () => {
    const results = new RunScript()
      .start(3, [
        { id: 'hub-a', label: 'Hub A 2.1' },
        { id: 'hub-b', label: 'Hub B 1.4' },
      ])
      .scenario('top-up', [['a', 'pass']], { setId: 'hub-a' })
      .scenario('mode', [['a', 'pass']], { setId: 'hub-a' })
      .scenario('top-up', [['a', 'fail', 'x']], { setId: 'hub-b', tags: ['critical'] })
      .end()
      .into(new ResultsCollector())
      .results();
    expect(formatSummaryTable(results).split('\n')).toEqual([
      'scenario  hub-a  hub-b',
      '--------  -----  -----',
      'top-up    PASS   FAIL',
      'mode      PASS   -',
      '',
      '  hub-a: Hub A 2.1',
      '  hub-b: Hub B 1.4',
      '3 scenario run(s): 2 passed, 1 failed, 0 errored, 0 skipped; 1 critical failure(s)',
    ]);
  });
});

describe('the event stream', () => {
  it('gives every reporter every event even when one of them throws, then reports the failure', async () => {
    const seen: string[] = [];
    const broken: Reporter = {
      onEvent() {
        throw new Error('disk full');
      },
    };
    const stream = new EventStream([broken, { onEvent: (event) => seen.push(event.type) }]);
    const [first] = new RunScript().start(1).events;
    expect(() => stream.emit(first!)).toThrow(AggregateError);
    expect(seen).toEqual(['run-start']);
    await stream.close();
    expect(() => stream.emit(first!)).toThrow(/after the stream closed/);
  });
});
