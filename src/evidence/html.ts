/**
 * A tiny HTML builder that escapes by default: plain strings are always text, and only markup made by
 * `el` (or marked with `trusted`) passes through unescaped. Reports carry device output, reasons written by
 * scenario authors and decoded fields, none of which may become markup.
 */

/** Characters HTML cannot carry as text (NUL, C0 controls but tab/CR/LF, lone surrogates), made visible. */
const NOT_IN_HTML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function visible(character: string): string {
  const code = character.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).toUpperCase().padStart(2, '0')}` : `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Safe as element text and as a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(NOT_IN_HTML, visible).replace(/[&<>"']/g, (character) => ENTITIES[character]!);
}

/** Markup that is already safe. */
export class Html {
  constructor(readonly markup: string) {}
  toString(): string {
    return this.markup;
  }
}

/** Only for markup written in this codebase, never for data. */
export function trusted(markup: string): Html {
  return new Html(markup);
}

export type Child = Html | string | number | undefined | null | false | readonly Child[];
export type Attributes = Readonly<Record<string, string | number | boolean | undefined>>;

function render(child: Child): string {
  if (child === undefined || child === null || child === false) return '';
  if (child instanceof Html) return child.markup;
  if (Array.isArray(child)) return (child as readonly Child[]).map(render).join('');
  return escapeHtml(String(child));
}

const VOID_ELEMENTS = new Set(['br', 'hr', 'meta', 'wbr']);
const NAME = /^[a-z][a-z0-9-]*$/;

function attributeText(attributes: Attributes): string {
  return Object.entries(attributes)
    .map(([name, value]) => {
      if (!NAME.test(name)) throw new Error(`not an attribute name: ${name}`);
      if (value === undefined || value === false) return '';
      return value === true ? ` ${name}` : ` ${name}="${escapeHtml(String(value))}"`;
    })
    .join('');
}

/** `<tag attributes>children</tag>`; attribute values and string children are escaped. */
export function el(tag: string, attributes: Attributes = {}, ...children: Child[]): Html {
  if (!NAME.test(tag)) throw new Error(`not an element name: ${tag}`);
  const open = `<${tag}${attributeText(attributes)}>`;
  return new Html(VOID_ELEMENTS.has(tag) ? open : `${open}${render(children)}</${tag}>`);
}

/** Several children as one piece of markup. */
export function fragment(...children: Child[]): Html {
  return new Html(render(children));
}
