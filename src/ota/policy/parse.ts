/**
 * Catalogue and estate files (YAML, or JSON, which YAML reads too) from text. No I/O: the caller reads the file
 * and passes its name for the messages. Every problem names the file, line and column, what was found there and
 * what was expected.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import type { FirmwareCatalogue } from './catalogue.ts';
import type { Estate } from './estate.ts';
import { catalogueSchema, estateSchema } from './schema.ts';

export interface FileProblem {
  source: string;
  line: number;
  col: number;
  /** Where in the document, e.g. models[0].versions[2].state; empty for the document itself. */
  path: string;
  message: string;
}

export const formatProblem = (p: FileProblem): string => `${p.source}:${p.line}:${p.col}: ${p.path ? `${p.path}: ` : ''}${p.message}`;

export class PolicyFileError extends Error {
  constructor(
    readonly source: string,
    readonly problems: FileProblem[],
  ) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'PolicyFileError';
  }
}

export function parseCatalogue(text: string, source: string): FirmwareCatalogue {
  return parseWith(catalogueSchema, text, source);
}

export function parseEstate(text: string, source: string): Estate {
  return parseWith(estateSchema, text, source);
}

type Path = readonly PropertyKey[];

const pathText = (path: Path): string =>
  path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${String(k)}` : String(k)), '');

/** The schema messages that zod would otherwise word as "Invalid input", said as what was expected. */
function expectedText(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type': {
      const names: Record<string, string> = { object: 'a mapping', array: 'a list', string: 'a string', boolean: 'true or false', number: 'a number' };
      return `expected ${names[issue.expected] ?? issue.expected}`;
    }
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return issue.origin === 'string' ? 'expected a non-empty string' : `expected at least ${String(issue.minimum)} item${issue.minimum === 1 ? '' : 's'}`;
    default:
      return undefined;
  }
}

function describeNode(node: unknown): string {
  if (isScalar(node)) return node.value === null ? 'an empty value' : JSON.stringify(node.value);
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return node.items.length === 0 ? 'an empty list' : `a list of ${node.items.length}`;
  if (isAlias(node)) return `an alias (*${node.source})`;
  return 'nothing';
}

interface Located {
  /** The node at the path, or the nearest enclosing one when the path leads nowhere (a missing key). */
  node: unknown;
  exact: boolean;
}

function locate(doc: Document, path: Path): Located {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (node !== undefined && node !== null) return { node, exact: n === path.length };
  }
  return { node: undefined, exact: false };
}

function problemAt(source: string, lines: LineCounter, node: unknown, path: Path, message: string): FileProblem {
  const range = (node as { range?: [number, number, number] } | undefined)?.range;
  const { line, col } = range ? lines.linePos(range[0]) : { line: 1, col: 1 };
  return { source, line, col, path: pathText(path), message };
}

function issueProblems(source: string, doc: Document, lines: LineCounter, issue: z.core.$ZodIssue): FileProblem[] {
  if (issue.code === 'unrecognized_keys') {
    const parent = locate(doc, issue.path).node;
    return issue.keys.map((key) => {
      const pair = isMap(parent) ? parent.items.find((p) => isScalar(p.key) && p.key.value === key) : undefined;
      return problemAt(source, lines, pair?.key ?? parent, [...issue.path, key], `found an unknown key, ${issue.message}`);
    });
  }
  const { node, exact } = locate(doc, issue.path);
  const found = exact ? describeNode(node) : node === undefined ? 'nothing (the file is empty)' : 'nothing (the key is missing)';
  return [problemAt(source, lines, node, issue.path, `found ${found}, ${issue.message}`)];
}

function parseWith<T>(schema: z.ZodType<T>, text: string, source: string): T {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new PolicyFileError(
      source,
      doc.errors.map((e) => {
        const { line, col } = lines.linePos(e.pos[0]);
        return { source, line, col, path: '', message: `not valid YAML or JSON: ${e.message}` };
      }),
    );
  }
  const result = schema.safeParse(doc.toJS(), { error: expectedText });
  if (result.success) return result.data;
  throw new PolicyFileError(source, result.error.issues.flatMap((issue) => issueProblems(source, doc, lines, issue)));
}
