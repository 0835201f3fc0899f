import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { fromHex, HexError } from '../bytes.ts';
import { KeyStore } from '../crypto/keystore.ts';
import { useCaseByName } from '../gbcs/catalogue.ts';
import type { Json } from '../gbcs/payload/types.ts';
import { GbcsDecodeError } from '../gbcs/errors.ts';
import { decodeCorpus } from '../gbcs/corpus.ts';
import { decodeMessage, messageToJson } from '../gbcs/message.ts';
import { GbcsSecurity } from '../gbcs/security.ts';

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

/** The readable tree of one message, from its JSON view (the same view `--json` prints). */
function describeJson(json: Json, label: string): string {
  const m = json as Record<string, Json> & { payload: Record<string, Json>; dateTime: Record<string, Json> | null };
  const uc = typeof m.useCase === 'string' ? useCaseByName(m.useCase) : undefined;
  const lines = [
    label,
    `  use case    ${uc ? `${uc.name} — ${uc.title}` : 'unknown'} (message code ${String(m.messageCode)})`,
    `  frame       ${String(m.kind)}, ${String(m.cra)}, counter ${String(m.counter)}`,
    `  parties     ${String(m.originator)} → ${String(m.recipient)}`,
  ];
  if (m.supplementaryRemotePartyId) lines.push(`  on behalf   ${String(m.supplementaryRemotePartyId)}`);
  if (m.dateTime) lines.push(`  date-time   ${String(m.dateTime.iso ?? m.dateTime.meaning ?? m.dateTime.text ?? m.dateTime.hex)}`);
  lines.push(`  MAC         ${String(m.mac)}`, `  signature   ${String(m.signature)}`);
  if (m.payloadError) {
    lines.push(`  payload     not decoded: ${String(m.payloadError)}`);
  } else {
    lines.push(`  payload     ${String(m.payload.encoding)} ${String(m.payload.kind)}`);
    const tree = stringify(m.payload.fields, { indent: 2, lineWidth: 0 }).trimEnd();
    for (const l of tree.split('\n')) lines.push(`    ${l}`);
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
    .option('--workers <n>', 'with --corpus: worker threads (default: one per core)')
    .action(async (message: string | undefined, opts: { corpus?: string; keys: string[]; acb: string; json?: boolean; each?: boolean; workers?: string }) => {
      const security = new GbcsSecurity(KeyStore.fromFolders(opts.keys), { acb: opts.acb });
      const out = (s: string) => process.stdout.write(`${s}\n`);
      if (opts.corpus) {
        const files = corpusFiles(opts.corpus);
        const messages: Uint8Array[] = [];
        const unreadable: { file: string; error: string }[] = [];
        const readable: string[] = [];
        for (const file of files) {
          try {
            messages.push(fromHex(readFileSync(file, 'utf8')));
            readable.push(file);
          } catch (e) {
            if (!(e instanceof HexError)) throw e;
            unreadable.push({ file, error: e.message });
          }
        }
        const workers = opts.workers === undefined ? undefined : Number(opts.workers);
        const { summary, entries = [] } = await decodeCorpus(messages, { keyFolders: opts.keys, acb: opts.acb, entries: !opts.json || opts.each === true, ...(workers ? { workers } : {}) });
        summary.total += unreadable.length;
        for (const u of unreadable) out(opts.json ? JSON.stringify({ file: relative(opts.corpus, u.file), error: u.error }) : `${relative(opts.corpus, u.file)}\n  not decoded: ${u.error}`);
        entries.forEach((entry, i) => {
          const label = relative(opts.corpus!, readable[i]!);
          if (opts.json) out(JSON.stringify(entry.ok ? { file: label, ...(entry.json as object) } : { file: label, error: entry.error }));
          else out(entry.ok ? describeJson(entry.json, label) : `${label}\n  not decoded: ${entry.error}`);
        });
        out(opts.json ? JSON.stringify(summary) : `summary: ${Object.entries(summary).map(([k, v]) => `${k} ${v}`).join(', ')}`);
        process.exitCode = summary.decoded === summary.total ? 0 : 1;
        return;
      }
      if (message === undefined) throw new Error('give a message (hex, file or -) or --corpus DIR');
      const { label, text } = readMessageArgument(message);
      try {
        const m = decodeMessage(fromHex(text), security);
        out(opts.json ? JSON.stringify(messageToJson(m)) : describeJson(messageToJson(m), label));
        process.exitCode = m.payloadError ? 1 : 0;
      } catch (e) {
        if (!(e instanceof GbcsDecodeError || e instanceof HexError)) throw e;
        process.stderr.write(`hanlab decode: ${label}: ${e.message}\n`);
        process.exitCode = 1;
      }
    });
}
