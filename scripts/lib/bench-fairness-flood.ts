// User A of the fairness row (bench-fairness.ts), on a worker thread: opens sessions up to the plan's
// number (the gateway's cap refuses the rest), posts "ready", then floods from `floodWorkers` of them with
// large echo calls until told to stop, then posts what it got. After a 429 it sends again at once, or
// waits out the refusal's retryAfterMs when the job says its client does.
import { parentPort, workerData } from "node:worker_threads";
import { type FloodJob, type FloodOutcome, type OpenSession, openSession, refusalKind } from "./bench-fairness.ts";

const job = workerData as FloodJob;
const outcome: FloodOutcome = { sessionsOpened: 0, callsOk: 0, refused: {} };
const noteRefusal = (error: unknown) => {
  const kind = refusalKind(error);
  outcome.refused[kind] = (outcome.refused[kind] ?? 0) + 1;
};

const sessions: OpenSession[] = [];
for (let i = 0; i < job.plan.floodSessions; i++) {
  try {
    sessions.push(await openSession(job, job.apiKey));
    outcome.sessionsOpened++;
  } catch (error) {
    noteRefusal(error);
  }
}

let flooding = true;
parentPort!.once("message", () => (flooding = false));
parentPort!.postMessage("ready");

const payload = "x".repeat(job.plan.floodPayloadBytes);
await Promise.all(
  sessions.slice(0, job.plan.floodWorkers).map(async (session) => {
    while (flooding) {
      try {
        await session.client.callTool({ name: job.tool, arguments: { text: payload } }, undefined, { timeout: job.callTimeoutMs });
        outcome.callsOk++;
      } catch (error) {
        noteRefusal(error);
        const retryAfterMs = job.client === "waits out Retry-After" ? Number(/"retryAfterMs":\s*(\d+)/.exec(String(error))?.[1] ?? 0) : 0;
        // setImmediate at the least lets the stop message in; a hostile client waits no longer than that.
        const waitUntil = performance.now() + retryAfterMs;
        do await new Promise((resolve) => (retryAfterMs > 0 ? setTimeout(resolve, Math.min(100, retryAfterMs)) : setImmediate(resolve)));
        while (flooding && performance.now() < waitUntil);
      }
    }
  }),
);
await Promise.allSettled(sessions.map((s) => s.close()));
parentPort!.postMessage(outcome);
