// Vault-local base64 helpers: strict decoding matters here, since a key or IV that decodes "mostly"
// must be rejected, not silently truncated.

export function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

export function encodeBase64Url(bytes: Uint8Array): string {
  return encodeBase64(bytes).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

const BASE64_ANY = /^[A-Za-z0-9+/_-]*={0,2}$/;
const BASE64_URL = /^[A-Za-z0-9_-]*$/;

/** Standard base64 or base64url, padded or not. Null when the text is not base64. */
export function decodeBase64Lenient(text: string): Uint8Array | null {
  if (!BASE64_ANY.test(text)) return null;
  return decode(text.replace(/=+$/, "").replaceAll("-", "+").replaceAll("_", "/"));
}

/**
 * Unpadded, canonical base64url only, the form the vault writes. Null otherwise. Canonical: a last
 * character whose unused low bits are set would decode to the same bytes, so a one-character change
 * to an envelope could go unnoticed.
 */
export function decodeBase64Url(text: string): Uint8Array | null {
  if (!BASE64_URL.test(text)) return null;
  const bytes = decode(text.replaceAll("-", "+").replaceAll("_", "/"));
  return bytes !== null && encodeBase64Url(bytes) === text ? bytes : null;
}

function decode(unpadded: string): Uint8Array | null {
  // A remainder of one character cannot come from any byte sequence.
  if (unpadded.length % 4 === 1) return null;
  let binary: string;
  try {
    binary = atob(unpadded + "=".repeat((4 - (unpadded.length % 4)) % 4));
  } catch {
    return null;
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
