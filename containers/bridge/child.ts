import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { type InitializeResult, isJSONRPCErrorResponse, isJSONRPCResultResponse, type JSONRPCMessage, LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";
import { Redactor } from "../../worker/vault/redactor.ts";
import { restartDelayMs } from "./backoff.ts";

export interface ChildSpec {
  command: string;
  args: string[];
  /** The server's own environment (resolved placeholders included), on top of a minimal inherited one. */
  env: Record<string, string>;
}

const INITIALIZE_ID = "bridge-initialize";
// `npx -y` may have to download the server first: starting is allowed far longer than a call.
const START_TIMEOUT_MS = 120_000;
const STDERR_TAIL = 2000;

/**
 * One stdio MCP server process. The bridge, not each client, initializes it, so any number of HTTP
 * clients share one process, and a restarted process is ready for the next call without the clients
 * noticing. It is started on first need and again after it exits, immediately after a crash of a server
 * that had started, and with back-off while it keeps failing to start.
 */
export class StdioChild {
  readonly #spec: ChildSpec;
  /** The gateway's one scrubber, over the server's whole environment: every value, in every encoding it knows. */
  readonly #redactor: Redactor;
  #transport: StdioClientTransport | undefined;
  #ready: Promise<InitializeResult> | undefined;
  /** The running process has answered initialize: only then is the server online. */
  #initialized = false;
  #failures = 0;
  #starts = 0;
  #lastError: string | null = null;
  /** Messages the server sends, other than the reply to the bridge's own initialize. */
  onmessage: (message: JSONRPCMessage) => void = () => {};
  /** The process is gone; `reason` is safe to show (the server's environment values are scrubbed). */
  onexit: (reason: string) => void = () => {};

  constructor(spec: ChildSpec) {
    this.#spec = spec;
    this.#redactor = new Redactor(spec.env);
  }

  /**
   * Online once the process has answered initialize (a process that is merely running may still fail to
   * start, as START_SERVER must report); starting while a start is under way, back-off included.
   */
  get status() {
    const state = this.#transport && this.#initialized ? "online" : this.#ready ? "starting" : this.#lastError ? "error" : "starting";
    return { state, pid: this.#transport?.pid ?? null, starts: this.#starts, failures: this.#failures, lastError: this.#lastError };
  }

  /** Starts the server unless it runs, and resolves with what it answered to initialize. */
  ready(): Promise<InitializeResult> {
    this.#ready ??= this.#start().catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  async send(message: JSONRPCMessage): Promise<void> {
    await this.ready();
    await this.#transport?.send(message);
  }

  async stop(): Promise<void> {
    const transport = this.#transport;
    this.#transport = undefined;
    this.#ready = undefined;
    await transport?.close();
  }

  #scrub(text: string): string {
    return this.#redactor.scrubText(text);
  }

  async #start(): Promise<InitializeResult> {
    const delay = restartDelayMs(this.#failures);
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    this.#starts++;
    this.#initialized = false;
    const transport = new StdioClientTransport({
      command: this.#spec.command,
      args: this.#spec.args,
      env: { ...getDefaultEnvironment(), ...this.#spec.env },
      stderr: "pipe",
    });
    let stderr = "";
    let initialized = false;
    let spawnFailed = false;
    const initializeResult = new Promise<InitializeResult>((resolve, reject) => {
      transport.onmessage = (message) => {
        if ("id" in message && message.id === INITIALIZE_ID) {
          if (isJSONRPCResultResponse(message)) {
            initialized = true;
            this.#initialized = true;
            this.#failures = 0;
            resolve(message.result as InitializeResult);
            void transport.send({ jsonrpc: "2.0", method: "notifications/initialized" }).catch(() => {});
          } else if (isJSONRPCErrorResponse(message)) {
            reject(new Error(`The stdio server refused to initialize: ${this.#scrub(message.error.message)}`));
          }
          return;
        }
        this.onmessage(message);
      };
      transport.onclose = () => {
        if (spawnFailed) return;
        const lastWords = this.#scrub(stderr.trim().split("\n").slice(-3).join(" | "));
        const reason = `The stdio server exited${initialized ? "" : " before it finished starting"}${lastWords ? `: ${lastWords}` : ""}`;
        if (!initialized) this.#failures++;
        this.#lastError = reason;
        if (this.#transport === transport) {
          this.#transport = undefined;
          this.#ready = undefined;
        }
        reject(new Error(reason));
        this.onexit(reason);
      };
      transport.onerror = (error) => {
        this.#lastError = this.#scrub(error.message);
      };
    });
    // Handled below, by the race; a start that fails first must not leave it rejected unheard.
    initializeResult.catch(() => {});
    try {
      await transport.start();
    } catch (error) {
      // The command could not be started at all (not found, not executable); the close that follows
      // is the same failure, and this reason is the better one.
      spawnFailed = true;
      this.#failures++;
      this.#lastError = this.#scrub(`The stdio server could not be started: ${error instanceof Error ? error.message : String(error)}`);
      throw new Error(this.#lastError);
    }
    transport.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString("utf8")).slice(-STDERR_TAIL)));
    this.#transport = transport;
    await transport.send({
      jsonrpc: "2.0",
      id: INITIALIZE_ID,
      method: "initialize",
      // Sampling and elicitation are declared so servers offer the tools that use them; the gateway
      // answers them from its own client, or refuses them when that client cannot.
      params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: { sampling: {}, elicitation: {} }, clientInfo: { name: "peta-stdio-bridge", version: "1.0.0" } },
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`The stdio server did not finish starting within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    });
    try {
      return await Promise.race([initializeResult, timeout]);
    } catch (error) {
      await transport.close().catch(() => {});
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}
