import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { LoadResult } from "./bench-load.ts";

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
}

/** Pairs each row with its scenario's baseline at the same concurrency. */
export function compareRows(results: LoadResult[], baselineOf: (scenario: string) => string | undefined): ReportRow[] {
  return results.map((row) => {
    const baselineName = baselineOf(row.scenario);
    const base = baselineName ? results.find((r) => r.scenario === baselineName && r.concurrency === row.concurrency) : undefined;
    if (!baselineName || !base) return { ...row, comparison: null };
    const ratio = (a: number | undefined, b: number | undefined) => (a && b ? a / b : null);
    return {
      ...row,
      comparison: {
        baseline: baselineName,
        p50LatencyRatio: ratio(row.latencyMs?.p50, base.latencyMs?.p50),
        p99LatencyRatio: ratio(row.latencyMs?.p99, base.latencyMs?.p99),
        throughputRatio: ratio(base.callsPerSecond, row.callsPerSecond),
      },
    };
  });
}

/** A fixed-width table: one block per concurrency, ratios against each row's baseline. */
export function formatTable(rows: ReportRow[]): string {
  const header = ["scenario", "conc", "calls", "errors", "calls/s", "p50 ms", "p99 ms", "p50 ×", "p99 ×", "thru ÷"];
  const lines: string[][] = [];
  let previousConcurrency: number | undefined;
  for (const row of rows) {
    if (previousConcurrency !== undefined && row.concurrency !== previousConcurrency) lines.push([]);
    previousConcurrency = row.concurrency;
    const c = row.comparison;
    lines.push([
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
    ]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? "").length)));
  // The scenario column reads best left-aligned; every number right-aligned.
  const render = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ").trimEnd();
  return [render(header), widths.map((w) => "-".repeat(w)).join("  "), ...lines.map((l) => (l.length ? render(l) : ""))].join("\n");
}

export const TABLE_LEGEND = [
  "p50 × / p99 ×: latency as a multiple of the row's baseline (direct); thru ÷: baseline calls/s divided by this row's.",
  "calls*: the time cap ended the run before all planned calls were made.",
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
