import type { Notification } from "@modelcontextprotocol/sdk/types.js";
import { errorText } from "../../db/errors.ts";
import { logEvent } from "../../observability/log.ts";
import type { CatalogList } from "../catalog.ts";
import { presentTask, presentUri } from "../core/present.ts";
import type { EventSource } from "../downstream.ts";
import type { Emit } from "./calls.ts";
import { STANDALONE_STREAM } from "./store.ts";

const REFRESHED: Record<string, CatalogList[]> = {
  "notifications/tools/list_changed": ["tools"],
  "notifications/prompts/list_changed": ["prompts"],
  "notifications/resources/list_changed": ["resources", "resourceTemplates"],
};

export interface NotificationTargets {
  scope: string | null;
  emit: Emit;
  /** The stream of the newest call in flight to a server, else the standalone one. */
  streamFor(serverId: string): string;
  refreshCatalog(serverId: string, lists: CatalogList[]): Promise<void>;
}

/**
 * What a server says outside a reply, as the client sees it: scrubbed with that connection's values,
 * list changes refreshing the cached lists first, URIs and task ids in the endpoint's form, and log
 * messages on the stream of the server's newest call.
 */
export async function relayServerNotification({ serverId, redactor }: EventSource, notification: Notification, targets: NotificationTargets): Promise<void> {
  const { scope, emit } = targets;
  const params = redactor.scrub((notification.params ?? {}) as Record<string, unknown>);
  const lists = REFRESHED[notification.method];
  if (lists) {
    await targets.refreshCatalog(serverId, lists).catch((error: unknown) =>
      logEvent("catalog.refresh_failed", { serverId, error: redactor.scrubText(errorText(error)) }, "warn"),
    );
    emit(STANDALONE_STREAM, { jsonrpc: "2.0", method: notification.method });
  } else if (notification.method === "notifications/resources/updated") {
    emit(STANDALONE_STREAM, { jsonrpc: "2.0", method: notification.method, params: { ...params, uri: presentUri(scope, serverId, String(params.uri)) } });
  } else if (notification.method === "notifications/tasks/status") {
    emit(STANDALONE_STREAM, { jsonrpc: "2.0", method: notification.method, params: scope ? params : presentTask(serverId, params) });
  } else if (notification.method === "notifications/message") {
    const logger = scope ? params.logger : [serverId, params.logger].filter(Boolean).join("/");
    emit(targets.streamFor(serverId), { jsonrpc: "2.0", method: notification.method, params: { ...params, ...(logger ? { logger } : {}) } });
  }
}
