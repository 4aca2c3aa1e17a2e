import { AppError } from "../http/errors.ts";
import type { StdioLaunch } from "./stdio-definition.ts";
import { supervisorToken } from "./supervisor-token.ts";
import { deletedServerFailure, type InstanceStatus, labelledFetch, type StdioRuntime } from "./stdio-runtime.ts";

/**
 * The dev launcher's supervisor (scripts/lib/stdio-supervisor.ts), on loopback outside workerd. Its
 * token, derived from a nonce random per `npm run dev` and the owner key, keeps other local processes
 * from having it run commands.
 */
export function supervisorRuntime(base: string, nonce: string, ownerKey: string): StdioRuntime {
  let authorization: Promise<string> | undefined;
  const bearer = () => (authorization ??= supervisorToken(ownerKey, nonce).then((token) => `Bearer ${token}`));
  const at = (instance: string) => `/instances/${encodeURIComponent(instance)}`;
  const call = async (instance: string, action: string, method: string, payload?: StdioLaunch | { generation: number }): Promise<InstanceStatus> => {
    const response = await fetch(`${base}${at(instance)}${action}`, {
      method,
      headers: { authorization: await bearer(), "content-type": "application/json" },
      ...(payload ? { body: JSON.stringify(payload) } : {}),
    });
    const body: unknown = await response.json().catch(() => null);
    // The launch is of a server deleted since: the supervisor keeps the deleted generation, and refuses it.
    if (response.status === 410) throw deletedServerFailure(instance);
    if (!response.ok) throw new AppError("INTERNAL", `The stdio supervisor answered ${response.status}: ${messageOf(body)}`);
    return body as InstanceStatus;
  };
  return {
    async bridge(launch) {
      await call(launch.instance, "", "PUT", launch);
      return {
        url: `${base}${at(launch.instance)}/mcp`,
        fetch: labelledFetch(async (request) => {
          request.headers.set("authorization", await bearer());
          return fetch(request);
        }),
      };
    },
    start: (launch) => call(launch.instance, "/start", "POST", launch),
    stop: (instance) => call(instance, "/stop", "POST"),
    async retire(instance, generation) {
      await call(instance, "", "DELETE", { generation });
    },
    status: (instance) => call(instance, "", "GET"),
  };
}

function messageOf(body: unknown): string {
  return typeof body === "object" && body !== null && "error" in body && typeof body.error === "string" ? body.error : "no details";
}
