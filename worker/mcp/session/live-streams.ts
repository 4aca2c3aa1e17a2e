const encoder = new TextEncoder();

/** How long a client should wait before reconnecting a dropped stream (SSE `retry`). */
const RECONNECT_AFTER_MS = 1000;

/** `message` is the serialised JSON-RPC message; null is the priming event: an id to resume from, a retry hint, no data. */
export function sseEvent(id: string, message: string | null): Uint8Array {
  return encoder.encode(message === null ? `id: ${id}\nretry: ${RECONNECT_AFTER_MS}\ndata: \n\n` : `id: ${id}\nevent: message\ndata: ${message}\n\n`);
}

export const SSE_HEADERS = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache, no-transform",
  connection: "keep-alive",
} as const;

/**
 * The SSE streams a client currently holds open, by stream id. A write to a stream whose client has
 * gone fails quietly and forgets the stream: the event is already in the durable log for replay.
 */
export class LiveStreams {
  readonly #writers = new Map<string, WritableStreamDefaultWriter<Uint8Array>>();

  /** Opens (or takes over) a stream and returns the body for its SSE response. */
  open(streamId: string): ReadableStream<Uint8Array> {
    this.close(streamId);
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    this.#writers.set(streamId, writable.getWriter());
    return readable;
  }

  isOpen(streamId: string): boolean {
    return this.#writers.has(streamId);
  }

  write(streamId: string, chunk: Uint8Array): void {
    const writer = this.#writers.get(streamId);
    if (!writer) return;
    writer.write(chunk).catch(() => {
      if (this.#writers.get(streamId) === writer) this.#writers.delete(streamId);
    });
  }

  close(streamId: string): void {
    const writer = this.#writers.get(streamId);
    if (!writer) return;
    this.#writers.delete(streamId);
    writer.close().catch(() => {});
  }

  closeAll(): void {
    for (const streamId of [...this.#writers.keys()]) this.close(streamId);
  }
}
