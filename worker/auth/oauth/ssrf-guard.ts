/**
 * Decides whether the gateway may fetch a URL a client handed it (a Client ID Metadata Document).
 * Only the URL can be judged here: a Worker has no DNS lookup of its own, so a public name that resolves
 * to a private address is left to the platform, whose outbound fetch does not route to private networks.
 * Redirects are refused by the fetcher, so the judged URL is the only one fetched.
 */
export interface FetchPolicy {
  /** Loopback http(s) targets, for `npm run dev` and tests only: a local client's metadata document. */
  allowLoopback: boolean;
}

export function fetchTargetProblem(candidate: string, policy: FetchPolicy): string | null {
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return "is not an absolute URL";
  }
  if (url.username !== "" || url.password !== "") return "must not carry credentials";
  if (url.hash !== "") return "must not have a fragment";
  const loopback = isLoopbackHost(url.hostname);
  if (loopback) {
    if (!policy.allowLoopback) return "names a loopback address";
    return url.protocol === "https:" || url.protocol === "http:" ? null : "must use https";
  }
  if (url.protocol !== "https:") return "must use https";
  if (url.port !== "" && url.port !== "443") return "must use the default https port";
  const host = url.hostname;
  if (host.startsWith("[")) return "names an IPv6 address literal";
  const octets = ipv4Octets(host);
  if (octets) return isPublicIpv4(octets) ? null : "names a private or reserved address";
  if (!host.includes(".")) return "names a single-label (intranet) host";
  if (/\.(local|internal|lan|home\.arpa|localdomain)$/i.test(host)) return "names a local-network host";
  return null;
}

function isLoopbackHost(host: string): boolean {
  if (host === "localhost" || host.endsWith(".localhost") || host === "[::1]") return true;
  const octets = ipv4Octets(host);
  return octets !== null && octets[0] === 127;
}

/** The WHATWG parser has already turned decimal, octal and hex forms into dotted quads. */
function ipv4Octets(host: string): number[] | null {
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return null;
  return host.split(".").map(Number);
}

function isPublicIpv4([a = 0, b = 0, c = 0]: number[]): boolean {
  if (a === 0 || a === 10 || a === 127 || a >= 224) return false; // this network, private, loopback, multicast, reserved
  if (a === 100 && b >= 64 && b <= 127) return false; // carrier-grade NAT
  if (a === 169 && b === 254) return false; // link-local, cloud metadata services
  if (a === 172 && b >= 16 && b <= 31) return false;
  if (a === 192 && b === 168) return false;
  if (a === 192 && b === 0 && (c === 0 || c === 2)) return false; // IETF protocol assignments, TEST-NET-1
  if (a === 198 && (b === 18 || b === 19)) return false; // benchmarking
  if ((a === 198 && b === 51 && c === 100) || (a === 203 && b === 0 && c === 113)) return false; // TEST-NET-2/3
  return true;
}
