import { z } from "zod";
import { referencedNames, type StdioTemplate } from "../vault/placeholders.ts";

const NO_NUL = /^[^\0]*$/;

/** What `transport: "stdio"` adds to a server: how to start it, and how long to keep it. */
export const stdioDefinition = z
  .strictObject({
    command: z.string().min(1).max(200).regex(/^[^\0\s]+$/, "must be one word without spaces").describe("The executable, e.g. npx, uvx, node, python"),
    args: z.array(z.string().max(4096).regex(NO_NUL, "must not contain NUL")).max(64).default([]).describe("Its arguments, e.g. [\"-y\", \"@modelcontextprotocol/server-memory\"]"),
    env: z
      .record(
        z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, "must be an environment variable name")
          // The bridge's own configuration shares the environment of the instance.
          .refine((name) => !name.startsWith("BRIDGE_"), "BRIDGE_* names are the bridge's own"),
        z.string().max(8192).regex(NO_NUL, "must not contain NUL"),
      )
      .default({})
      .describe("The server's environment; values may contain {{secret:NAME}} and {{user:NAME}}, resolved when its instance starts"),
    idleSeconds: z.number().int().min(10).max(86_400).default(300).describe("An instance with no call for this long is stopped (sleepAfter); the next call starts it again"),
    keepWarm: z.boolean().default(false).describe("Keep one instance running (the warm minimum): it never sleeps, and is restarted with back-off if it dies"),
  })
  .describe("For transport \"stdio\": the command the gateway runs, in a Cloudflare Container or, under npm run dev, as a local child process");

/**
 * Which instance serves a caller. Values of `{{user:…}}` differ per user, so such a server gets one
 * instance per user (the owner key, which has no user, gets one of its own); any other is shared.
 */
export function instanceName(serverId: string, stdio: StdioTemplate, userId: string | null): string {
  if (!usesUserValues(stdio)) return serverId;
  return `${serverId}~${userId ?? "owner"}`;
}

export function usesUserValues(stdio: StdioTemplate): boolean {
  return referencedNames({ url: "", headers: {}, stdio }).some((ref) => ref.kind === "user");
}

/** A started instance's whole configuration: a change of any part means a restart. */
export interface StdioLaunch {
  instance: string;
  command: string;
  args: string[];
  /** Resolved values: kept in memory by the instance's owner, never written down or returned. */
  env: Record<string, string>;
  idleSeconds: number;
  keepWarm: boolean;
  /**
   * When its server was created (ms since the epoch, the database's clock). A deleted server's instances
   * refuse any launch of that server or an older one, which only a session that has not yet heard of the
   * deletion still holds; a server created again under the same id is newer, and starts.
   */
  generation: number;
}

/** A digest of the launch, to tell whether a running instance already has these settings. */
export async function launchDigest(launch: StdioLaunch): Promise<string> {
  const canonical = JSON.stringify([launch.command, launch.args, Object.entries(launch.env).sort(), launch.idleSeconds, launch.keepWarm, launch.generation]);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}
