import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { fromHex, HexError } from '../bytes.ts';
import { KeyStore } from '../crypto/keystore.ts';
import { useCaseByMessageCode } from '../gbcs/catalogue.ts';
import { GbcsDecodeError } from '../gbcs/errors.ts';
import { decodeMessage, messageToJson, type DecodedMessage } from '../gbcs/message.ts';
import { GbcsSecurity } from '../gbcs/security.ts';

export interface CorpusSummary {
  total: number;
  decoded: number;
  payloadDecoded: number;
  macValid: number;
  signatureValid: number;
  /** A MAC or signature was checked and is wrong. */
  invalid: number;
  /** A MAC or signature could not be checked for want of a key. */
  unverifiable: number;
}

export function emptySummary(): CorpusSummary {
  return { total: 0, decoded: 0, payloadDecoded: 0, macValid: 0, signatureValid: 0, invalid: 0, unverifiable: 0 };
}

export function addToSummary(s: CorpusSummary, m: DecodedMessage | undefined): void {
  s.total++;
  if (!m) return;
  s.decoded++;
  if (m.payload) s.payloadDecoded++;
  if (m.mac === 'valid') s.macValid++;
  if (m.signature === 'valid') s.signatureValid++;
  if (m.mac === 'invalid' || m.signature === 'invalid') s.invalid++;
  if (m.mac === 'unverifiable' || m.signature === 'unverifiable') s.unverifiable++;
}

/** Every `*.HEX` file below a folder, in a stable order. */
export function corpusFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.toUpperCase().endsWith('.HEX')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

function readMessageArgument(arg: string): { label: string; text: string } {
  if (arg === '-') return { label: 'stdin', text: readFileSync(0, 'utf8') };
  if (existsSync(arg) && statSync(arg).isFile()) return { label: arg, text: readFileSync(arg, 'utf8') };
  return { label: 'argument', text: arg };
}

function describe(m: DecodedMessage, label: string): string {
  const h = m.frame.header;
  const uc = useCaseByMessageCode(h.other.messageCode);
  const lines = [
    `${label}`,
    `  use case    ${uc ? `${uc.name} — ${uc.title}` : 'unknown'} (message code 0x${h.other.messageCode.toString(16).padStart(4, '0')})`,
    `  frame       ${m.kind}, ${['', 'command', 'response', 'alert'][h.cra]}, counter ${h.counter}`,
    `  parties     ${h.originator} → ${h.recipient}`,
  ];
  if (h.other.supplementaryRemotePartyId) lines.push(`  on behalf   ${h.other.supplementaryRemotePartyId}`);
  lines.push(`  MAC         ${m.mac}`, `  signature   ${m.signature}`);
  if (m.payload) {
    lines.push(`  payload     ${m.payload.encoding} ${m.payload.kind}`);
    const tree = stringify(m.payload.fields, { indent: 2, lineWidth: 0 }).trimEnd();
    for (const l of tree.split('\n')) lines.push(`    ${l}`);
  } else {
    lines.push(`  payload     not decoded: ${m.payloadError?.message ?? 'unknown encoding'}`);
  }
  return lines.join('\n');
}

export function registerDecodeCommand(program: Command): void {
  program
    .command('decode')
    .description('Decode GBCS messages: hex text, a file, or every *.HEX below --corpus DIR')
    .argument('[message]', 'hex text, a file holding hex, or - for standard input')
    .option('--corpus <dir>', 'decode every *.HEX file below this folder')
    .option('--keys <dir>', 'key folder (repeatable): <eui>[-pp]-<ds|ka>.<pem|key>', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--acb <eui>', 'Access Control Broker whose KA key MACs commands', '90b3d51f30000002')
    .option('--json', 'one JSON object per message; for a corpus, exactly one JSON object: the summary')
    .option('--each', 'with --corpus --json: also one JSON line per message before the summary')
    .action((message: string | undefined, opts: { corpus?: string; keys: string[]; acb: string; json?: boolean; each?: boolean }) => {
      const security = new GbcsSecurity(KeyStore.fromFolders(opts.keys), { acb: opts.acb });
      const out = (s: string) => process.stdout.write(`${s}\n`);
      if (opts.corpus) {
        const summary = emptySummary();
        for (const file of corpusFiles(opts.corpus)) {
          const label = relative(opts.corpus, file);
          let m: DecodedMessage | undefined;
          try {
            m = decodeMessage(fromHex(readFileSync(file, 'utf8')), security);
          } catch (e) {
            if (!(e instanceof GbcsDecodeError || e instanceof HexError)) throw e;
            if (!opts.json) out(`${label}\n  not decoded: ${e.message}`);
          }
          addToSummary(summary, m);
          if (m && !opts.json) out(describe(m, label));
          if (m && opts.json && opts.each) out(JSON.stringify({ file: label, ...(messageToJson(m) as object) }));
        }
        out(opts.json ? JSON.stringify(summary) : `summary: ${Object.entries(summary).map(([k, v]) => `${k} ${v}`).join(', ')}`);
        process.exitCode = summary.decoded === summary.total ? 0 : 1;
        return;
      }
      if (message === undefined) throw new Error('give a message (hex, file or -) or --corpus DIR');
      const { label, text } = readMessageArgument(message);
      try {
        const m = decodeMessage(fromHex(text), security);
        out(opts.json ? JSON.stringify(messageToJson(m)) : describe(m, label));
        process.exitCode = m.payloadError ? 1 : 0;
      } catch (e) {
        if (!(e instanceof GbcsDecodeError || e instanceof HexError)) throw e;
        process.stderr.write(`hanlab decode: ${label}: ${e.message}\n`);
        process.exitCode = 1;
      }
    });
}
