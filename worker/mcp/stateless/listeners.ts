import type { RequestId } from "../protocol.ts";

export const SUBSCRIPTION_ID_META_KEY = "io.modelcontextprotocol/subscriptionId";

/** What a `subscriptions/listen` asks to hear (2026-07-28 `SubscriptionFilter`). */
export interface SubscriptionFilter {
  toolsListChanged?: boolean;
  promptsListChanged?: boolean;
  resourcesListChanged?: boolean;
  /** URIs as this endpoint names them (`peta://<serverId>/…` on `/mcp`). */
  resourceSubscriptions?: string[];
}

const LIST_FLAGS: Record<string, keyof SubscriptionFilter> = {
  "notifications/tools/list_changed": "toolsListChanged",
  "notifications/prompts/list_changed": "promptsListChanged",
  "notifications/resources/list_changed": "resourcesListChanged",
};

/** A bridge's open listen streams at most: each holds a response open. */
export const MAX_LISTENERS = 16;

interface Listener {
  id: RequestId;
  filter: SubscriptionFilter;
  write(message: Record<string, unknown>): boolean;
}

/**
 * The open `subscriptions/listen` streams of one bridge: what replaced the 2025 GET stream and
 * `resources/subscribe`. Each hears only what its filter names, stamped with its subscription id.
 */
export class Listeners {
  readonly #open = new Set<Listener>();

  get size(): number {
    return this.#open.size;
  }

  /** `write` returns false once the client has gone: the listener is forgotten. */
  add(id: RequestId, filter: SubscriptionFilter, write: Listener["write"]): () => void {
    const listener = { id, filter, write };
    this.#open.add(listener);
    return () => this.#open.delete(listener);
  }

  deliver(notification: { method: string; params?: Record<string, unknown> }): void {
    for (const listener of [...this.#open]) {
      if (!wants(listener.filter, notification)) continue;
      const params = notification.params ?? {};
      const meta = { ...((params._meta as Record<string, unknown> | undefined) ?? {}), [SUBSCRIPTION_ID_META_KEY]: listener.id };
      if (!listener.write({ jsonrpc: "2.0", method: notification.method, params: { ...params, _meta: meta } })) this.#open.delete(listener);
    }
  }

  closeAll(): void {
    this.#open.clear();
  }
}

function wants(filter: SubscriptionFilter, notification: { method: string; params?: Record<string, unknown> }): boolean {
  const flag = LIST_FLAGS[notification.method];
  if (flag) return filter[flag] === true;
  if (notification.method === "notifications/resources/updated") return filter.resourceSubscriptions?.includes(String(notification.params?.uri)) ?? false;
  return false;
}
