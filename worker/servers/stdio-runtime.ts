import type { AppEnv } from "../env.ts";
import { JSONRPC_ERRORS, RpcFailure } from "../mcp/protocol.ts";
import { containerRuntime } from "./stdio-container-runtime.ts";
import type { StdioLaunch } from "./stdio-definition.ts";
import { supervisorRuntime } from "./stdio-supervisor-runtime.ts";

export const INSTANCE_STATES = ["online", "sleeping", "starting", "error"] as const;
export type InstanceState = (typeof INSTANCE_STATES)[number];

/** What 3004 shows of one instance. `lastError` is scrubbed of the instance's environment values. */
export interface InstanceStatus {
  instance: string;
  state: InstanceState;
  lastError: string | null;
  /** When the instance last changed state, ISO 8601. */
  since: string | null;
  /** Starts since the instance's owner was created (a restart after a crash counts). */
  starts: number;
}

/** How the Worker reaches one instance's bridge: a URL and the fetch that carries requests to it. */
export interface StdioBridge {
  url: string;
  fetch: typeof fetch;
}

/**
 * Where stdio servers run: Cloudflare Containers in a deployment, the dev launcher's supervisor under
 * `npm run dev`. Both wake an instance on its first request and sleep it when idle.
 */
export interface StdioRuntime {
  /** Hands the instance its launch (it keeps it for wake-ups) and says how to reach its bridge. */
  bridge(launch: StdioLaunch): Promise<StdioBridge>;
  start(launch: StdioLaunch): Promise<InstanceStatus>;
  stop(instance: string): Promise<InstanceStatus>;
  /**
   * For a deleted server: stops the instance for good, cancels its restarts, forgets its launch, and
   * from then on refuses every launch of generation `generation` or older (see StdioLaunch.generation).
   */
  retire(instance: string, generation: number): Promise<void>;
  status(instance: string): Promise<InstanceStatus>;
}

/** What a session that had not yet heard of a server's deletion gets when it tries to connect to it. */
export function deletedServerFailure(instance: string): RpcFailure {
  return new RpcFailure(JSONRPC_ERRORS.INVALID_PARAMS, `The stdio server of instance "${instance}" has been deleted`);
}

export function stdioRuntime(env: AppEnv): StdioRuntime {
  if (env.STDIO_SUPERVISOR_URL) return supervisorRuntime(env.STDIO_SUPERVISOR_URL, env.STDIO_SUPERVISOR_NONCE ?? "", env.OWNER_KEY);
  return containerRuntime(env.STDIO_CONTAINER);
}

/**
 * Every request of one downstream connection carries the same random label, so the bridge can tell
 * connections apart (request ids are only unique within one) without sessions it would lose on a restart.
 */
export function labelledFetch(send: (request: Request) => Promise<Response>): typeof fetch {
  const label = crypto.randomUUID();
  return async (input, init) => {
    const request = new Request(input, init);
    request.headers.set("x-bridge-client", label);
    return send(request);
  };
}
