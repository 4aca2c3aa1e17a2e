/**
 * Decides whether the gateway may fetch a URL someone else handed it (a Client ID Metadata Document, an
 * OIDC issuer). Only the URL can be judged here: a Worker has no DNS lookup of its own, so a public name
 * that resolves to a private address is left to the platform, whose outbound fetch does not route to
 * private networks. Redirects are refused by the fetchers, so the judged URL is the only one fetched.
 */
export interface FetchPolicy {
  /** Loopback http(s) targets, for `npm run dev` and tests only: a local client's metadata document. */
  allowLoopback: boolean;
}

/**
 * What a host is to a fetch: `loopback` (this machine), `private` (a private, link-local or reserved
 * address), `single-label` or `local-name` (a name only a local resolver answers), or `public`.
 */
export type HostClass = "loopback" | "private" | "single-label" | "local-name" | "public";

export interface JudgedHost {
  /** The name as a resolver sees it: lowercase, IDNA (punycode), no trailing dot, IPv4 as a dotted quad, IPv6 compressed in brackets. */
  host: string;
  kind: HostClass;
}

/** Special-use and never-delegated suffixes (RFC 6761, RFC 6762 appendix G, RFC 8375, ICANN's .internal). */
const LOCAL_SUFFIXES = ["local", "localdomain", "internal", "intranet", "private", "corp", "home", "lan", "home.arpa"];

export function fetchTargetProblem(candidate: string, policy: FetchPolicy): string | null {
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return "is not an absolute URL";
  }
  if (url.username !== "" || url.password !== "") return "must not carry credentials";
  if (url.hash !== "") return "must not have a fragment";
  const judged = judgeHost(url.hostname);
  if (!judged) return "names no valid host";
  if (judged.kind === "loopback") {
    if (!policy.allowLoopback) return "names a loopback address";
    return url.protocol === "https:" || url.protocol === "http:" ? null : "must use https";
  }
  if (url.protocol !== "https:") return "must use https";
  if (url.port !== "" && url.port !== "443") return "must use the default https port";
  switch (judged.kind) {
    case "private":
      return "names a private or reserved address";
    case "single-label":
      return "names a single-label (intranet) host";
    case "local-name":
      return "names a local-network host";
    case "public":
      return judged.host.startsWith("[") ? "names an IPv6 address literal" : null;
  }
}

/**
 * A host name normalised the way the fetch will resolve it, then classified; null if it is not a host name.
 * The WHATWG URL parser does most of the normalising (case, IDNA, percent-encoding, decimal, octal and hex
 * IPv4 forms, IPv6 compression); a trailing dot it keeps, though a resolver ignores it, so `localhost.`
 * would otherwise pass for a public name.
 */
export function judgeHost(name: string): JudgedHost | null {
  const first = parsedHostname(name);
  if (first === null) return null;
  const stripped = first.replace(/\.+$/, "");
  // Parsed again: `127.0.0.1..` is a domain name to the parser until its dots are gone.
  const host = stripped === first ? first : parsedHostname(stripped);
  if (!host) return null;
  if (host.startsWith("[")) return { host, kind: ipv6Class(host.slice(1, -1)) };
  const octets = ipv4Octets(host);
  if (octets) return { host, kind: ipv4Class(octets) };
  if (host === "localhost" || host.endsWith(".localhost")) return { host, kind: "loopback" };
  if (!host.includes(".")) return { host, kind: "single-label" };
  if (LOCAL_SUFFIXES.some((suffix) => host.endsWith(`.${suffix}`))) return { host, kind: "local-name" };
  return { host, kind: "public" };
}

/** The parser's hostname for `name` alone: anything that would make it a port, user or path is refused. */
function parsedHostname(name: string): string | null {
  if (name === "" || /[/?#@\\:\s]/.test(name.replace(/^\[[^\]]*\]$/, "[]"))) return null;
  try {
    return new URL(`http://${name}/`).hostname || null;
  } catch {
    return null;
  }
}

function ipv4Octets(host: string): number[] | null {
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return null;
  return host.split(".").map(Number);
}

function ipv4Class([a = 0, b = 0, c = 0]: number[]): HostClass {
  if (a === 127) return "loopback";
  if (a === 0 || a === 10 || a >= 224) return "private"; // this network, private, multicast, reserved, broadcast
  if (a === 100 && b >= 64 && b <= 127) return "private"; // carrier-grade NAT
  if (a === 169 && b === 254) return "private"; // link-local, cloud metadata services
  if (a === 172 && b >= 16 && b <= 31) return "private";
  if (a === 192 && b === 168) return "private";
  if (a === 192 && b === 0 && (c === 0 || c === 2)) return "private"; // IETF protocol assignments, TEST-NET-1
  if (a === 192 && b === 88 && c === 99) return "private"; // 6to4 relay anycast
  if (a === 198 && (b === 18 || b === 19)) return "private"; // benchmarking
  if ((a === 198 && b === 51 && c === 100) || (a === 203 && b === 0 && c === 113)) return "private"; // TEST-NET-2/3
  return "public";
}

/** An IPv6 address as the parser writes it (hex groups, at most one `::`): its eight 16-bit groups. */
function ipv6Groups(address: string): number[] {
  const [head = "", tail] = address.split("::");
  const groups = (part: string) => (part === "" ? [] : part.split(":").map((group) => parseInt(group, 16)));
  const front = groups(head);
  const back = tail === undefined ? [] : groups(tail);
  return [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
}

/** Only global unicast (2000::/3) is public; an address that embeds an IPv4 one is judged by that one. */
function ipv6Class(address: string): HostClass {
  const g = ipv6Groups(address);
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const embedded = (high: number, low: number) => ipv4Class([high >> 8, high & 0xff, low >> 8, low & 0xff]);
  const zeroUpTo = (count: number) => g.slice(0, count).every((group) => group === 0);
  if (zeroUpTo(7) && g7 === 1) return "loopback";
  if (zeroUpTo(7) && g7 === 0) return "private"; // unspecified
  if (zeroUpTo(5) && (g5 === 0xffff || g5 === 0)) return embedded(g6, g7); // IPv4-mapped, IPv4-compatible
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return embedded(g6, g7); // NAT64
  if (g0 === 0x2002) return embedded(g1, g2); // 6to4
  if (g0 < 0x2000 || g0 >= 0x4000) return "private"; // ULA, link-local, multicast, local-use NAT64, discard, …
  if (g0 === 0x2001 && g1 < 0x200) return "private"; // IETF protocol assignments (Teredo, ORCHID, …)
  if (g0 === 0x2001 && g1 === 0xdb8) return "private"; // documentation
  if (g0 === 0x3fff && g1 < 0x1000) return "private"; // documentation
  return "public";
}
