import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { LoadResult } from "./bench-load.ts";
import type { Contrast } from "./bench-scenarios.ts";

export interface Comparison {
  baseline: string;
  /** gateway ÷ baseline: how many times longer a call takes. */
  p50LatencyRatio: number | null;
  p99LatencyRatio: number | null;
  /** baseline ÷ gateway: how many times more calls per second the baseline sustains. */
  throughputRatio: number | null;
}

export interface ReportRow extends LoadResult {
  comparison: Comparison | null;
  /** The floor's calls/s ÷ this row's, same concurrency: how far above the Worker+DO floor it runs. */
  floorThroughputRatio: number | null;
}

/** Pairs each row with its scenario's baseline, and with `floor`, at the same concurrency. */
export function compareRows(results: LoadResult[], baselineOf: (scenario: string) => string | undefined, floor: string): ReportRow[] {
  const at = (scenario: string | undefined, concurrency: number) =>
    scenario === undefined ? undefined : results.find((r) => r.scenario === scenario && r.concurrency === concurrency && !r.failure);
  return results.map((row) => {
    const base = at(baselineOf(row.scenario), row.concurrency);
    const floorRow = at(floor, row.concurrency);
    return {
      ...row,
      comparison: base ? compare(row, base) : null,
      floorThroughputRatio: floorRow && !row.failure ? compare(row, floorRow).throughputRatio : null,
    };
  });
}

/** `row` against `base`: latency multiples and the throughput divisor, null where either lacks figures. */
function compare(row: LoadResult, base: LoadResult): Comparison {
  const ratio = (a: number | undefined, b: number | undefined) => (a && b ? a / b : null);
  return {
    baseline: base.scenario,
    p50LatencyRatio: ratio(row.latencyMs?.p50, base.latencyMs?.p50),
    p99LatencyRatio: ratio(row.latencyMs?.p99, base.latencyMs?.p99),
    throughputRatio: ratio(base.callsPerSecond, row.callsPerSecond),
  };
}

export interface ContrastRow extends Contrast {
  concurrency: number;
  /** Null when either row is missing or failed. */
  comparison: Comparison | null;
}

/** Each contrast at each concurrency where both of its rows ran. */
export function contrastRows(results: LoadResult[], contrasts: Contrast[]): ContrastRow[] {
  const levels = [...new Set(results.map((r) => r.concurrency))];
  return levels.flatMap((concurrency) =>
    contrasts.map((contrast) => {
      const find = (scenario: string) => results.find((r) => r.scenario === scenario && r.concurrency === concurrency && !r.failure);
      const row = find(contrast.row);
      const against = find(contrast.against);
      return { ...contrast, concurrency, comparison: row && against ? compare(row, against) : null };
    }),
  );
}

/** Table lines with an empty line between concurrency levels, so each level reads as its own block. */
function linesByConcurrency<T extends { concurrency: number }>(rows: T[], cells: (row: T) => string[]): string[][] {
  const lines: string[][] = [];
  rows.forEach((row, index) => {
    if (index > 0 && rows[index - 1]!.concurrency !== row.concurrency) lines.push([]);
    lines.push(cells(row));
  });
  return lines;
}

/** A fixed-width table: one block per concurrency, ratios against each row's baseline. */
export function formatTable(rows: ReportRow[]): string {
  const header = ["scenario", "conc", "calls", "errors", "calls/s", "p50 ms", "p99 ms", "p50 ×", "p99 ×", "thru ÷", "÷ floor", "wd ms", "pg ms"];
  const lines = linesByConcurrency(rows, (row) => {
    const c = row.comparison;
    return [
      row.scenario,
      String(row.concurrency),
      `${row.calls}${row.capped ? "*" : ""}`,
      row.failure ? "FAILED" : String(row.errors),
      row.failure ? "-" : row.callsPerSecond.toFixed(0),
      fixed(row.latencyMs?.p50),
      fixed(row.latencyMs?.p99),
      times(c?.p50LatencyRatio),
      times(c?.p99LatencyRatio),
      times(c?.throughputRatio),
      times(row.floorThroughputRatio),
      fixed(row.cpuMsPerCall?.workerdMs ?? undefined),
      fixed(row.cpuMsPerCall?.postgresMs ?? undefined),
    ];
  });
  return renderTable(header, lines);
}

/** The contrasts as a small table under the main one; a blank line between concurrency levels. */
export function formatContrasts(rows: ContrastRow[]): string {
  const header = ["feature cost", "conc", "p50 ×", "p99 ×", "thru ÷"];
  const lines = linesByConcurrency(rows, (row) => {
    const c = row.comparison;
    return [row.label, String(row.concurrency), times(c?.p50LatencyRatio), times(c?.p99LatencyRatio), times(c?.throughputRatio)];
  });
  return renderTable(header, lines);
}

/** Fixed-width columns: the first left-aligned, every number right-aligned; an empty line stays empty. */
function renderTable(header: string[], lines: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? "").length)));
  const render = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ").trimEnd();
  return [render(header), widths.map((w) => "-".repeat(w)).join("  "), ...lines.map((l) => (l.length ? render(l) : ""))].join("\n");
}

export const TABLE_LEGEND = [
  "p50 × / p99 ×: latency as a multiple of the row's baseline (direct); thru ÷: baseline calls/s divided by this row's.",
  "÷ floor: the \"floor: Worker → DO (RPC)\" row's calls/s divided by this row's, same concurrency (1.00 is the floor itself).",
  "floor rows: scripts/bench-floors/floors.js in a workerd of its own, forwarding to the fixture with one fetch(), or by RPC to a",
  "Durable Object per MCP session that fetches.",
  "wd ms: CPU (user+system, /proc/<pid>/stat) of the row's workerd process tree per call, over the measured calls; workerd runs a",
  "Worker and its Durable Objects on one thread, so 1000 ÷ wd ms bounds calls/s. It includes the instance's background work in that",
  "window, such as alarms delivering earlier rows' audit records. pg ms: the embedded PGlite server's CPU per call (- with",
  "DATABASE_URL, whose server is not a process of this run).",
  "calls*: the time cap ended the run before all planned calls were made.",
].join("\n");

export const CONTRAST_LEGEND = [
  "feature cost: the first row named ÷ the second, same concurrency, same run (p50 ×, p99 ×: latency; thru ÷: calls/s, inverted).",
  "audit off: a second workerd, same bundle and database, with AUDIT_ENABLED=\"false\".",
  "vault+scrub: the fixture registered again with Authorization: Bearer {{secret:BENCH_TOKEN}}. The secret is decrypted when the",
  "session's downstream connection opens (during warm-up); per call, the redactor scans the result and the audited arguments.",
  "API key, access token: \"gateway /mcp\" as a plain user created for the run, with its pk_… key or with a token from POST",
  "/auth/token (one per session). On every request the Worker then hashes the key's secret or checks the token's signature, and",
  "reads the key and its user from Postgres over a connection it opens for that request; with the owner key it opens none on a",
  "call. Locally that is a new connection to the database each time; the /health floor above shows what one costs.",
  "policy off, 50 CEL rules: \"gateway /mcp\" again, first with nothing configured (no policy set, a public server), then with a",
  "set of 50 rules on the server, created before its row and deleted after it: all match echo, and all 50 conditions are evaluated",
  "(false) on every call. \"policy off\" against \"gateway /mcp\", the same configuration run earlier, shows the run's drift.",
].join("\n");

export function writeJson(path: string, report: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}

function fixed(value: number | undefined): string {
  return value === undefined ? "-" : value.toFixed(2);
}

function times(value: number | null | undefined): string {
  return value === null || value === undefined ? "" : value.toFixed(2);
}
