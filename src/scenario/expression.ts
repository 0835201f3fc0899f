import { addQuantities, dimensionOf, formatQuantity, isQuantity, parseQuantity, type Quantity } from './quantity.ts';

/** What a variable holds and what an expression evaluates to. */
export type Value = string | number | boolean | Quantity;

export type Operand = { readonly kind: 'variable'; readonly name: string } | { readonly kind: 'constant'; readonly value: number | Quantity };
export interface Term {
  readonly sign: 1 | -1;
  readonly operand: Operand;
}
export type TemplatePart = string | { readonly variable: string };

/**
 * A value written in a scenario file:
 * - `literal`: no variables ("10 GBP", 42, "credit");
 * - `sum`: variables and constants added up: "${balanceBefore}", "${balanceBefore} + 10 GBP";
 * - `template`: variables spliced into text: "UTRN ${utrn} for ${device}".
 */
export type Expr =
  | { readonly kind: 'literal'; readonly value: Value }
  | { readonly kind: 'sum'; readonly terms: readonly Term[]; readonly source: string }
  | { readonly kind: 'template'; readonly parts: readonly TemplatePart[]; readonly source: string };

export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class ExpressionError extends Error {
  override readonly name = 'ExpressionError';
}

export type ExprParse = { ok: true; expr: Expr } | { ok: false; message: string };

/** A string becomes a quantity when it reads as one, otherwise stays text; numbers and booleans stay as they are. */
export function literalValue(raw: string | number | boolean): Value {
  return typeof raw === 'string' ? (parseQuantity(raw) ?? raw) : raw;
}

export function parseExpr(raw: string | number | boolean): ExprParse {
  if (typeof raw !== 'string' || !raw.includes('${')) return { ok: true, expr: { kind: 'literal', value: literalValue(raw) } };
  const terms = parseSum(raw);
  if (terms !== undefined) return { ok: true, expr: { kind: 'sum', terms, source: raw } };
  return parseTemplate(raw);
}

const VARIABLE_TOKEN = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/y;
const CONSTANT_TOKEN = /(£\d+(?:\.\d+)?|\d+(?:\.\d+)?(?:\s*(?:GBP|p|kWh|Wh|m3|m³))?)(?![A-Za-z0-9_.])/y;

/** `term (('+' | '-') term)*` with at least one variable, or undefined when the text is not that shape. */
function parseSum(text: string): Term[] | undefined {
  const terms: Term[] = [];
  let position = skipSpaces(text, 0);
  let sign: 1 | -1 = 1;
  for (;;) {
    const operand = readOperand(text, position);
    if (operand === undefined) return undefined;
    terms.push({ sign, operand: operand.operand });
    position = skipSpaces(text, operand.end);
    if (position === text.length) break;
    const operator = text[position];
    if (operator !== '+' && operator !== '-') return undefined;
    sign = operator === '+' ? 1 : -1;
    position = skipSpaces(text, position + 1);
  }
  return terms.some((term) => term.operand.kind === 'variable') ? terms : undefined;
}

function readOperand(text: string, position: number): { operand: Operand; end: number } | undefined {
  VARIABLE_TOKEN.lastIndex = position;
  const variable = VARIABLE_TOKEN.exec(text);
  if (variable !== null) return { operand: { kind: 'variable', name: variable[1]! }, end: VARIABLE_TOKEN.lastIndex };
  CONSTANT_TOKEN.lastIndex = position;
  const constant = CONSTANT_TOKEN.exec(text);
  if (constant === null) return undefined;
  const value = parseQuantity(constant[1]!) ?? Number(constant[1]);
  return { operand: { kind: 'constant', value }, end: CONSTANT_TOKEN.lastIndex };
}

function skipSpaces(text: string, position: number): number {
  while (text[position] === ' ') position++;
  return position;
}

function parseTemplate(text: string): ExprParse {
  const parts: TemplatePart[] = [];
  let position = 0;
  while (position < text.length) {
    const open = text.indexOf('${', position);
    if (open === -1) {
      parts.push(text.slice(position));
      break;
    }
    if (open > position) parts.push(text.slice(position, open));
    const close = text.indexOf('}', open);
    if (close === -1) return { ok: false, message: `"\${" at character ${open + 1} is never closed with "}"` };
    const name = text.slice(open + 2, close);
    if (!VARIABLE_NAME.test(name)) return { ok: false, message: `"\${${name}}" is not a variable reference (names are letters, digits and _, not starting with a digit)` };
    parts.push({ variable: name });
    position = close + 1;
  }
  return { ok: true, expr: { kind: 'template', parts, source: text } };
}

/** Every variable the expression reads, in order of appearance, without repeats. */
export function variablesOf(expr: Expr): string[] {
  const names =
    expr.kind === 'sum'
      ? expr.terms.flatMap((term) => (term.operand.kind === 'variable' ? [term.operand.name] : []))
      : expr.kind === 'template'
        ? expr.parts.flatMap((part) => (typeof part === 'string' ? [] : [part.variable]))
        : [];
  return [...new Set(names)];
}

export type Variables = ReadonlyMap<string, Value>;

export function evaluate(expr: Expr, variables: Variables): Value {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'template':
      return expr.parts.map((part) => (typeof part === 'string' ? part : formatValue(lookup(variables, part.variable)))).join('');
    case 'sum':
      return evaluateSum(expr, variables);
  }
}

function lookup(variables: Variables, name: string): Value {
  const value = variables.get(name);
  if (value === undefined) throw new ExpressionError(`variable "${name}" has no value (capture it in an earlier step or declare it under vars)`);
  return value;
}

function evaluateSum(expr: Extract<Expr, { kind: 'sum' }>, variables: Variables): Value {
  const values = expr.terms.map((term) => ({ sign: term.sign, value: term.operand.kind === 'variable' ? lookup(variables, term.operand.name) : term.operand.value }));
  const [first, ...rest] = values;
  if (first === undefined) throw new ExpressionError(`"${expr.source}" is empty`);
  if (rest.length === 0 && first.sign === 1) return first.value;
  if (values.every((term) => typeof term.value === 'number')) {
    return values.reduce((total, term) => total + term.sign * (term.value as number), 0);
  }
  if (!values.every((term) => isQuantity(term.value))) {
    throw new ExpressionError(`"${expr.source}" mixes ${values.map((term) => describeValue(term.value)).join(', ')}: only numbers, or quantities of one kind, add up`);
  }
  const quantities = values as Array<{ sign: 1 | -1; value: Quantity }>;
  const dimension = dimensionOf(quantities[0]!.value.unit);
  const stranger = quantities.find((term) => dimensionOf(term.value.unit) !== dimension);
  if (stranger !== undefined) throw new ExpressionError(`"${expr.source}" adds ${formatQuantity(stranger.value)} to ${dimension}`);
  const start: Quantity = { value: 0, unit: quantities[0]!.value.unit };
  return quantities.reduce((total, term) => addQuantities(total, term.value, term.sign), start);
}

export function formatValue(value: Value): string {
  return isQuantity(value) ? formatQuantity(value) : String(value);
}

/** "the quantity 10.00 GBP", "the number 3", "the text "credit"": for messages. */
export function describeValue(value: Value): string {
  if (isQuantity(value)) return `the quantity ${formatQuantity(value)}`;
  if (typeof value === 'string') return `the text ${JSON.stringify(value)}`;
  return `the ${typeof value} ${String(value)}`;
}

/** How an expression reads in a report: its source text, or the literal value. */
export function formatExpr(expr: Expr): string {
  return expr.kind === 'literal' ? formatValue(expr.value) : expr.source;
}
