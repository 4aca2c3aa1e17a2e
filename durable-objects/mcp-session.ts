import { DurableObject } from "cloudflare:workers";
import type { AppEnv } from "../worker/env.ts";
import { readMcpConfig } from "../worker/mcp/config.ts";
import { SessionRuntime } from "../worker/mcp/session/runtime.ts";
import { SessionStore } from "../worker/mcp/session/store.ts";
import type { CloseInput, ListenInput, OpenInput, PostInput } from "../worker/mcp/session/types.ts";

/**
 * One instance per MCP session, named by its unguessable session id. It keeps the session's record and
 * SSE event log in SQLite (so Last-Event-ID replay survives eviction), and holds the downstream client
 * connections in memory. The Worker reaches it only through these methods.
 */
export class McpSession extends DurableObject<AppEnv> {
  readonly #runtime: SessionRuntime;
  readonly #idleMs: number;

  constructor(ctx: DurableObjectState, env: AppEnv) {
    super(ctx, env);
    const config = readMcpConfig(env);
    this.#idleMs = config.sessionIdleMs;
    this.#runtime = new SessionRuntime(env, config, new SessionStore(ctx.storage.sql));
  }

  async open(input: OpenInput): Promise<Response> {
    const response = await this.#runtime.open(input);
    if (response.status !== 404) await this.#touch();
    return response;
  }

  async receive(input: PostInput): Promise<Response> {
    const response = await this.#runtime.receive(input);
    if (response.status !== 404) await this.#touch();
    return response;
  }

  async listen(input: ListenInput): Promise<Response> {
    const response = this.#runtime.listen(input);
    if (response.status !== 404) await this.#touch();
    return response;
  }

  async close(input: CloseInput): Promise<Response> {
    const response = await this.#runtime.close(input);
    if (response.ok) await this.ctx.storage.deleteAlarm();
    return response;
  }

  /** The idle timer: every request pushes it back, so firing means nobody used the session for that long. */
  override async alarm(): Promise<void> {
    await this.#runtime.teardown("idle timeout");
  }

  async #touch(): Promise<void> {
    await this.ctx.storage.setAlarm(Date.now() + this.#idleMs);
  }
}
