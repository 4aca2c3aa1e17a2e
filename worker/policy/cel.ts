import { CelScalar, celEnv, celFunc, type CelEnv, celList, celMap, isCelError, objectType, parse, plan } from "@bufbuild/cel";
import { RE2JS } from "@bufbuild/re2";
import { TimestampSchema, timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { cidrContains, parseCidr, parseIp } from "./cidr.ts";

/**
 * Bounds that keep one rule's cost small and predictable, in place of a timer (workerd's clock does not
 * move during synchronous work, so a timeout could not be measured): CEL has no loops but
 * comprehensions, so with no nesting an expression's work grows with its input, which the MCP request
 * size bounds; regexes run on RE2 (linear time, no backtracking), bounded in pattern and input length.
 */
export const CEL_LIMITS = {
  expressionLength: 4096,
  comprehensionDepth: 1,
  regexPatternLength: 512,
  regexInputLength: 16_384,
} as const;

const TIMESTAMP = objectType(TimestampSchema);

const VARIABLES = {
  user: CelScalar.DYN,
  client: CelScalar.DYN,
  server: CelScalar.STRING,
  tool: CelScalar.STRING,
  kind: CelScalar.STRING,
  args: CelScalar.DYN,
  ip: CelScalar.DYN,
  now: TIMESTAMP,
} as const;

export type CelBindings = Record<keyof typeof VARIABLES, unknown>;
type Expr = ReturnType<typeof parse>["expr"];
type Program = (bindings: CelBindings) => unknown;

export interface CompiledExpression {
  source: string;
  evaluate(bindings: CelBindings): { ok: true; value: boolean } | { ok: false; error: string };
  /** Variables the expression reads: a rule that reads `args`, `now` or `ip` depends on the call. */
  references: ReadonlySet<string>;
}

export class CelCompileError extends Error {}

const regexCache = new Map<string, RE2JS>();
const REGEX_CACHE_SIZE = 256;

/** `matches` with bounded pattern and input, and compiled patterns reused (the default compiles per call). */
function boundedRegex(pattern: string): { test(text: string): boolean } {
  if (pattern.length > CEL_LIMITS.regexPatternLength) {
    throw new Error(`regex pattern longer than ${CEL_LIMITS.regexPatternLength} characters`);
  }
  let compiled = regexCache.get(pattern);
  if (!compiled) {
    compiled = RE2JS.compile(pattern);
    if (regexCache.size >= REGEX_CACHE_SIZE) regexCache.delete(regexCache.keys().next().value!);
    regexCache.set(pattern, compiled);
  }
  const re = compiled;
  return {
    test(text) {
      if (text.length > CEL_LIMITS.regexInputLength) throw new Error(`regex input longer than ${CEL_LIMITS.regexInputLength} characters`);
      return re.test(text);
    },
  };
}

interface ZoneClock {
  format: Intl.DateTimeFormat;
  bucket: number;
  value: { hour: number; weekday: number };
}
const zoneClocks = new Map<string, ZoneClock>();
/** Every UTC offset, and every offset change, falls on a quarter hour: within one, hour and weekday hold. */
const QUARTER_HOUR_MS = 15 * 60_000;

/** Hour (0-23) and weekday (0 = Sunday, as CEL's getDayOfWeek) of an instant in a time zone. */
export function zonedClock(date: Date, timeZone: string): { hour: number; weekday: number } {
  let clock = zoneClocks.get(timeZone);
  if (!clock) {
    const format = new Intl.DateTimeFormat("en-US", { timeZone, hour: "numeric", hourCycle: "h23", weekday: "short" });
    clock = { format, bucket: Number.NaN, value: { hour: 0, weekday: 0 } };
    zoneClocks.set(timeZone, clock);
  }
  // Intl formatting costs microseconds; calls close in time share one answer.
  const bucket = Math.floor(date.getTime() / QUARTER_HOUR_MS);
  if (bucket !== clock.bucket) {
    const value = { hour: 0, weekday: 0 };
    for (const part of clock.format.formatToParts(date)) {
      if (part.type === "hour") value.hour = Number(part.value);
      if (part.type === "weekday") value.weekday = WEEKDAYS.indexOf(part.value);
    }
    clock.bucket = bucket;
    clock.value = value;
  }
  return clock.value;
}
const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return true;
  } catch {
    return false;
  }
}

const cidrCache = new Map<string, ReturnType<typeof parseCidr>>();

function inCidr(ip: string, cidr: string): boolean {
  const address = parseIp(ip);
  let range = cidrCache.get(cidr);
  if (range === undefined) {
    range = parseCidr(cidr);
    if (cidrCache.size >= REGEX_CACHE_SIZE) cidrCache.clear();
    cidrCache.set(cidr, range);
  }
  if (!range) throw new Error(`"${cidr}" is not a CIDR`);
  return address !== null && cidrContains(range, address);
}

const envs = new Map<string, CelEnv>();

/** One environment per time zone: `hour(now)` and `weekday(now)` read the policy set's zone. */
function envFor(timeZone: string): CelEnv {
  let env = envs.get(timeZone);
  if (env) return env;
  const { INT, STRING, BOOL } = CelScalar;
  const clock = (ts: Parameters<typeof timestampDate>[0], zone: string) => zonedClock(timestampDate(ts), zone);
  env = celEnv({
    variables: VARIABLES,
    re2: { compile: boundedRegex },
    funcs: [
      celFunc("hour", [TIMESTAMP], INT, (ts) => BigInt(clock(ts.message, timeZone).hour)),
      celFunc("hour", [TIMESTAMP, STRING], INT, (ts, zone) => BigInt(clock(ts.message, zone).hour)),
      celFunc("weekday", [TIMESTAMP], INT, (ts) => BigInt(clock(ts.message, timeZone).weekday)),
      celFunc("weekday", [TIMESTAMP, STRING], INT, (ts, zone) => BigInt(clock(ts.message, zone).weekday)),
      celFunc("inCidr", [STRING, STRING], BOOL, inCidr),
    ],
  });
  envs.set(timeZone, env);
  return env;
}

const compiledCache = new Map<string, CompiledExpression>();
const COMPILED_CACHE_SIZE = 2048;

/**
 * Parses and plans an expression once per isolate: programs are pure, so every session (and every
 * version of a set that keeps a rule) shares them. Throws CelCompileError with a message fit for a 400.
 */
export function compileExpression(source: string, timeZone: string): CompiledExpression {
  const key = `${timeZone}\u0000${source}`;
  let compiled = compiledCache.get(key);
  if (!compiled) {
    compiled = compileUncached(source, timeZone);
    if (compiledCache.size >= COMPILED_CACHE_SIZE) compiledCache.delete(compiledCache.keys().next().value!);
    compiledCache.set(key, compiled);
  }
  return compiled;
}

function compileUncached(source: string, timeZone: string): CompiledExpression {
  if (source.length > CEL_LIMITS.expressionLength) {
    throw new CelCompileError(`expression longer than ${CEL_LIMITS.expressionLength} characters`);
  }
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(source);
  } catch (error) {
    throw new CelCompileError(error instanceof Error ? error.message : String(error));
  }
  const references = new Set<string>();
  const depth = walk(parsed.expr, references, 0);
  if (depth > CEL_LIMITS.comprehensionDepth) {
    throw new CelCompileError(`comprehensions (all, exists, map, filter) nest at most ${CEL_LIMITS.comprehensionDepth} deep`);
  }
  const unknown = [...references].filter((name) => !(name in VARIABLES));
  if (unknown.length > 0) throw new CelCompileError(`unknown variable ${unknown.join(", ")}; known: ${Object.keys(VARIABLES).join(", ")}`);
  const program = plan(envFor(timeZone), parsed) as Program;
  return { source, references, evaluate: (bindings) => run(program, bindings) };
}

function run(program: Program, bindings: CelBindings): { ok: true; value: boolean } | { ok: false; error: string } {
  let result: unknown;
  try {
    result = program(bindings);
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  if (isCelError(result)) return { ok: false, error: result.message };
  if (typeof result !== "boolean") return { ok: false, error: "did not evaluate to a boolean" };
  return { ok: true, value: result };
}

/** Collects free identifiers and returns the deepest comprehension nesting below `expr`. */
function walk(expr: Expr | undefined, references: Set<string>, depth: number): number {
  if (!expr) return depth;
  const kind = expr.exprKind;
  switch (kind.case) {
    case "identExpr":
      references.add(kind.value.name);
      return depth;
    case "selectExpr":
      return walk(kind.value.operand, references, depth);
    case "callExpr":
      return Math.max(walk(kind.value.target, references, depth), ...kind.value.args.map((arg) => walk(arg, references, depth)));
    case "listExpr":
      return Math.max(depth, ...kind.value.elements.map((element) => walk(element, references, depth)));
    case "structExpr":
      return Math.max(
        depth,
        ...kind.value.entries.map((entry) =>
          Math.max(walk(entry.keyKind.case === "mapKey" ? entry.keyKind.value : undefined, references, depth), walk(entry.value, references, depth)),
        ),
      );
    case "comprehensionExpr": {
      const c = kind.value;
      const local = new Set<string>();
      const inner = Math.max(
        walk(c.iterRange, references, depth),
        ...[c.accuInit, c.loopCondition, c.loopStep, c.result].map((part) => walk(part, local, depth + 1)),
      );
      // The loop's own variables are not free; anything else its body reads is.
      for (const name of local) if (name !== c.iterVar && name !== c.iterVar2 && name !== c.accuVar) references.add(name);
      return inner;
    }
    default:
      return depth;
  }
}

/**
 * The CEL view of a call, built once per decision: the top-level objects are made CEL maps here, so the
 * rules that read them do not each convert them again; `now` is a CEL timestamp.
 */
export function celBindings(input: {
  user: CelBindings["user"];
  client: CelBindings["client"];
  serverId: string;
  name: string;
  kind: string;
  args: unknown;
  ip: string | null;
  now: Date;
}): CelBindings {
  return {
    user: toCelValue(input.user),
    client: toCelValue(input.client),
    server: input.serverId,
    tool: input.name,
    kind: input.kind,
    args: toCelValue(input.args),
    ip: input.ip,
    now: timestampFromDate(input.now),
  };
}

function toCelValue(value: unknown): unknown {
  if (Array.isArray(value)) return celList(value);
  if (typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    return celMap(new Map(Object.entries(value)));
  }
  return value;
}
