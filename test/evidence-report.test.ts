import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type CliRun } from './support/cli.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { registerEvidenceCommands } from '../src/cli/evidence.ts';
import { privateKeyToPem, publicKeyToPem } from '../src/crypto/keys.ts';
import { deriveTestKey } from '../src/crypto/pki.ts';
import { EventLineFormatter } from '../src/evidence/event-lines.ts';
import { eventTime, type RunEvent } from '../src/evidence/events.ts';
import { el, escapeHtml, trusted } from '../src/evidence/html.ts';
import { HtmlReportReporter, renderHtmlReport } from '../src/evidence/html-report.ts';
import { JsonlEvidenceWriter } from '../src/evidence/jsonl-writer.ts';
import { JunitReporter } from '../src/evidence/junit.ts';
import { ManifestError, verifyManifest, writeManifest, type ManifestProblemKind } from '../src/evidence/manifest.ts';
import { manifestSignerFromPem, testManifestPublicKey } from '../src/evidence/manifest-signer.ts';
import { readEvidenceEvents } from '../src/evidence/read-evidence.ts';
import { EventStream } from '../src/evidence/reporter.ts';
import { ResultsCollector } from '../src/evidence/results.ts';
import type { RunFacts } from '../src/evidence/run-facts.ts';
import { evaluateExitCriteria, parseExitCriteria } from '../src/scenario/exit-criteria.ts';

/** A real GBCS frame: the RTDS ECS10 error response (the meter answers "hardware-fault"). */
const ECS10_RESPONSE = 'DD000000000000401100000000DF090200000000000003EC0800DB1234567890A00890B3D51F30010000000200210CDA200003EC00000100010201009FB72BC50C2B4075F131ED07';
const HOSTILE = '<script>alert("x")</script> & <b>bold</b>';
const T0 = Date.UTC(2025, 5, 1, 9, 0, 0);
const CRITERIA = 'failures=0,errors=0';

const folders: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'hanlab-evidence-report-'));
  folders.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

/** Emits a run the way the runner does: wall time a second per event, the virtual clock a minute. */
class RunFeed {
  private tick = 0;
  constructor(private readonly stream: EventStream) {}

  private at(): ReturnType<typeof eventTime> {
    this.tick++;
    return eventTime(T0 + this.tick * 60_000, T0 + this.tick * 1000);
  }

  emit(event: Record<string, unknown> & { type: RunEvent['type'] }): void {
    this.stream.emit({ ...event, ...this.at() } as unknown as RunEvent);
  }
}

interface RunOptions {
  readonly matrix?: boolean;
  /** Stop before run-end, as a crash would. */
  readonly crash?: boolean;
}

/**
 * Two scenarios: `topup-ok` passes first, then `balance-read` fails at its second step, with a GBCS frame
 * recorded without decoded fields (decoded for people from its bytes) and one with hostile decoded fields.
 */
function feedRun(stream: EventStream, options: RunOptions = {}): void {
  const feed = new RunFeed(stream);
  const sets = options.matrix ? [{ id: 'sme2', label: 'SMETS2 & <CHF v2>' }, { id: 'sme3', label: 'SMETS2 CHF v3' }] : undefined;
  feed.emit({ type: 'run-start', runId: 'run-7', rig: 'bench-1', planned: sets ? 4 : 2, ...(sets ? { sets } : {}) });
  for (const setId of sets ? sets.map((set) => set.id) : [undefined]) {
    const scope = (scenarioId: string, stepId?: string) => ({ ...(setId ? { setId } : {}), scenarioId, ...(stepId ? { stepId } : {}) });
    feed.emit({ type: 'scenario-start', ...scope('topup-ok'), title: 'Top-up on the PPMID', tags: ['prepayment'], file: 'scenarios/topup.yaml', attempt: 1 });
    feed.emit({ type: 'step-start', ...scope('topup-ok', 'enter-utrn'), name: 'Enter the UTRN', kind: 'han' });
    feed.emit({ type: 'frame', ...scope('topup-ok', 'enter-utrn'), direction: 'downstream', from: 'ppmid', to: 'esme', protocol: 'zcl', hex: '01020304', useCase: 'Prepayment/ConsumerTopUp', decoded: { utrn: '73462537485611238764' } });
    feed.emit({ type: 'step-end', ...scope('topup-ok', 'enter-utrn'), outcome: 'pass' });
    feed.emit({ type: 'scenario-end', ...scope('topup-ok') });

    const failing = setId !== 'sme3';
    feed.emit({ type: 'scenario-start', ...scope('balance-read'), title: 'Read the balance', tags: ['critical'], file: 'scenarios/balance.yaml', attempt: 1 });
    feed.emit({ type: 'step-start', ...scope('balance-read', 'send-ecs10'), name: 'Send ECS10', kind: 'srv' });
    feed.emit({ type: 'frame', ...scope('balance-read', 'send-ecs10'), direction: 'upstream', from: 'esme', to: 'headend', protocol: 'gbcs', hex: ECS10_RESPONSE, useCase: 'ECS10', messageCode: 0x21 });
    feed.emit({ type: 'step-end', ...scope('balance-read', 'send-ecs10'), outcome: 'pass' });
    feed.emit({ type: 'step-start', ...scope('balance-read', 'check-balance'), name: 'Check the balance', kind: 'expect-state' });
    feed.emit({ type: 'frame', ...scope('balance-read', 'check-balance'), direction: 'upstream', from: 'esme', to: 'headend', protocol: 'gbcs', hex: 'DD00', decoded: { note: HOSTILE, 'key <i>&': [1, null, true] } });
    feed.emit({ type: 'log', ...scope('balance-read', 'check-balance'), level: 'warn', message: `meter said ${HOSTILE}` });
    feed.emit({
      type: 'step-end',
      ...scope('balance-read', 'check-balance'),
      outcome: failing ? 'fail' : 'pass',
      ...(failing ? { reason: `expected esme balance eq 15.00 GBP, found 5.00 GBP ${HOSTILE}` } : {}),
    });
    feed.emit({ type: 'scenario-end', ...scope('balance-read') });
  }
  if (!options.crash) feed.emit({ type: 'run-end', runId: 'run-7' });
}

/** The exit gate judged at run end, as the runner would hand it to the HTML reporter and the manifest. */
function gateFacts(collector: ResultsCollector): RunFacts {
  const verdict = evaluateExitCriteria(parseExitCriteria(CRITERIA), collector.results());
  return { hanlabVersion: '0.1.0', seed: 42, exitCriteria: { text: CRITERIA, ok: verdict.ok, reasons: verdict.verdicts.map((entry) => entry.reason) } };
}

/** A run's evidence folder as hanlab leaves it: evidence.jsonl, junit.xml, report.html, then the manifest. */
async function recordRun(options: RunOptions & { sign?: boolean } = {}): Promise<{ dir: string; facts: RunFacts }> {
  const dir = tempDir();
  const collector = new ResultsCollector();
  const html = new HtmlReportReporter(join(dir, 'report.html'), { facts: () => gateFacts(collector) });
  const stream = new EventStream([new JsonlEvidenceWriter(join(dir, 'evidence.jsonl')), collector, new JunitReporter(join(dir, 'junit.xml')), html]);
  feedRun(stream, options);
  await stream.close();
  const facts = gateFacts(collector);
  if (options.sign !== false) await writeManifest(dir, { facts });
  return { dir, facts };
}

function renderRun(options: RunOptions = {}): string {
  const events: RunEvent[] = [];
  feedRun(new EventStream([{ onEvent: (event) => void events.push(event) }]), options);
  return renderHtmlReport(events, { facts: { hanlabVersion: '0.1.0', seed: 42 } });
}

const VOID = new Set(['meta', 'br', 'hr', 'wbr']);

/**
 * Checks the page is well-formed for what the report emits: every `<` opens or closes a tag, tags nest and
 * close, every `&` starts an entity, attribute values are quoted without `<`. Returns the element names seen.
 */
function checkWellFormed(page: string): string[] {
  const source = page.replace(/^<!DOCTYPE html>\n/, '');
  const TAG = /<(\/?)([a-z][a-z0-9-]*)((?:\s+[a-z-]+(?:="[^"<]*")?)*)\s*>/y;
  const stack: string[] = [];
  const seen: string[] = [];
  let at = 0;
  while (at < source.length) {
    const next = source.indexOf('<', at);
    const text = source.slice(at, next === -1 ? source.length : next);
    const bare = /&(?!(?:amp|lt|gt|quot|#39);)/.exec(text);
    if (bare) throw new Error(`bare & at ${at + bare.index}: ${text.slice(bare.index, bare.index + 20)}`);
    if (next === -1) break;
    TAG.lastIndex = next;
    const match = TAG.exec(source);
    if (match === null) throw new Error(`stray < at ${next}: ${source.slice(next, next + 30)}`);
    const [, closing, name] = match as unknown as [string, string, string];
    at = TAG.lastIndex;
    if (closing) {
      if (stack.pop() !== name) throw new Error(`</${name}> at ${next} closes nothing open`);
    } else if (!VOID.has(name)) {
      stack.push(name);
      seen.push(name);
      if (name === 'style') {
        at = source.indexOf('</style>', at);
        if (at === -1) throw new Error('unclosed <style>');
      }
    }
  }
  if (stack.length > 0) throw new Error(`unclosed: ${stack.join(' > ')}`);
  return seen;
}

describe('HTML building', () => {
  it('escapes markup, quotes and characters HTML cannot carry', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(escapeHtml('nul\u0000 esc\u001b[0m tab\tnewline\n')).toBe('nul\\x00 esc\\x1B[0m tab\tnewline\n');
    expect(escapeHtml('lone \ud800 pair \ud83d\ude00')).toBe('lone \\uD800 pair \ud83d\ude00');
  });

  it('escapes text children and attribute values but passes built markup through', () => {
    const built = el('p', { title: '"><script>', open: true, hidden: false }, '<b>', el('i', {}, 'x & y'), trusted('<br>'), [1, undefined, false]);
    expect(built.markup).toBe('<p title="&quot;&gt;&lt;script&gt;" open>&lt;b&gt;<i>x &amp; y</i><br>1</p>');
    expect(() => el('p onclick="x"', {})).toThrow(/element name/);
    expect(() => el('p', { 'on click': 'x' })).toThrow(/attribute name/);
  });
});

describe('the HTML report', () => {
  it('is well-formed, and everything from the run is escaped', () => {
    const page = renderRun();
    const elements = checkWellFormed(page);
    expect(elements).toEqual(expect.arrayContaining(['html', 'head', 'style', 'header', 'section', 'details', 'summary', 'ol', 'li', 'ul', 'pre']));
    expect(page).not.toMatch(/<script|<b>bold|<i>&/);
    expect(page).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;');
    expect(page).toContain('key &lt;i&gt;&amp;');
    expect(page).toContain('http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; style-src &#39;unsafe-inline&#39;');
  });

  it('puts failures first and names the failing step and its expectation', () => {
    const page = renderRun();
    const failing = page.indexOf('<strong>balance-read</strong>');
    const passing = page.indexOf('<strong>topup-ok</strong>');
    expect(failing).toBeGreaterThan(-1);
    expect(passing).toBeGreaterThan(failing);
    const verdict = /<p class="verdict outcome-fail">([^<]*)<\/p>/.exec(page)?.[1];
    expect(verdict).toBe('Failed at step check-balance (Check the balance): expected esme balance eq 15.00 GBP, found 5.00 GBP &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;');
    const attention = page.slice(page.indexOf('Failures and errors'), page.indexOf('<h2>Scenarios</h2>'));
    expect(attention).toContain('href="#scenario-2"');
    expect(attention).toContain('Failed at step check-balance');
    // The failing scenario and its failing step's exchange are open; the passing scenario is folded.
    expect(page).toMatch(/<section class="scenario outcome-fail" id="scenario-2"><details open>/);
    expect(page).toMatch(/<section class="scenario outcome-pass" id="scenario-1"><details>/);
  });

  it('shows the run header, the step timeline on the virtual clock, and frames decoded for people', () => {
    const page = renderRun();
    expect(page).toMatch(/<dt>seed<\/dt><dd><code>42<\/code><\/dd>/);
    expect(page).toMatch(/<dt>rig<\/dt><dd>bench-1<\/dd>/);
    expect(page).toContain('2025-06-01T09:01:00.000Z virtual');
    // check-balance starts four events (4 virtual minutes) after its scenario and lasts three more.
    expect(page).toMatch(/<code>check-balance<\/code>.*?<span class="at">\+4 m 00\.000 s<\/span><span class="took">3 m 00\.000 s · 3\.000 s wall<\/span>/);
    expect(page).toMatch(/style="left:50\.00%;width:37\.50%"/);
    // The GBCS frame recorded as bytes only is decoded from them: ECS10, DLMS access response, hardware-fault.
    expect(page).toContain('<span class="key">name</span>: <span class="value-string">&quot;hardware-fault&quot;</span>');
    expect(page).toContain('0000  DD 00 00 00 00 00 00 40 11 00 00 00 00 DF 09 02');
    expect(page).toContain('<span class="level">WARN</span> meter said &lt;script&gt;');
  });

  it('is the same page live and rebuilt from evidence.jsonl, with the exit gate verdict', async () => {
    const { dir, facts } = await recordRun({ sign: false });
    const live = readFileSync(join(dir, 'report.html'), 'utf8');
    const read = readEvidenceEvents(join(dir, 'evidence.jsonl'));
    expect(read.unreadable).toBeUndefined();
    expect(renderHtmlReport(read.events, { facts })).toBe(live);
    expect(live).toMatch(/<span class="badge outcome-fail">NOT MET<\/span> <code>failures=0,errors=0<\/code><ul><li>failures is 1, needs = 0<\/li>/);
  });

  it('lays a matrix run out as configuration sets × scenarios', () => {
    const page = renderRun({ matrix: true });
    checkWellFormed(page);
    const table = page.slice(page.indexOf('<table class="matrix">'), page.indexOf('</table>'));
    expect(table).toContain('<th title="SMETS2 &amp; &lt;CHF v2&gt;">sme2</th><th title="SMETS2 CHF v3">sme3</th>');
    expect(table).toMatch(/<tr><th>balance-read<\/th><td><a href="#scenario-2"><span class="badge outcome-fail">FAIL<\/span><\/a><\/td><td><a href="#scenario-4"><span class="badge outcome-pass">PASS<\/span>/);
    expect(page).toContain('<span class="set">SMETS2 &amp; &lt;CHF v2&gt; ›</span>');
  });

  it('says when the log ends before run-end, and counts the unfinished as errors', () => {
    const events: RunEvent[] = [];
    feedRun(new EventStream([{ onEvent: (event) => void events.push(event) }]), { crash: true });
    const page = renderHtmlReport(events.slice(0, -3));
    expect(page).toContain('The log ends before run-end');
    expect(page).toContain('Errored at step check-balance (Check the balance): step did not finish: the run ended first');
  });
});

describe('the signed manifest', () => {
  const problemKinds = async (dir: string): Promise<[ManifestProblemKind, string | undefined][]> =>
    (await verifyManifest(dir, testManifestPublicKey())).problems.map((problem) => [problem.kind, problem.file]);

  it('lists every evidence file with its hash and size, signs it, and verifies', async () => {
    const { dir } = await recordRun();
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(manifest.files.map((file: { path: string }) => file.path)).toEqual(['evidence.jsonl', 'junit.xml', 'report.html']);
    expect(manifest.files[1].size).toBe(readFileSync(join(dir, 'junit.xml')).length);
    expect(manifest.run).toMatchObject({ runId: 'run-7', seed: 42, rig: 'bench-1', hanlabVersion: '0.1.0', exitCriteria: { text: CRITERIA, ok: false } });
    expect(manifest.evidenceLog).toMatchObject({ path: 'evidence.jsonl', records: 16, complete: true });
    expect(manifest.signer).toMatchObject({ testKey: true, label: expect.stringContaining('TEST KEY') });
    const verdict = await verifyManifest(dir, testManifestPublicKey());
    expect(verdict).toMatchObject({ ok: true, problems: [] });
    expect(verdict.notes).toEqual([expect.stringContaining('TEST KEY')]);
  });

  it('signs deterministically: the same evidence gives the same signature', async () => {
    const { dir } = await recordRun();
    const copy = tempDir();
    cpSync(dir, copy, { recursive: true });
    rmSync(join(copy, 'manifest.json'));
    const again = await writeManifest(copy, { facts: JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).run });
    expect(again.signature.value).toBe(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).signature.value);
  });

  it('catches a changed file, and only that file', async () => {
    const { dir } = await recordRun();
    const junit = readFileSync(join(dir, 'junit.xml'), 'utf8');
    writeFileSync(join(dir, 'junit.xml'), junit.replace('failures="1"', 'failures="0"'));
    expect(await problemKinds(dir)).toEqual([['file-hash', 'junit.xml']]);
    rmSync(join(dir, 'report.html'));
    expect(await problemKinds(dir)).toEqual([['file-hash', 'junit.xml'], ['missing-file', 'report.html']]);
  });

  it('catches one changed byte of evidence.jsonl in its hash and in its chain', async () => {
    const { dir } = await recordRun();
    const log = readFileSync(join(dir, 'evidence.jsonl'));
    const at = log.indexOf('found 5.00 GBP');
    log[at + 6] = '9'.charCodeAt(0);
    writeFileSync(join(dir, 'evidence.jsonl'), log);
    const verdict = await verifyManifest(dir, testManifestPublicKey());
    expect(verdict.problems.map((problem) => problem.kind)).toEqual(['file-hash', 'chain']);
    expect(verdict.problems[1]!.message).toMatch(/record 14 was modified/);
  });

  it('catches records cut off the end, which the chain alone takes for a crash', async () => {
    const { dir } = await recordRun();
    const lines = readFileSync(join(dir, 'evidence.jsonl'), 'utf8').trimEnd().split('\n');
    writeFileSync(join(dir, 'evidence.jsonl'), `${lines.slice(0, -1).join('\n')}\n`);
    const verdict = await verifyManifest(dir, testManifestPublicKey());
    expect(verdict.chain).toMatchObject({ ok: true, records: 15, complete: false });
    expect(verdict.problems.map((problem) => problem.kind)).toEqual(['file-size', 'file-hash', 'chain-head']);
    expect(verdict.problems[2]!.message).toBe('evidence.jsonl: ends at record 15 but the manifest signed 16: the last 1 record(s) were removed');
  });

  it('catches a changed signature, a changed manifest and a key it does not trust', async () => {
    const { dir } = await recordRun();
    const path = join(dir, 'manifest.json');
    const original = readFileSync(path, 'utf8');
    const manifest = JSON.parse(original);
    const value: string = manifest.signature.value;
    writeFileSync(path, JSON.stringify({ ...manifest, signature: { ...manifest.signature, value: `${value.slice(0, -1)}${value.endsWith('0') ? '1' : '0'}` } }));
    expect(await problemKinds(dir)).toEqual([['signature', 'manifest.json']]);

    writeFileSync(path, JSON.stringify({ ...manifest, run: { ...manifest.run, seed: 43 } }));
    expect((await verifyManifest(dir, testManifestPublicKey())).problems[0]!.message).toMatch(/changed after it was signed/);

    writeFileSync(path, JSON.stringify({ ...manifest, addedLater: true }));
    expect(await problemKinds(dir)).toEqual([['signature', 'manifest.json']]);

    writeFileSync(path, original);
    const stranger = deriveTestKey('someone-else', '0012345678abcd00', 'ds').publicKey;
    expect((await verifyManifest(dir, stranger)).problems[0]!.message).toMatch(/not signed by the trusted key/);
  });

  it('signs with a harness key from PEM, named as no test key', async () => {
    const { dir } = await recordRun({ sign: false });
    const key = deriveTestKey('harness', '48414e4c41420901', 'ds');
    const manifest = await writeManifest(dir, { signer: manifestSignerFromPem(privateKeyToPem(key), 'bench-1 harness key') });
    expect(manifest.signer).toMatchObject({ testKey: false, label: 'bench-1 harness key' });
    expect(await verifyManifest(dir, key.publicKey)).toMatchObject({ ok: true, notes: [] });
    expect(await problemKinds(dir)).toEqual([['signature', 'manifest.json']]);
  });

  it('refuses to sign a broken log or to replace a manifest, and notes files added later', async () => {
    const { dir } = await recordRun();
    await expect(writeManifest(dir)).rejects.toThrow(/EEXIST/);
    writeFileSync(join(dir, 'notes.txt'), 'added later');
    expect((await verifyManifest(dir, testManifestPublicKey())).notes).toContain('notes.txt: not in the manifest (added after signing; not covered by the signature)');

    const broken = (await recordRun({ sign: false })).dir;
    const lines = readFileSync(join(broken, 'evidence.jsonl'), 'utf8').trimEnd().split('\n');
    writeFileSync(join(broken, 'evidence.jsonl'), `${[lines[0], ...lines.slice(2)].join('\n')}\n`);
    await expect(writeManifest(broken)).rejects.toThrow(ManifestError);
    await expect(verifyManifest(broken, testManifestPublicKey())).rejects.toThrow(/cannot read .*manifest\.json/);
  });
});

const hanlab = (...args: string[]): Promise<CliRun> => runCli(registerEvidenceCommands, ['evidence', ...args]);

describe('hanlab evidence', () => {
  it('verify: 0 when everything checks, 1 with each problem printed, 2 for unreadable input', async () => {
    const { dir } = await recordRun();
    const good = await hanlab('verify', dir);
    expect(good).toMatchObject({ code: 0, err: '' });
    expect(good.out).toMatch(/run run-7 · seed 42 · rig bench-1 · hanlab 0\.1\.0/);
    expect(good.out).toMatch(/^OK: /m);

    writeFileSync(join(dir, 'report.html'), '<p>nothing failed</p>');
    const lines = readFileSync(join(dir, 'evidence.jsonl'), 'utf8').trimEnd().split('\n');
    writeFileSync(join(dir, 'evidence.jsonl'), `${lines.slice(0, -2).join('\n')}\n`);
    const bad = await hanlab('verify', dir);
    expect(bad.code).toBe(1);
    expect(bad.out.split('\n').filter((line) => line.includes('PROBLEM'))).toEqual([
      expect.stringContaining('(file-size) evidence.jsonl'),
      expect.stringContaining('(file-hash) evidence.jsonl'),
      expect.stringContaining('(file-size) report.html'),
      expect.stringContaining('(file-hash) report.html'),
      expect.stringContaining('(chain-head) evidence.jsonl: ends at record 14 but the manifest signed 16'),
    ]);

    expect((await hanlab('verify', tempDir())).code).toBe(2);
    const badKey = join(tempDir(), 'key.pem');
    writeFileSync(badKey, 'not a key');
    expect(await hanlab('verify', dir, '--key', badKey)).toMatchObject({ code: 2, err: expect.stringContaining('key.pem') });
  });

  it('verify --key trusts the given public key instead of the test key', async () => {
    const { dir } = await recordRun({ sign: false });
    const key = deriveTestKey('harness', '48414e4c41420901', 'ds');
    await writeManifest(dir, { signer: manifestSignerFromPem(privateKeyToPem(key)) });
    const pem = join(tempDir(), 'harness.pem');
    writeFileSync(pem, publicKeyToPem(key.publicKey));
    expect((await hanlab('verify', dir, '--key', pem)).code).toBe(0);
    expect(await hanlab('verify', dir)).toMatchObject({ code: 1, out: expect.stringContaining('not signed by the trusted key') });
  });

  it('report rebuilds the signed report from the log and the manifest, refusing to overwrite it', async () => {
    const { dir } = await recordRun();
    const refused = await hanlab('report', dir);
    expect(refused).toMatchObject({ code: 2, err: expect.stringContaining('give --out') });
    const out = join(tempDir(), 'rebuilt.html');
    expect((await hanlab('report', dir, '--out', out)).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(join(dir, 'report.html'), 'utf8'));

    rmSync(join(dir, 'report.html'));
    expect((await hanlab('report', join(dir, 'evidence.jsonl'), '--out', join(dir, 'from-file.html'))).code).toBe(0);
    expect((await hanlab('report', dir)).code).toBe(0);
    expect(existsSync(join(dir, 'report.html'))).toBe(true);
  });

  it('report marks a torn log and exits 1; a folder without a log is unreadable input', async () => {
    const { dir } = await recordRun({ sign: false });
    const text = readFileSync(join(dir, 'evidence.jsonl'), 'utf8');
    writeFileSync(join(dir, 'evidence.jsonl'), text.slice(0, -40));
    const out = join(dir, 'torn.html');
    const torn = await hanlab('report', dir, '--out', out);
    expect(torn).toMatchObject({ code: 1, err: expect.stringContaining('line 16: not JSON') });
    expect(readFileSync(out, 'utf8')).toContain('could not be read past line 16');
    expect((await hanlab('report', tempDir())).code).toBe(2);
  });

  it('show prints one decoded line per event, the verdicts with their steps, and --json', async () => {
    const { dir } = await recordRun();
    const shown = await hanlab('show', dir);
    expect(shown.code).toBe(0);
    const lines = shown.out.trimEnd().split('\n');
    expect(lines).toHaveLength(16);
    expect(lines).toContainEqual(expect.stringMatching(/^09:0\d:00\.000 {2}balance-read › send-ecs10 {2}upstream esme → headend gbcs ECS10 0x0021 72 bytes .*responses\.0\.result\.name=hardware-fault/));
    expect(lines).toContainEqual(expect.stringMatching(/balance-read {2}scenario FAIL at step check-balance: expected esme balance eq 15\.00 GBP/));
    expect(lines.at(-1)).toMatch(/run run-7 ended: 2 scenario run\(s\), 1 passed, 1 failed/);

    const one = await hanlab('show', dir, '--scenario', 'topup-ok', '--json');
    const events = one.out.trimEnd().split('\n').map((line) => JSON.parse(line) as RunEvent);
    expect(events.map((event) => event.type)).toEqual(['run-start', 'scenario-start', 'step-start', 'frame', 'step-end', 'scenario-end', 'run-end']);
    const ecs10 = (await hanlab('show', dir, '--scenario', 'balance-read', '--json')).out.split('\n').find((line) => line.includes('"ECS10"'))!;
    expect(JSON.parse(ecs10).decoded).toMatchObject({ useCase: 'ECS10', payload: { kind: 'access-response' } });
    expect((await hanlab('show', dir, '--scenario', 'nope')).code).toBe(2);
  });

  it('show keeps hostile text on one line and out of the terminal', () => {
    const formatter = new EventLineFormatter();
    formatter.onEvent({ type: 'log', level: 'error', message: 'line one\nline two \u001b[2J cleared', scenarioId: 's', ...eventTime(undefined, T0) });
    expect(formatter.lines).toEqual(['09:00:00.000  s  ERROR line one ⏎ line two \\x1B[2J cleared']);
  });
});
