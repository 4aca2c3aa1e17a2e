/**
 * `{{secret:NAME}}` is the server's own vault entry; `{{user:NAME}}` is the calling user's value for
 * that server. They may appear in a server's URL and header values, and in a stdio server's environment
 * values, and are resolved only at connect time (for a stdio server: when its instance starts).
 */
const PLACEHOLDER = /\{\{(secret|user):([A-Za-z0-9_.-]{1,64})\}\}/g;

export type PlaceholderKind = "secret" | "user";

/** The text with its placeholders taken out: what is literal in it. */
export function literalPart(text: string): string {
  return text.replace(PLACEHOLDER, "");
}

/** How a stdio server is started, and kept (see worker/servers/stdio-definition.ts). */
export interface StdioTemplate {
  command: string;
  args: string[];
  env: Record<string, string>;
  idleSeconds: number;
  keepWarm: boolean;
}

export interface ConnectionTemplate {
  url: string;
  headers: Record<string, string>;
  /** Only for `transport: "stdio"`; its `url` is then empty. */
  stdio?: StdioTemplate | undefined;
}

export interface Resolution {
  config: ConnectionTemplate;
  /** Every value injected, by its name: what must never travel back upstream. */
  injected: Record<string, string>;
  missing: { kind: PlaceholderKind; name: string }[];
}

export function referencedNames(template: ConnectionTemplate): { kind: PlaceholderKind; name: string }[] {
  const found = new Map<string, { kind: PlaceholderKind; name: string }>();
  for (const text of [template.url, ...Object.values(template.headers), ...Object.values(template.stdio?.env ?? {})]) {
    for (const match of text.matchAll(PLACEHOLDER)) {
      const kind = match[1] as PlaceholderKind;
      found.set(`${kind}:${match[2]}`, { kind, name: match[2]! });
    }
  }
  return [...found.values()];
}

/** Replaces placeholders with values; values placed into the URL are percent-encoded. */
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
  return {
    config: {
      url: substitute(template.url, encodeURIComponent),
      headers: Object.fromEntries(Object.entries(template.headers).map(([header, value]) => [header, substitute(value, (v) => v)])),
      ...(template.stdio
        ? { stdio: { ...template.stdio, env: Object.fromEntries(Object.entries(template.stdio.env).map(([name, value]) => [name, substitute(value, (v) => v)])) } }
        : {}),
    },
    injected,
    missing,
  };
}
