import type { Principal } from "../../auth/principal.ts";
import type { Database } from "../../db/client.ts";
import type { AppEnv } from "../../env.ts";
import { type CompiledPolicy, compilePolicy } from "../../policy/compile.ts";
import { policyDecideHook } from "../../policy/hook.ts";
import { visibleCatalog } from "../../policy/list-filter.ts";
import { loadPolicySnapshot } from "../../policy/snapshot.ts";
import { callerOf } from "../../policy/types.ts";
import type { DecideHook } from "../core/decide.ts";
import type { GatewayDeps } from "../core/gateway.ts";
import { JSONRPC_ERRORS, RpcFailure } from "../protocol.ts";
import type { SessionStore } from "./store.ts";

/**
 * A session's policy: read at initialize in one query, replaced when a change is pushed, kept compiled
 * in memory and as JSON in SQLite, so an evicted session decides without the database.
 */
export class SessionPolicy {
  readonly #store: SessionStore;
  #compiled: CompiledPolicy | null = null;

  constructor(store: SessionStore) {
    this.#store = store;
  }

  async load(db: Database, principal: Principal, scope: string | null): Promise<void> {
    const snapshot = await loadPolicySnapshot(db, principal, scope);
    this.#store.savePolicy(snapshot);
    this.#compiled = compilePolicy(snapshot);
  }

  /** The policy in memory, or as stored (after an eviction); compiled programs are shared across the isolate. */
  current(): CompiledPolicy {
    if (!this.#compiled) {
      const stored = this.#store.loadPolicy();
      if (!stored) throw new RpcFailure(JSONRPC_ERRORS.INTERNAL_ERROR, "This session has no policy; initialize a new one");
      this.#compiled = compilePolicy(stored);
    }
    return this.#compiled;
  }

  forget(): void {
    this.#compiled = null;
  }

  /** The core's decide and visible hooks over this policy, with the user's rate limiter (the owner key has none). */
  hooks(env: AppEnv, principal: Principal): { decide: DecideHook; visible: GatewayDeps["visible"] } {
    return {
      decide: policyDecideHook({
        policy: () => this.current(),
        ...(principal.userId === null ? {} : { limiter: env.RATE_LIMITER.getByName(principal.userId) }),
        defaultRateLimit: env.RATE_LIMIT_PER_MINUTE,
      }),
      visible: (context, entry) => {
        const policy = this.current();
        return visibleCatalog(policy, callerOf(policy.snapshot, context.client), entry);
      },
    };
  }
}
