import {
  CreateMessageResultSchema,
  CreateMessageResultWithToolsSchema,
  ElicitResultSchema,
  ListRootsResultSchema,
  type Progress,
  type RequestId,
  type Result,
} from "@modelcontextprotocol/sdk/types.js";
import type { CallRun } from "../core/gateway.ts";
import { JSONRPC_ERRORS, RpcFailure } from "../protocol.ts";
import type { HeldQuestion } from "./held-store.ts";

/** A request the downstream server made of the client, waiting for the client's retry to answer it. */
interface PendingInput {
  request: { method: string; params?: Record<string, unknown> };
  resolve(result: Result): void;
  reject(error: Error): void;
}

/** Where the HTTP request currently waiting on a call sends its progress and log messages. */
export interface Sink {
  id: string;
  /** The current request's own progress token: a retry may bring a new one. */
  progressToken: string | number | undefined;
  write(message: Record<string, unknown>): void;
}

/** What an answer to each kind of question must look like: the server would wait forever on anything else. */
const ANSWER_SCHEMAS: Record<string, { safeParse(value: unknown): { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } } }> = {
  "elicitation/create": ElicitResultSchema,
  "sampling/createMessage": CreateMessageResultSchema.or(CreateMessageResultWithToolsSchema),
  "roots/list": ListRootsResultSchema,
};

/** What is wrong with the client's answers to `questions` (those it names), or null: each must be its question's result. */
export function malformedAnswer(questions: Pick<HeldQuestion, "key" | "method">[], responses: Record<string, unknown>): string | null {
  for (const [key, response] of Object.entries(responses)) {
    const question = questions.find((asked) => asked.key === key);
    const checked = question ? ANSWER_SCHEMAS[question.method]?.safeParse(response) : undefined;
    if (!checked || checked.success) continue;
    const issue = checked.error?.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.map(String).join(".")}` : "";
    return `inputResponses["${key}"] is not a result of ${question!.method}${where}: ${issue?.message ?? "invalid"}`;
  }
  return null;
}

/** How long the server's questions are gathered for one `input_required` (see #gather). */
const GATHER_QUIET_MS = 25;
const GATHER_MAX_MS = 250;

type Settled = { ok: true; result: Record<string, unknown> } | { ok: false; error: unknown };

/**
 * One downstream call of a stateless client, from its first request to its last retry. A 2025 server
 * asks its client things (elicitation, sampling, roots) in the middle of a call; a 2026 client can only
 * be asked in an answer (`input_required`). So the call stays open here, in the bridge's memory, while
 * the client answers and retries; the server's request is answered when the retry brings its response.
 * Its questions and answers are also kept in storage (held-store.ts), so that a retry reaching a new
 * instance can run the call again and answer the same questions with them (`replay`).
 */
export class HeldCall {
  readonly id = crypto.randomUUID();
  readonly controller = new AbortController();
  readonly run: CallRun;
  /** The id the downstream client gave the call: the server's own requests name it. */
  downstreamId: RequestId | undefined;
  /** askableCapabilities()'s key of the downstream connection the call runs on: the server's requests for it come on that one. */
  readonly connection: string;
  sink: Sink | null = null;
  #settled: Promise<Settled> | null = null;
  #failure: RpcFailure | null = null;
  readonly #inputs = new Map<string, PendingInput>();
  readonly #answered: HeldQuestion[] = [];
  #replay: HeldQuestion[];
  #next = 0;
  #wake: (() => void) | null = null;
  #expiry: ReturnType<typeof setTimeout> | null = null;

  /** `replay`: the questions a call held by an evicted instance had asked, with the client's answers. */
  constructor(run: Omit<CallRun, "signal" | "onSent" | "onProgress">, connection: string, replay: HeldQuestion[] = []) {
    this.connection = connection;
    this.#replay = replay.filter((question) => question.result !== undefined);
    this.run = {
      ...run,
      signal: this.controller.signal,
      onSent: (id) => {
        this.downstreamId = id;
      },
      onProgress: (progress: Progress) => {
        const sink = this.sink;
        if (sink?.progressToken !== undefined) sink.write({ jsonrpc: "2.0", method: "notifications/progress", params: { ...progress, progressToken: sink.progressToken } });
      },
    };
  }

  start(work: Promise<Record<string, unknown>>): void {
    this.#settled = work.then(
      (result): Settled => ({ ok: true, result }),
      (error: unknown): Settled => ({ ok: false, error }),
    );
    void this.#settled.then(() => this.#wake?.());
  }

  /**
   * The server asked the client something: it waits for a retry carrying the answer under its key, the
   * 2026 server's own key when the question came from one (`preferredKey`), else one made up here.
   */
  ask(request: PendingInput["request"], signal: AbortSignal, preferredKey?: string): Promise<Result> {
    // A call run again after its bridge was evicted: the questions the client answered before are answered
    // with what it said, as long as the server asks the same ones in the same order.
    const replayed = this.#replay.shift();
    if (replayed && replayed.method === request.method && JSON.stringify(replayed.params ?? null) === JSON.stringify(request.params ?? null)) {
      this.#answered.push(replayed);
      return Promise.resolve(replayed.result!);
    }
    this.#replay = [];
    const key = preferredKey !== undefined && !this.#inputs.has(preferredKey) ? preferredKey : `${request.method.split("/")[0]}-${++this.#next}`;
    return new Promise<Result>((resolve, reject) => {
      this.#inputs.set(key, { request, resolve, reject });
      signal.addEventListener("abort", () => {
        this.#inputs.delete(key);
        reject(new RpcFailure(JSONRPC_ERRORS.INTERNAL_ERROR, "The server cancelled its request"));
      });
      this.#wake?.();
    });
  }

  /** The call cannot go on (the client lacks a capability the server needs): it ends with `failure`. */
  fail(failure: RpcFailure): void {
    this.#failure = failure;
    this.controller.abort(failure.message);
    this.#wake?.();
  }

  /** Every question of the call so far, in the order asked: those answered with their answers, then those still open. */
  get questions(): HeldQuestion[] {
    return [...this.#answered, ...[...this.#inputs].map(([key, pending]) => ({ key, method: pending.request.method, ...(pending.request.params ? { params: pending.request.params } : {}) }))];
  }

  /** The client's answers, by the keys of `inputRequests`; unknown keys are ignored, as answered already. */
  answer(responses: Record<string, unknown>): void {
    this.#clearExpiry();
    for (const [key, response] of Object.entries(responses)) {
      const pending = this.#inputs.get(key);
      if (!pending) continue;
      this.#inputs.delete(key);
      pending.resolve(response as Result);
      this.#answered.push({ key, ...pending.request, result: response as Result });
    }
  }

  /** The server's questions still unanswered, as a 2026 `inputRequests` map. */
  get inputRequests(): Record<string, PendingInput["request"]> | null {
    if (this.#inputs.size === 0) return null;
    return Object.fromEntries([...this.#inputs].map(([key, pending]) => [key, pending.request]));
  }

  /**
   * Waits for what comes first: the call's result, its failure, or a question for the client (null:
   * the caller answers `input_required` with `inputRequests`).
   */
  async next(): Promise<Record<string, unknown> | null> {
    for (;;) {
      if (this.#failure) throw this.#failure;
      if (this.#inputs.size > 0) return null;
      const woken = new Promise<void>((resolve) => (this.#wake = resolve));
      const settled = await Promise.race([this.#settled!, woken.then(() => null)]);
      this.#wake = null;
      if (this.#failure) throw this.#failure;
      if (settled) {
        if (settled.ok) return settled.result;
        throw settled.error;
      }
      if (this.#inputs.size > 0) await this.#gather();
    }
  }

  /**
   * A server that asks several things at once (`Promise.all`) sends them one after another, each in an
   * event of its own that may arrive in a read of its own: one answer lists them all, once none has
   * come for GATHER_QUIET_MS (and at most GATHER_MAX_MS after the first).
   */
  async #gather(): Promise<void> {
    const until = Date.now() + GATHER_MAX_MS;
    let seen = -1;
    while (seen !== this.#inputs.size && !this.#failure && Date.now() < until) {
      seen = this.#inputs.size;
      await new Promise((resolve) => setTimeout(resolve, GATHER_QUIET_MS));
    }
  }

  /** Held for a retry until `expiresAt`; then the downstream call is abandoned. */
  holdUntil(expiresAt: number, onExpired: () => void): void {
    this.#clearExpiry();
    this.#expiry = setTimeout(() => {
      this.abandon("the client did not retry before its requestState expired");
      onExpired();
    }, Math.max(0, expiresAt - Date.now()));
  }

  abandon(reason: string): void {
    this.#clearExpiry();
    for (const pending of this.#inputs.values()) pending.reject(new RpcFailure(JSONRPC_ERRORS.INTERNAL_ERROR, reason));
    this.#inputs.clear();
    this.controller.abort(reason);
  }

  #clearExpiry(): void {
    if (this.#expiry) clearTimeout(this.#expiry);
    this.#expiry = null;
  }
}
