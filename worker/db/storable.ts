/**
 * Text Postgres cannot keep as it is: NUL (refused in text and jsonb), and a UTF-16 surrogate without
 * its other half, such as a string cut in the middle of an emoji (refused in jsonb, silently turned into
 * U+FFFD in text).
 */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const EVERY_UNSTORABLE = new RegExp(UNSTORABLE.source, "g");

export function isStorableText(text: string): boolean {
  return !UNSTORABLE.test(text);
}

/** Each unstorable character becomes U+FFFD, so what is stored reads back the same. */
export function toStorableText(text: string): string {
  return text.replace(EVERY_UNSTORABLE, "\uFFFD");
}
