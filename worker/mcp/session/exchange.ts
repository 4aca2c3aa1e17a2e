import type { JsonRpcMessage } from "../protocol.ts";
import { LiveStreams, SSE_HEADERS, sseEvent } from "./live-streams.ts";
import { SESSION_HEADER } from "./responses.ts";
import { type SessionStore, STANDALONE_STREAM } from "./store.ts";

/** Servers from the 2025-11-25 revision on expect a priming event (SEP-1699) to make a stream resumable. */
const PRIMING_FROM = "2025-11-25";

/**
 * How a session's messages reach the client: a JSON body, or SSE streams whose every event is first
 * appended to the durable event log (for `Last-Event-ID` replay) and then written live. Each message is
 * serialised once; the same text goes to the log, the stream, and the audit record's size.
 */
export class Exchange {
  readonly #store: SessionStore;
  readonly #streams = new LiveStreams();

  constructor(store: SessionStore) {
    this.#store = store;
  }

  /** Sends one message on a stream. `text` is the message already serialised, when the caller needed it first. */
  emit(streamId: string, message: JsonRpcMessage | null, text: string | null = message === null ? null : JSON.stringify(message)): void {
    const id = this.#store.append(streamId, text, Date.now());
    this.#streams.write(streamId, sseEvent(id, text));
  }

  /** A POST's own SSE stream, primed when the protocol version expects it. */
  openStream(sessionId: string, protocolVersion: string): { streamId: string; response: Response } {
    const streamId = crypto.randomUUID();
    const body = this.#streams.open(streamId);
    if (protocolVersion >= PRIMING_FROM) this.emit(streamId, null);
    return { streamId, response: sseResponse(body, sessionId) };
  }

  /**
   * GET: the standalone stream, or the replay of a dropped stream from `lastEventId` on. Replay and
   * attach are one synchronous step, so no event slips between them or comes twice. A replayed stream
   * that owes nothing more is ended at once.
   */
  listen(sessionId: string, lastEventId: string | null, owes: (streamId: string) => boolean): Response {
    const replay = lastEventId ? this.#store.eventsAfter(lastEventId) : null;
    const streamId = replay?.streamId ?? STANDALONE_STREAM;
    // A finished stream with nothing left to replay answers 204, never an empty stream: the SDK (v1) client
    // takes a POST stream that ended with an error response as unanswered and resumes it, and it resumes
    // an empty stream again every second, forever, one loop per failed call.
    if (replay && streamId !== STANDALONE_STREAM && replay.events.length === 0 && !owes(streamId)) {
      return new Response(null, { status: 204, headers: { [SESSION_HEADER]: sessionId } });
    }
    const body = this.#streams.open(streamId);
    for (const event of replay?.events ?? []) this.#streams.write(streamId, sseEvent(event.id, event.message));
    if (streamId !== STANDALONE_STREAM && !owes(streamId)) this.#streams.close(streamId);
    return sseResponse(body, sessionId);
  }

  close(streamId: string): void {
    this.#streams.close(streamId);
  }

  closeAll(): void {
    this.#streams.closeAll();
  }
}

function sseResponse(body: ReadableStream<Uint8Array>, sessionId: string): Response {
  return new Response(body, { headers: { ...SSE_HEADERS, [SESSION_HEADER]: sessionId } });
}

/** A JSON body from answers serialised once each (their audit records measured the same text). */
export function jsonAnswer(texts: string[], batch: boolean, sessionId?: string): Response {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (sessionId) headers[SESSION_HEADER] = sessionId;
  return new Response(batch ? `[${texts.join(",")}]` : texts[0], { headers });
}
