import { VaultError } from "./errors.ts";
import { HEADER_VALUE_RULE, isHeaderSafe } from "./header-value.ts";

/**
 * `{{secret:NAME}}` is the server's own vault entry; `{{user:NAME}}` is the calling user's value for
 * that server. They may appear in a server's URL and header values, and are resolved only at connect time.
 */
const PLACEHOLDER = /\{\{(secret|user):([A-Za-z0-9_.-]{1,64})\}\}/g;

export type PlaceholderKind = "secret" | "user";

/** The text with its placeholders taken out: what is literal in it. */
export function literalPart(text: string): string {
  return text.replace(PLACEHOLDER, "");
}

export interface ConnectionTemplate {
  url: string;
  headers: Record<string, string>;
}

export interface Resolution {
  config: ConnectionTemplate;
  /** Every value injected, by its name: what must never travel back upstream. */
  injected: Record<string, string>;
  missing: { kind: PlaceholderKind; name: string }[];
}

export function referencedNames(template: ConnectionTemplate): { kind: PlaceholderKind; name: string }[] {
  return namesIn([template.url, ...Object.values(template.headers)]);
}

/** The names of one kind that some header value refers to: their values must be header-safe. */
export function namesInHeaders(headers: Record<string, string>, kind: PlaceholderKind): Set<string> {
  return new Set(namesIn(Object.values(headers)).filter((ref) => ref.kind === kind).map((ref) => ref.name));
}

function namesIn(texts: string[]): { kind: PlaceholderKind; name: string }[] {
  const found = new Map<string, { kind: PlaceholderKind; name: string }>();
  for (const text of texts) {
    for (const match of text.matchAll(PLACEHOLDER)) {
      const kind = match[1] as PlaceholderKind;
      found.set(`${kind}:${match[2]}`, { kind, name: match[2]! });
    }
  }
  return [...found.values()];
}

/**
 * Replaces placeholders with values. Values placed into the URL are percent-encoded, `/`, `?` and `#`
 * included, so a value stays inside its segment or parameter. A path segment that a value turns into
 * `.` or `..` is refused (a VaultError naming the placeholder): URL parsing resolves those, `%2E%2E`
 * too, so the secret-bearing request would go to another path. A header value that cannot be sent
 * (CR, LF, ...) is refused the same way, which only a value stored before its header existed can cause.
 */
export function resolvePlaceholders(
  template: ConnectionTemplate,
  values: { secret: Map<string, string>; user: Map<string, string> },
  /** User inputs declared optional: unset, they resolve to "" instead of blocking the connection. */
  optional: ReadonlySet<string> = new Set(),
): Resolution {
  const injected: Record<string, string> = {};
  const missing: Resolution["missing"] = [];
  const substitute = (text: string, encode: (value: string) => string) =>
    text.replace(PLACEHOLDER, (whole, kind: PlaceholderKind, name: string) => {
      const value = values[kind].get(name);
      if (value === undefined) {
        if (kind === "user" && optional.has(name)) return "";
        if (!missing.some((m) => m.kind === kind && m.name === name)) missing.push({ kind, name });
        return whole;
      }
      // A user value named like a secret keeps its own label, so both stay scrubbed.
      injected[kind === "user" && values.secret.has(name) ? `user:${name}` : name] = value;
      return encode(value);
    });
  const url = substituteUrl(template.url, (text) => substitute(text, encodeURIComponent));
  const headers = Object.entries(template.headers).map(([header, value]) => {
    const resolved = substitute(value, (v) => v);
    if (!isHeaderSafe(resolved)) throw new VaultError(`cannot send header ${header}: the value of ${placeholdersIn(value)} ${HEADER_VALUE_RULE}`);
    return [header, resolved] as const;
  });
  return {
    config: { url, headers: Object.fromEntries(headers) },
    injected,
    missing,
  };
}

// "." and ".." as URL parsing sees them: percent-encoded dots count too.
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;

/** Substitutes segment by segment (no placeholder holds a "/"), checking each path segment a value made. */
function substituteUrl(url: string, substitute: (text: string) => string): string {
  const cut = url.search(/[?#]/);
  const [path, rest] = cut < 0 ? [url, ""] : [url.slice(0, cut), url.slice(cut)];
  // "https:", "", the authority, then the path's segments.
  const segments = path.split("/").map((segment, index) => {
    const resolved = substitute(segment);
    if (index > 2 && resolved !== segment && DOT_SEGMENT.test(resolved)) {
      throw new VaultError(`cannot build the server URL: the value of ${placeholdersIn(segment)} makes a path segment "." or "..", which URL parsing would resolve to another path`);
    }
    return resolved;
  });
  return segments.join("/") + substitute(rest);
}

function placeholdersIn(text: string): string {
  return [...text.matchAll(PLACEHOLDER)].map((match) => match[0]).join(", ");
}
