import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node, type Pair } from 'yaml';
import type { z } from 'zod';
import { didYouMean } from './did-you-mean.ts';

export interface SourceLocation {
  readonly file: string;
  /** 1-based; 0 when the error concerns the whole file (it could not be read). */
  readonly line: number;
  readonly column: number;
}

/** One problem in a YAML file, pointing at the offending node. */
export interface SourceError extends SourceLocation {
  readonly message: string;
  /** What would have been accepted there. */
  readonly expected: string;
  /** What the file has there, as written (or "nothing" for a missing key). */
  readonly found: string;
  /** Where in the document, e.g. `steps[2].han.action`; empty at the top. */
  readonly path: string;
}

export type PathSegment = string | number;

/** A problem found after parsing, by path; the source turns it into a SourceError with a position. */
export interface PathIssue {
  readonly path: readonly PathSegment[];
  readonly message: string;
  readonly expected: string;
  /** Overrides the node's own text. */
  readonly found?: string;
  /** Point at the key of the pair rather than its value. */
  readonly at?: 'key' | 'value';
}

/** Issue params our zod helpers attach so errors can say what was expected. */
export interface IssueParams {
  readonly expected?: string;
  /** Point at the key of the pair rather than its value. */
  readonly at?: 'key';
  readonly unknownKey?: string;
  readonly allowedKeys?: readonly string[];
}

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: SourceError[] };

const FOUND_LIMIT = 60;

export function formatSourceError(error: SourceError): string {
  const where = error.line > 0 ? `${error.file}:${error.line}:${error.column}` : error.file;
  const details = [error.expected && `expected ${error.expected}`, error.found && `found ${error.found}`].filter(Boolean).join('; ');
  return `${where}: ${error.message}${details ? ` (${details})` : ''}`;
}

export function formatPath(path: readonly PathSegment[]): string {
  return path.map((segment, index) => (typeof segment === 'number' ? `[${segment}]` : index === 0 ? segment : `.${segment}`)).join('');
}

export function fileError(file: string, message: string, expected = '', found = ''): SourceError {
  return { file, line: 0, column: 0, message, expected, found, path: '' };
}

/**
 * A parsed YAML document that remembers where each node came from, so problems found later (by zod or by
 * cross-checks) can be reported at a line and column.
 */
export class YamlSource {
  private constructor(
    readonly file: string,
    private readonly text: string,
    private readonly document: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  /**
   * Parses `text`. Values under `textKeys` keep the digits as written even when YAML would read a number,
   * so `srv: 8.10` stays "8.10" and `firmware: 1.10` stays "1.10".
   */
  static parse(text: string, file: string, textKeys: ReadonlySet<string> = new Set()): { source: YamlSource; data: unknown } | { errors: SourceError[] } {
    const lines = new LineCounter();
    const document = parseDocument(text, { lineCounter: lines, prettyErrors: false, keepSourceTokens: true });
    const source = new YamlSource(file, text, document, lines);
    if (document.errors.length > 0) {
      return {
        errors: document.errors.map((error) => ({
          ...source.position(error.pos[0]),
          message: `YAML syntax: ${error.message}`,
          expected: 'valid YAML',
          found: source.snippet(error.pos[0], error.pos[1]) || 'end of file',
          path: '',
        })),
      };
    }
    keepTextAsWritten(document, textKeys);
    try {
      return { source, data: document.toJS({ maxAliasCount: 100 }) };
    } catch (error) {
      return { errors: [{ ...source.position(0), message: `YAML: ${(error as Error).message}`, expected: 'valid YAML', found: '', path: '' }] };
    }
  }

  /** Validates the parsed data with `schema`; every issue becomes a positioned SourceError. */
  check<T>(schema: z.ZodType<T>, data: unknown): Validated<T> {
    const result = schema.safeParse(data);
    if (result.success) return { ok: true, value: result.data };
    return { ok: false, errors: this.errorsFor(result.error.issues.map((issue) => this.fromZodIssue(issue))) };
  }

  errorsFor(issues: readonly PathIssue[]): SourceError[] {
    return issues.map((issue) => this.errorFor(issue)).sort((a, b) => a.line - b.line || a.column - b.column);
  }

  errorFor(issue: PathIssue): SourceError {
    const { node, key, missing } = this.find(issue.path);
    const keyText = issue.at === 'key' && key?.range ? this.snippet(key.range[0], key.range[1]) : undefined;
    const found = issue.found ?? keyText ?? (missing ? 'nothing' : this.describeNode(node));
    return { ...this.startOf(node, key, issue.at), message: issue.message, expected: issue.expected, found, path: formatPath(issue.path) };
  }

  /** The position of the node at `path` (its key with at = 'key'), or of its nearest existing ancestor. */
  locate(path: readonly PathSegment[], at: 'key' | 'value' = 'value'): SourceLocation {
    const { node, key } = this.find(path);
    return this.startOf(node, key, at);
  }

  private startOf(node: Node | undefined, key: Node | undefined, at: 'key' | 'value' = 'value'): SourceLocation {
    const range = (at === 'key' ? key?.range : undefined) ?? node?.range ?? key?.range;
    return this.position(range?.[0] ?? 0);
  }

  private position(offset: number): SourceLocation {
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, column: col };
  }

  private find(path: readonly PathSegment[]): { node: Node | undefined; key: Node | undefined; missing: boolean } {
    let node: Node | undefined = (this.document.contents ?? undefined) as Node | undefined;
    let key: Node | undefined;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = (node.items as Pair[]).find((item) => isPair(item) && scalarText(item.key) === String(segment));
        if (pair === undefined) return { node, key, missing: true };
        key = pair.key as Node;
        node = (pair.value ?? undefined) as Node | undefined;
      } else if (isSeq(node) && typeof segment === 'number' && segment < node.items.length) {
        key = undefined;
        node = node.items[segment] as Node;
      } else {
        return { node, key, missing: true };
      }
    }
    return { node, key, missing: false };
  }

  private describeNode(node: Node | undefined): string {
    if (node === undefined || (isScalar(node) && node.value === null)) return 'nothing';
    if (isMap(node)) return 'a mapping';
    if (isSeq(node)) return 'a list';
    const range = node.range;
    return range ? this.snippet(range[0], range[1]) : '';
  }

  private snippet(start: number, end: number): string {
    const text = this.text.slice(start, end).replace(/\s+/g, ' ').trim();
    return text.length > FOUND_LIMIT ? `${text.slice(0, FOUND_LIMIT - 1)}…` : text;
  }

  private fromZodIssue(issue: z.core.$ZodIssue): PathIssue {
    const path = issue.path.filter((segment): segment is PathSegment => typeof segment !== 'symbol');
    const params = (issue.code === 'custom' ? (issue.params ?? {}) : {}) as IssueParams;
    if (params.unknownKey !== undefined) {
      const allowed = params.allowedKeys ?? [];
      const suggestion = didYouMean(params.unknownKey, allowed);
      return {
        path,
        at: 'key',
        message: `unknown key "${params.unknownKey}"${suggestion ? `; did you mean "${suggestion}"?` : ''}`,
        expected: `one of ${allowed.join(', ')}`,
        found: params.unknownKey,
      };
    }
    const last = path[path.length - 1];
    if (typeof last === 'string' && (issue.code === 'invalid_type' || issue.code === 'invalid_value') && this.find(path).missing) {
      const expected = issue.code === 'invalid_type' ? describeType(issue.expected) : `one of ${issue.values.map(String).join(', ')}`;
      return { path, message: `missing "${last}"`, expected, found: 'nothing' };
    }
    if (issue.code === 'invalid_type') {
      const expected = describeType(issue.expected);
      return { path, message: `expected ${expected}`, expected };
    }
    if (issue.code === 'invalid_value') {
      const options = issue.values.map(String);
      const value = this.valueAt(path);
      const suggestion = typeof value === 'string' ? didYouMean(value, options) : undefined;
      return { path, message: `not an accepted value${suggestion ? `; did you mean "${suggestion}"?` : ''}`, expected: `one of ${options.join(', ')}` };
    }
    if (issue.code === 'too_small' && issue.origin === 'array') return { path, message: `needs at least ${issue.minimum} item(s)`, expected: `a list of at least ${issue.minimum}` };
    if (issue.code === 'too_small' && issue.origin === 'string') return { path, message: 'must not be empty', expected: 'non-empty text' };
    return { path, message: issue.message, expected: params.expected ?? '', ...(params.at ? { at: params.at } : {}) };
  }

  private valueAt(path: readonly PathSegment[]): unknown {
    const { node, missing } = this.find(path);
    return !missing && isScalar(node) ? node.value : undefined;
  }
}

function scalarText(node: unknown): string | undefined {
  return isScalar(node) ? String(node.value) : undefined;
}

function keepTextAsWritten(document: Document.Parsed, textKeys: ReadonlySet<string>): void {
  if (textKeys.size === 0) return;
  visit(document, {
    Pair(_, pair) {
      const key = scalarText(pair.key);
      if (key === undefined || !textKeys.has(key) || !isScalar(pair.value)) return;
      if (typeof pair.value.value === 'number' && typeof pair.value.source === 'string') pair.value.value = pair.value.source;
    },
  });
}

const TYPE_WORDS: Readonly<Record<string, string>> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping (key: value)',
  record: 'a mapping (key: value)',
  array: 'a list',
};

function describeType(expected: string): string {
  return TYPE_WORDS[expected] ?? expected;
}

/** Parses YAML text and checks it with `schema`: the value and its source, or every error found. */
export function validateYamlText<T>(
  text: string,
  file: string,
  schema: z.ZodType<T>,
  textKeys: ReadonlySet<string> = new Set(),
): { ok: true; value: T; source: YamlSource } | { ok: false; errors: SourceError[] } {
  const parsed = YamlSource.parse(text, file, textKeys);
  if ('errors' in parsed) return { ok: false, errors: parsed.errors };
  const checked = parsed.source.check(schema, parsed.data);
  return checked.ok ? { ok: true, value: checked.value, source: parsed.source } : checked;
}
