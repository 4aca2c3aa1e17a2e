import type { StdioContainer } from "../../durable-objects/stdio-container.ts";
import { AppError } from "../http/errors.ts";
import { labelledFetch, type StdioRuntime } from "./stdio-runtime.ts";

/** Cloudflare Containers: one StdioContainer Durable Object, and its container, per instance name. */
export function containerRuntime(namespace: DurableObjectNamespace<StdioContainer> | undefined): StdioRuntime {
  const stub = (instance: string) => {
    if (!namespace) throw new AppError("INTERNAL", "This deployment has no STDIO_CONTAINER binding, so it cannot run stdio servers (see docs/deployment.md)");
    return namespace.getByName(instance);
  };
  return {
    async bridge(launch) {
      const container = stub(launch.instance);
      await container.configure(launch);
      // The host is never resolved: the Durable Object forwards the request into its container's port.
      return { url: "http://bridge/mcp", fetch: labelledFetch((request) => container.fetch(request)) };
    },
    start: (launch) => stub(launch.instance).wake(launch),
    stop: (instance) => stub(instance).sleep(),
    status: (instance) => stub(instance).status(),
  };
}
