import type { z } from "zod";
import type { Principal } from "../auth/principal.ts";
import type { AuditedTransaction } from "../audit/mutation.ts";
import type { Database } from "../db/client.ts";
import type { AppEnv } from "../env.ts";
import type { KeyRing } from "../vault/keyring.ts";

export interface ActionContext {
  db: Database;
  principal: Principal;
  /** The caller's address (CF-Connecting-IP), e.g. so an IP allow-list change cannot lock its author out. */
  ip: string | null;
  env: AppEnv;
  /** The vault key ring, loaded on first use so actions that never touch secrets never parse it. */
  vault(): Promise<KeyRing>;
  /**
   * For `mutates: "in-batches"` actions: runs one batch in its own transaction together with an audit
   * record of this action, so a long job commits as it goes and every commit is recorded. In a
   * `mutates: true` action it is part of the one transaction the action already runs in.
   */
  auditedTransaction: AuditedTransaction;
  /**
   * Runs `work` once the change has committed, before the reply: how a change reaches open sessions
   * (which no longer ask the database). A failure there is logged, not reported as the change failing.
   * The reply waits for it up to `timeoutMs` (5 s unless given).
   */
  afterCommit(work: () => Promise<unknown>, timeoutMs?: number): void;
}

/** One numbered action of `POST /admin` (or `/user`): its zod schema is the single source of truth for `data`. */
export interface Action<Input extends z.ZodType = z.ZodType> {
  code: number;
  name: string;
  summary: string;
  input: Input;
  /** The shape of `data` in a successful reply, for the reference docs. */
  returns: string;
  /**
   * What the audit record keeps of `data`, before the masking every action gets (defaults to all of it);
   * it may read the database (a scrubber for the values a server injects).
   */
  auditInput?: (data: z.output<Input>, context: Pick<ActionContext, "env" | "db">) => unknown;
  /**
   * Set on every action that changes state. `true`: the dispatcher runs it in one transaction together
   * with its audit record, and `ctx.db` is that transaction. `"in-batches"`: a job too long for one
   * transaction, which commits each batch through `ctx.auditedTransaction` instead.
   */
  mutates?: true | "in-batches";
  /**
   * `run` may return a Response (e.g. a stream) to be sent as it is instead of the JSON envelope; such an
   * action says so in its summary.
   */
  run(ctx: ActionContext, data: z.output<Input>): Promise<unknown>;
}

/** Keeps each action's `run` typed against its own schema while the registry holds them side by side. */
export function defineAction<Input extends z.ZodType>(action: Action<Input>): Action {
  return action as unknown as Action;
}
