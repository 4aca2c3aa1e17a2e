import { type Cidr, cidrContains, type IpAddress, parseCidr, parseIp } from "../../policy/cidr.ts";

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
  const address = parseIp(host.startsWith("[") ? host.slice(1, -1) : host);
  if (address) return { host, kind: addressClass(address) };
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

/** A range written in this file, so known to parse. */
const block = (text: string): Cidr => parseCidr(text) as Cidr;
const LOOPBACK = ["127.0.0.0/8", "::1/128"].map(block);
const NOT_PUBLIC = [
  "0.0.0.0/8", // this network
  "10.0.0.0/8",
  "100.64.0.0/10", // carrier-grade NAT
  "169.254.0.0/16", // link-local, cloud metadata services
  "172.16.0.0/12",
  "192.0.0.0/24", // IETF protocol assignments
  "192.0.2.0/24", // TEST-NET-1
  "192.88.99.0/24", // 6to4 relay anycast
  "192.168.0.0/16",
  "198.18.0.0/15", // benchmarking
  "198.51.100.0/24", // TEST-NET-2
  "203.0.113.0/24", // TEST-NET-3
  "224.0.0.0/3", // multicast, reserved, broadcast
  "::/128", // unspecified
  "2001::/23", // IETF protocol assignments (Teredo, ORCHID, …)
  "2001:db8::/32", // documentation
  "3fff::/20", // documentation
].map(block);
/** Only global unicast is public; the rest of IPv6 is ULA, link-local, multicast, discard, local-use NAT64, … */
const GLOBAL_UNICAST = block("2000::/3");
/** IPv6 ranges that carry an IPv4 address (compatible, NAT64, 6to4), and how far it is shifted in. */
const EMBEDDING: { within: Cidr; shift: bigint }[] = [
  { within: block("::/96"), shift: 0n },
  { within: block("64:ff9b::/96"), shift: 0n },
  { within: block("2002::/16"), shift: 80n },
];

/** An IPv4-mapped address is already IPv4 here (parseIp); one embedded in another way is judged by its IPv4 address. */
function addressClass(address: IpAddress): HostClass {
  if (LOOPBACK.some((range) => cidrContains(range, address))) return "loopback";
  if (NOT_PUBLIC.some((range) => cidrContains(range, address))) return "private";
  if (address.family === 6) {
    const embedding = EMBEDDING.find(({ within }) => cidrContains(within, address));
    if (embedding) return addressClass({ family: 4, value: (address.value >> embedding.shift) & 0xffffffffn });
    if (!cidrContains(GLOBAL_UNICAST, address)) return "private";
  }
  return "public";
}
