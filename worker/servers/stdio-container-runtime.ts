import type { StdioContainer } from "../../durable-objects/stdio-container.ts";
import { AppError } from "../http/errors.ts";
import { deletedServerFailure, type InstanceStatus, labelledFetch, type StdioRuntime } from "./stdio-runtime.ts";

/** Cloudflare Containers: one StdioContainer Durable Object, and its container, per instance name. */
export function containerRuntime(namespace: DurableObjectNamespace<StdioContainer> | undefined): StdioRuntime {
  const stub = (instance: string) => {
    if (!namespace) throw new AppError("INTERNAL", "This deployment has no STDIO_CONTAINER binding, so it cannot run stdio servers (see docs/deployment.md)");
    return namespace.getByName(instance);
  };
  return {
    async bridge(launch) {
      const container = stub(launch.instance);
      if (!(await container.configure(launch))) throw deletedServerFailure(launch.instance);
      // The host is never resolved: the Durable Object forwards the request into its container's port.
      return { url: "http://bridge/mcp", fetch: labelledFetch((request) => container.fetch(request)) };
    },
    async start(launch): Promise<InstanceStatus> {
      const status = await stub(launch.instance).wake(launch);
      if (!status) throw deletedServerFailure(launch.instance);
      return status;
    },
    stop: (instance) => stub(instance).sleep(),
    retire: (instance, generation) => stub(instance).retire(generation),
    status: (instance) => stub(instance).status(),
  };
}
