/**
 * XML escaping that keeps any string (logs full of ANSI colours, NULs, broken surrogates) well-formed XML 1.0.
 * Characters XML 1.0 cannot carry at all, not even as references, are written visibly as \xNN or \uNNNN.
 */
const NOT_IN_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function visible(character: string): string {
  const code = character.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).toUpperCase().padStart(2, '0')}` : `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

export function escapeXmlText(text: string): string {
  return text.replace(NOT_IN_XML, visible).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** For attribute values in double quotes; line breaks and tabs survive as character references. */
export function escapeXmlAttribute(text: string): string {
  return escapeXmlText(text).replaceAll('"', '&quot;').replaceAll("'", '&apos;').replaceAll('\n', '&#10;').replaceAll('\r', '&#13;').replaceAll('\t', '&#9;');
}

/** `<name a="1" b="2">` from attributes, leaving out undefined ones. */
export function openTag(name: string, attributes: Readonly<Record<string, string | number | undefined>>, selfClosing = false): string {
  const text = Object.entries(attributes)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([attribute, value]) => ` ${attribute}="${escapeXmlAttribute(String(value))}"`)
    .join('');
  return `<${name}${text}${selfClosing ? '/>' : '>'}`;
}
