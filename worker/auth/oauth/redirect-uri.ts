const LOOPBACK_HOSTS = new Set(["127.0.0.1", "[::1]", "localhost"]);

/**
 * Redirect URIs match exactly, except that a native app's loopback redirect may use any port
 * (RFC 8252 §7.3): it listens on whichever port was free when it started.
 */
export function redirectUriMatches(registered: readonly string[], requested: string): boolean {
  if (registered.includes(requested)) return true;
  const asked = parse(requested);
  if (!asked || asked.protocol !== "http:" || !LOOPBACK_HOSTS.has(asked.hostname)) return false;
  return registered.some((candidate) => {
    const known = parse(candidate);
    return known !== null && known.protocol === "http:" && known.hostname === asked.hostname && withoutPort(known) === withoutPort(asked);
  });
}

/**
 * What a client may register: https anywhere, http only on loopback, or a private-use scheme of a
 * native app (RFC 8252 §7.1, reverse-DNS with a dot). Never a fragment, never a script scheme.
 */
export function redirectUriProblem(uri: string): string | null {
  const url = parse(uri);
  if (!url) return `"${uri}" is not an absolute URL`;
  if (url.hash !== "" || uri.includes("#")) return `"${uri}" has a fragment`;
  if (url.protocol === "https:") return null;
  if (url.protocol === "http:") return LOOPBACK_HOSTS.has(url.hostname) ? null : `"${uri}" uses http on a host other than loopback`;
  if (/^[a-z][a-z0-9+-]*\.[a-z0-9+.-]+:$/.test(url.protocol)) return null;
  return `"${uri}" uses the scheme ${url.protocol} (use https, loopback http, or a reverse-DNS app scheme)`;
}

function parse(uri: string): URL | null {
  try {
    return new URL(uri);
  } catch {
    return null;
  }
}

function withoutPort(url: URL): string {
  return `${url.protocol}//${url.hostname}${url.pathname}${url.search}`;
}
