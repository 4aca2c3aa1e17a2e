import type { ChildProcess } from "node:child_process";

interface Step {
  label: string;
  run: () => Promise<void> | void;
}

const STEP_TIMEOUT_MS = 10_000;

/**
 * What `npm run bench` must undo, run last-in first-out exactly once: on a normal end, on a failure,
 * and on Ctrl-C or SIGTERM. Each step is bounded, so one stuck process cannot keep the others running.
 */
export class Cleanup {
  readonly #steps: Step[] = [];
  readonly #children = new Set<ChildProcess>();
  #running: Promise<void> | null = null;
  #interrupted = false;

  /** Set once a signal arrived: the work in progress should stop and report nothing. */
  get interrupted(): boolean {
    return this.#interrupted;
  }

  add(label: string, run: () => Promise<void> | void): void {
    this.#steps.push({ label, run });
  }

  /**
   * A child process to stop (gracefully, in order) at cleanup. Should this process exit before cleanup
   * gets to it, by a crash or by someone else's process.exit, the child is signalled on the way out.
   */
  addChild(label: string, child: ChildProcess): void {
    if (this.#children.size === 0) {
      process.on("exit", () => {
        for (const running of this.#children) if (running.exitCode === null && running.signalCode === null) running.kill("SIGTERM");
      });
    }
    this.#children.add(child);
    this.add(label, () => stopChild(child));
  }

  run(): Promise<void> {
    this.#running ??= (async () => {
      for (let step = this.#steps.pop(); step; step = this.#steps.pop()) {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            Promise.resolve().then(step.run),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error(`still running after ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS);
            }),
          ]);
        } catch (error) {
          console.error(`cleanup: ${step.label}: ${error instanceof Error ? error.message : String(error)}`);
        } finally {
          clearTimeout(timer);
        }
      }
    })();
    return this.#running;
  }

  /** Ctrl-C (or SIGTERM/SIGHUP) cleans up, then exits 128+signal; a second signal exits at once. */
  exitOnSignals(): void {
    const signals: [NodeJS.Signals, number][] = [
      ["SIGINT", 2],
      ["SIGTERM", 15],
      ["SIGHUP", 1],
    ];
    for (const [signal, number] of signals) {
      process.once(signal, () => {
        this.#interrupted = true;
        process.exitCode = 128 + number;
        process.once(signal, () => process.exit(128 + number));
        console.error(`\n${signal}: stopping everything the benchmark started…`);
        void this.run().finally(() => process.exit(128 + number));
      });
    }
  }
}

/** SIGTERM, then SIGKILL if the child has not exited within `graceMs`. Resolves once it has exited. */
export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), graceMs);
  });
  if ((await Promise.race([exited, late])) === "late") {
    child.kill("SIGKILL");
    await exited;
  }
  clearTimeout(timer);
}
