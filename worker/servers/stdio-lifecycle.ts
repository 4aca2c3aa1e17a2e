import { restartDelayMs } from "../../containers/bridge/backoff.ts";
import type { InstanceState, InstanceStatus } from "./stdio-runtime.ts";

/**
 * The state of one stdio instance as its owner (the Container DO, or the dev supervisor) records it. The
 * two paths share these transitions, so 3004 reads the same and back-off behaves the same in both.
 */
export interface Lifecycle {
  state: InstanceState;
  lastError: string | null;
  since: string | null;
  starts: number;
  /** Exits not asked for, in a row since the last healthy start: what the back-off grows with. */
  failures: number;
}

export const NEVER_STARTED: Lifecycle = { state: "sleeping", lastError: null, since: null, starts: 0, failures: 0 };

export function starting(current: Lifecycle, now: Date): Lifecycle {
  return { ...current, state: "starting", since: now.toISOString() };
}

/** The bridge answers its health check: the instance serves calls. */
export function online(current: Lifecycle, now: Date): Lifecycle {
  return { ...current, state: "online", since: now.toISOString(), starts: current.starts + 1, failures: 0 };
}

/** Stopped on purpose (idle, an admin, a changed configuration): not an error, and no back-off. */
export function asleep(current: Lifecycle, now: Date): Lifecycle {
  return { ...current, state: "sleeping", since: now.toISOString() };
}

/** Died or failed to start, not asked to: the error is kept until a later one replaces it. */
export function failed(current: Lifecycle, message: string, now: Date): Lifecycle {
  return { ...current, state: "error", lastError: message, since: now.toISOString(), failures: current.failures + 1 };
}

/**
 * When a failed instance is started again without a call asking for it: only a warm one is, after
 * the back-off for its run of failures. A cold one waits for its next call.
 */
export function restartDelay(current: Lifecycle, keepWarm: boolean): number | null {
  if (!keepWarm || current.state !== "error") return null;
  return backoffMs(current);
}

/**
 * How long a call must wait before it may wake a failed instance: none after one failure (a crash costs
 * the next call nothing), then growing, so a server that dies at every start is not restarted per call.
 */
export function wakeBlockedForMs(current: Lifecycle, now: Date): number {
  if (current.state !== "error" || current.since === null) return 0;
  return Math.max(0, Date.parse(current.since) + backoffMs(current) - now.getTime());
}

function backoffMs(current: Lifecycle): number {
  return restartDelayMs(current.failures - 1);
}

export function statusOf(instance: string, lifecycle: Lifecycle): InstanceStatus {
  return { instance, state: lifecycle.state, lastError: lifecycle.lastError, since: lifecycle.since, starts: lifecycle.starts };
}
