/** An address as a number, so a CIDR check is one mask and compare for both families. */
export interface IpAddress {
  family: 4 | 6;
  value: bigint;
}

export interface Cidr extends IpAddress {
  prefix: number;
}

const BITS = { 4: 32, 6: 128 } as const;

export function parseIp(text: string): IpAddress | null {
  const v4 = parseIpv4(text);
  if (v4 !== null) return { family: 4, value: v4 };
  const v6 = parseIpv6(text);
  if (v6 === null) return null;
  // ::ffff:a.b.c.d is an IPv4 client on a dual-stack socket: an IPv4 list must still apply to it.
  if (v6 >> 32n === 0xffffn) return { family: 4, value: v6 & 0xffffffffn };
  return { family: 6, value: v6 };
}

function parseIpv4(text: string): bigint | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part) || Number(part) > 255) return null;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseIpv6(text: string): bigint | null {
  // A zone id (fe80::1%eth0) names an interface of the machine, not part of the address.
  const address = text.split("%")[0]!;
  const halves = address.split("::");
  if (halves.length > 2) return null;
  const groups = (half: string) => (half === "" ? [] : half.split(":"));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const last = (tail.length > 0 ? tail : head).at(-1);
  const words: number[] = [];
  const embedded = last?.includes(".") ? parseIpv4(last) : null;
  if (last?.includes(".") && embedded === null) return null;
  for (const group of [...head, ...tail].slice(0, embedded === null ? undefined : -1)) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return null;
    words.push(parseInt(group, 16));
  }
  const explicit = words.length + (embedded === null ? 0 : 2);
  if (halves.length === 1 ? explicit !== 8 : explicit > 7) return null;
  let value = 0n;
  const headWords = head.length - (embedded !== null && tail.length === 0 ? 1 : 0);
  const filled = [...words.slice(0, headWords), ...Array<number>(8 - explicit).fill(0), ...words.slice(headWords)];
  for (const word of filled) value = (value << 16n) | BigInt(word);
  return embedded === null ? value : (value << 32n) | embedded;
}

/** `10.0.0.0/8`, `2001:db8::/32`, or a bare address (a /32 or /128). */
export function parseCidr(text: string): Cidr | null {
  const [address, prefixText, ...rest] = text.trim().split("/");
  if (rest.length > 0 || address === undefined) return null;
  const ip = parseIp(address);
  if (!ip) return null;
  const bits = BITS[ip.family];
  if (prefixText !== undefined && !/^[0-9]{1,3}$/.test(prefixText)) return null;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) return null;
  return { ...ip, prefix, value: ip.value & mask(ip.family, prefix) };
}

function mask(family: 4 | 6, prefix: number): bigint {
  const bits = BigInt(BITS[family]);
  return ((1n << bits) - 1n) ^ ((1n << (bits - BigInt(prefix))) - 1n);
}

export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  return cidr.family === ip.family && (ip.value & mask(ip.family, cidr.prefix)) === cidr.value;
}
