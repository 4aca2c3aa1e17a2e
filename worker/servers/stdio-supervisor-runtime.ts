import { AppError } from "../http/errors.ts";
import type { StdioLaunch } from "./stdio-definition.ts";
import { type InstanceStatus, labelledFetch, type StdioRuntime } from "./stdio-runtime.ts";

/**
 * The dev launcher's supervisor (scripts/lib/stdio-supervisor.ts), on loopback outside workerd. Its
 * token, random per `npm run dev`, keeps other local processes from having it run commands.
 */
export function supervisorRuntime(base: string, token: string): StdioRuntime {
  const auth = { authorization: `Bearer ${token}` };
  const call = async (path: string, method: string, launch?: StdioLaunch): Promise<InstanceStatus> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { ...auth, "content-type": "application/json" },
      ...(launch ? { body: JSON.stringify(launch) } : {}),
    });
    const body: unknown = await response.json().catch(() => null);
    if (!response.ok) throw new AppError("INTERNAL", `The stdio supervisor answered ${response.status}: ${messageOf(body)}`);
    return body as InstanceStatus;
  };
  const at = (instance: string) => `/instances/${encodeURIComponent(instance)}`;
  return {
    async bridge(launch) {
      await call(at(launch.instance), "PUT", launch);
      return {
        url: `${base}${at(launch.instance)}/mcp`,
        fetch: labelledFetch((request) => {
          request.headers.set("authorization", auth.authorization);
          return fetch(request);
        }),
      };
    },
    start: (launch) => call(`${at(launch.instance)}/start`, "POST", launch),
    stop: (instance) => call(`${at(instance)}/stop`, "POST"),
    status: (instance) => call(at(instance), "GET"),
  };
}

function messageOf(body: unknown): string {
  return typeof body === "object" && body !== null && "error" in body && typeof body.error === "string" ? body.error : "no details";
}
