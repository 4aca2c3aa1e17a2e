/**
 * What an HTTP field value may hold (RFC 9110 §5.5): tab, space, visible ASCII and obs-text. Fetch's
 * Headers refuses CR, LF, NUL and anything beyond U+00FF, and other control characters are not allowed.
 */
export const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

export const HEADER_VALUE_RULE = "must not contain CR, LF, other control characters or characters beyond U+00FF (it goes in an HTTP header)";

export function isHeaderSafe(text: string): boolean {
  return HEADER_VALUE.test(text);
}
