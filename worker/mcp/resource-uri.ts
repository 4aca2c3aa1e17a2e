import { JSONRPC_ERRORS, RpcFailure } from "./protocol.ts";

/** RFC 3986 unreserved characters: percent-encoding one of them changes nothing a server reads. */
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
/** Control characters, which a URL parser drops (tab, newline) or trims (at the ends) without a word. */
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * The one spelling of a resource URI that rules are matched against and that the server is sent, so
 * that no other spelling of the same resource escapes a rule: percent-encoded unreserved characters
 * decoded and other escapes in upper case (RFC 3986 §6.2.2), then parsed as the URL standard does
 * (scheme in lower case, dot segments removed, `%2e` included), and the host in lower case.
 * Surrounding whitespace, and control characters anywhere, are refused rather than dropped: the client
 * would not be judged on what it sent. A URI that cannot be judged is refused as invalid params, saying why.
 */
export function normaliseResourceUri(uri: string): string {
  if (uri.trim() !== uri) throw invalid(uri, "it begins or ends with whitespace");
  if (CONTROL.test(uri)) throw invalid(uri, "it contains a control character");
  const unescaped = uri.replace(/%([0-9A-Fa-f]{2})/g, (escape, hex: string) => {
    const character = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(character) ? character : escape.toUpperCase();
  });
  let url: URL;
  try {
    url = new URL(unescaped);
  } catch {
    throw invalid(uri, "it is not an absolute URI (scheme:rest, as RFC 3986 has it)");
  }
  // The URL standard keeps the case of a host under a scheme it does not know; RFC 3986 says it has none.
  if (url.host !== "") url.host = url.host.toLowerCase();
  return url.href;
}

function invalid(uri: string, why: string): RpcFailure {
  return new RpcFailure(JSONRPC_ERRORS.INVALID_PARAMS, `Invalid resource URI ${JSON.stringify(uri)}: ${why}`);
}
