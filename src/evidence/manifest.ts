/**
 * manifest.json: the signed list of a run's evidence. It names every file of the run's folder with its
 * SHA-256 and size, the evidence chain's head hash and record count (so cutting records off the end of
 * evidence.jsonl is caught, which the chain alone cannot tell from a crash), and the run's identity; the whole
 * is signed with deterministic ECDSA P-256 over its canonical JSON.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { fromHex, toHex } from '../bytes.ts';
import { signDeterministic, verifySignature } from '../crypto/ecdsa.ts';
import type { PublicKey } from '../crypto/keys.ts';
import { canonicalJson } from './canonical-json.ts';
import { keyFingerprint, testManifestSigner, type ManifestSigner } from './manifest-signer.ts';
import { eventProblem } from './read-evidence.ts';
import { hanlabVersion, type RunFacts } from './run-facts.ts';
import { verifyEvidenceChain, type ChainVerdict } from './verify-chain.ts';

export const MANIFEST_FILE = 'manifest.json';
export const EVIDENCE_LOG_FILE = 'evidence.jsonl';
export const MANIFEST_FORMAT = 'hanlab-evidence-manifest/1';
export const SIGNATURE_ALGORITHM = 'ECDSA-P256-SHA256';

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
const count = z.number().int().nonnegative();

const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  run: z.object({
    runId: z.string(),
    seed: z.union([z.string(), z.number()]).optional(),
    rig: z.string().optional(),
    hanlabVersion: z.string(),
    exitCriteria: z.object({ text: z.string(), ok: z.boolean(), reasons: z.array(z.string()) }).optional(),
  }),
  evidenceLog: z.object({ path: z.string(), records: count, headHash: sha256Hex, complete: z.boolean() }),
  files: z.array(z.object({ path: z.string(), sha256: sha256Hex, size: count })),
  signer: z.object({ label: z.string(), testKey: z.boolean(), publicKey: z.string().regex(/^04[0-9a-f]{128}$/), fingerprint: z.string() }),
  signature: z.object({ algorithm: z.literal(SIGNATURE_ALGORITHM), value: z.string().regex(/^[0-9a-f]{128}$/) }),
});

export type Manifest = z.infer<typeof manifestSchema>;

/** The manifest cannot be signed (the evidence log is broken) or cannot be read at all. */
export class ManifestError extends Error {
  override readonly name = 'ManifestError';
}

export type ManifestProblemKind = 'signature' | 'missing-file' | 'file-size' | 'file-hash' | 'unsafe-path' | 'chain' | 'chain-head';

export interface ManifestProblem {
  readonly kind: ManifestProblemKind;
  /** The file concerned, relative to the run's folder. */
  readonly file?: string;
  readonly message: string;
}

export interface ManifestVerdict {
  /** Signature, every file and the evidence chain all check. */
  readonly ok: boolean;
  readonly manifest: Manifest;
  readonly problems: readonly ManifestProblem[];
  /** Worth knowing but not wrong: a test key signed it, files beside the listed ones, an unfinished run. */
  readonly notes: readonly string[];
  readonly chain?: ChainVerdict;
}

export interface WriteManifestOptions {
  /** Default: the test PKI's harness key, labelled as a test key in the manifest. */
  readonly signer?: ManifestSigner;
  readonly facts?: RunFacts;
}

async function fileDigest(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

/** Every regular file below `dir` but the manifest, as sorted '/'-separated relative paths. */
function evidenceFiles(dir: string, under = ''): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(join(dir, under), { withFileTypes: true })) {
    const path = under === '' ? entry.name : `${under}/${entry.name}`;
    if (entry.isDirectory()) found.push(...evidenceFiles(dir, path));
    else if (entry.isFile() && path !== MANIFEST_FILE) found.push(path);
  }
  return found.sort();
}

function isInsideFolder(path: string): boolean {
  return path !== '' && !isAbsolute(path) && !path.includes('\\') && path.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

async function runStartOf(logPath: string): Promise<{ runId: string; rig?: string }> {
  const lines = createInterface({ input: createReadStream(logPath, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const text of lines) {
    lines.close();
    const event = (JSON.parse(text) as { event?: unknown }).event;
    if (eventProblem(event) !== undefined || (event as { type: string }).type !== 'run-start') break;
    const { runId, rig } = event as { runId: string; rig?: string };
    return rig === undefined ? { runId } : { runId, rig };
  }
  throw new ManifestError(`${logPath} does not begin with a run-start event`);
}

function signedBytes(unsigned: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalJson(unsigned));
}

/**
 * Signs the run's folder: call after every reporter has closed. Refuses to sign an evidence log whose chain
 * is broken, and to replace an existing manifest.
 */
export async function writeManifest(dir: string, options: WriteManifestOptions = {}): Promise<Manifest> {
  const signer = options.signer ?? testManifestSigner();
  const facts = options.facts ?? {};
  const logPath = join(dir, EVIDENCE_LOG_FILE);
  if (!existsSync(logPath)) throw new ManifestError(`no ${EVIDENCE_LOG_FILE} in ${dir}`);
  const chain = await verifyEvidenceChain(logPath);
  if (!chain.ok) throw new ManifestError(`refusing to sign a broken evidence log: ${chain.reason}`);
  const start = await runStartOf(logPath);
  const rig = facts.rig ?? start.rig;
  const files = [];
  for (const path of evidenceFiles(dir)) files.push({ path, ...(await fileDigest(join(dir, path))) });
  const unsigned: Omit<Manifest, 'signature'> = {
    format: MANIFEST_FORMAT,
    run: {
      runId: start.runId,
      ...(facts.seed === undefined ? {} : { seed: facts.seed }),
      ...(rig === undefined ? {} : { rig }),
      hanlabVersion: facts.hanlabVersion ?? hanlabVersion(),
      ...(facts.exitCriteria === undefined ? {} : { exitCriteria: { text: facts.exitCriteria.text, ok: facts.exitCriteria.ok, reasons: [...facts.exitCriteria.reasons] } }),
    },
    evidenceLog: { path: EVIDENCE_LOG_FILE, records: chain.records, headHash: chain.head, complete: chain.complete },
    files,
    signer: { label: signer.label, testKey: signer.testKey, publicKey: toHex(signer.key.publicKey.raw), fingerprint: keyFingerprint(signer.key.publicKey) },
  };
  const manifest: Manifest = { ...unsigned, signature: { algorithm: SIGNATURE_ALGORITHM, value: toHex(signDeterministic(signer.key, signedBytes(unsigned))) } };
  writeFileSync(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { flag: 'wx' });
  return manifest;
}

/** The manifest as written, and parsed; ManifestError when it is missing, not JSON, or not a manifest. */
export function readManifest(dir: string): { readonly manifest: Manifest; readonly raw: Record<string, unknown> } {
  const path = join(dir, MANIFEST_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ManifestError(`cannot read ${path}: ${(error as Error).message}`);
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new ManifestError(`${path} is not a hanlab manifest: ${first ? `${first.path.join('.') || 'top level'}: ${first.message}` : 'unexpected shape'}`);
  }
  return { manifest: parsed.data, raw: raw as Record<string, unknown> };
}

function signatureProblem(manifest: Manifest, raw: Record<string, unknown>, trusted: PublicKey): ManifestProblem | undefined {
  // Verified over what the file says, not over the parsed copy, so a field added after signing is caught too.
  const { signature: _signature, ...unsigned } = raw;
  if (verifySignature(trusted, signedBytes(unsigned), fromHex(manifest.signature.value))) return undefined;
  const named = manifest.signer.publicKey;
  const message =
    named === toHex(trusted.raw)
      ? `${MANIFEST_FILE}: the signature does not match its content: the manifest was changed after it was signed`
      : `${MANIFEST_FILE}: not signed by the trusted key ${keyFingerprint(trusted)}; it names signer ${manifest.signer.fingerprint} (${manifest.signer.label})`;
  return { kind: 'signature', file: MANIFEST_FILE, message };
}

async function fileProblems(dir: string, manifest: Manifest): Promise<ManifestProblem[]> {
  const problems: ManifestProblem[] = [];
  for (const entry of manifest.files) {
    if (!isInsideFolder(entry.path)) {
      problems.push({ kind: 'unsafe-path', file: entry.path, message: `${entry.path}: the manifest names a file outside the run's folder` });
      continue;
    }
    const path = join(dir, entry.path);
    if (!existsSync(path)) {
      problems.push({ kind: 'missing-file', file: entry.path, message: `${entry.path}: missing` });
      continue;
    }
    const actual = await fileDigest(path);
    if (actual.size !== entry.size) {
      problems.push({ kind: 'file-size', file: entry.path, message: `${entry.path}: ${actual.size} bytes, the manifest signed ${entry.size}` });
    }
    if (actual.sha256 !== entry.sha256) {
      problems.push({ kind: 'file-hash', file: entry.path, message: `${entry.path}: SHA-256 ${actual.sha256} differs from the signed ${entry.sha256}: the file was changed` });
    }
  }
  return problems;
}

function chainProblems(manifest: Manifest, chain: ChainVerdict): ManifestProblem[] {
  const file = manifest.evidenceLog.path;
  if (!chain.ok) return [{ kind: 'chain', file, message: `${file}: hash chain broken at line ${chain.line}: ${chain.reason}` }];
  const signed = manifest.evidenceLog;
  if (chain.records < signed.records) {
    const removed = signed.records - chain.records;
    return [{ kind: 'chain-head', file, message: `${file}: ends at record ${chain.records} but the manifest signed ${signed.records}: the last ${removed} record(s) were removed` }];
  }
  if (chain.records > signed.records) {
    return [{ kind: 'chain-head', file, message: `${file}: has ${chain.records} records but the manifest signed ${signed.records}: records were added after signing` }];
  }
  if (chain.head !== signed.headHash) {
    return [{ kind: 'chain-head', file, message: `${file}: head hash ${chain.head} differs from the signed ${signed.headHash}: the log was rewritten` }];
  }
  return [];
}

/**
 * Checks a run's folder against its manifest: the signature with the trusted key, every listed file's size
 * and hash, and the evidence chain against the signed head and count. Reports every problem, not the first.
 */
export async function verifyManifest(dir: string, trusted: PublicKey): Promise<ManifestVerdict> {
  const { manifest, raw } = readManifest(dir);
  const problems: ManifestProblem[] = [];
  const signature = signatureProblem(manifest, raw, trusted);
  if (signature !== undefined) problems.push(signature);
  problems.push(...(await fileProblems(dir, manifest)));

  let chain: ChainVerdict | undefined;
  const logPath = join(dir, manifest.evidenceLog.path);
  if (!isInsideFolder(manifest.evidenceLog.path)) {
    problems.push({ kind: 'unsafe-path', file: manifest.evidenceLog.path, message: `${manifest.evidenceLog.path}: the evidence log is named outside the run's folder` });
  } else if (existsSync(logPath)) {
    chain = await verifyEvidenceChain(logPath);
    problems.push(...chainProblems(manifest, chain));
  } else if (!manifest.files.some((entry) => entry.path === manifest.evidenceLog.path)) {
    problems.push({ kind: 'missing-file', file: manifest.evidenceLog.path, message: `${manifest.evidenceLog.path}: missing` });
  }

  const notes: string[] = [];
  if (manifest.signer.testKey) notes.push(`signed with ${manifest.signer.label}`);
  if (!manifest.evidenceLog.complete) notes.push(`${manifest.evidenceLog.path} was signed without run-end: the run did not finish`);
  const listed = new Set(manifest.files.map((entry) => entry.path));
  for (const path of evidenceFiles(dir)) if (!listed.has(path)) notes.push(`${path}: not in the manifest (added after signing; not covered by the signature)`);
  return { ok: problems.length === 0, manifest, problems, notes, ...(chain === undefined ? {} : { chain }) };
}
