import type { DatabaseHandle } from "../db/client.ts";
import { type AuditFilter, auditPage } from "./query.ts";
import { logEvent } from "../observability/log.ts";
import { errorText } from "../db/errors.ts";

/** Rows fetched per query while streaming: bounds memory whatever the range holds. */
export const EXPORT_PAGE_SIZE = 500;

/**
 * Streams matching records as NDJSON, oldest first, one query per page as the reader pulls. The stream
 * owns its own database handle: the request's handle is closed as soon as the Response is returned,
 * long before a large export has been read.
 */
export function exportNdjson(handle: DatabaseHandle, filter: AuditFilter): Response {
  const encoder = new TextEncoder();
  let after: string | undefined;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await handle.close().catch(() => {});
  };
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const page = await auditPage(handle.db, filter, { after, limit: EXPORT_PAGE_SIZE, order: "oldest" });
        if (page.length > 0) {
          controller.enqueue(encoder.encode(page.map((record) => `${JSON.stringify(record)}\n`).join("")));
          after = page[page.length - 1]!.id;
        }
        if (page.length < EXPORT_PAGE_SIZE) {
          controller.close();
          await close();
        }
      } catch (error) {
        // Headers are gone by now; a truncated stream with an error is all a reader can be told.
        logEvent("audit.export_failed", { error: errorText(error) }, "error");
        controller.error(new Error("Audit export failed"));
        await close();
      }
    },
    cancel: close,
  });
  return new Response(body, {
    headers: { "content-type": "application/x-ndjson; charset=utf-8", "cache-control": "no-store" },
  });
}
