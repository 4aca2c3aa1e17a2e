import { z } from "zod";
import { AppError } from "../http/errors.ts";
import { launchFor } from "../servers/stdio-instances.ts";
import { instanceName, usesUserValues } from "../servers/stdio-definition.ts";
import { stdioRuntime } from "../servers/stdio-runtime.ts";
import { requireServer } from "../servers/store.ts";
import type { Database } from "../db/client.ts";
import type { KeyRing } from "../vault/keyring.ts";
import { openServerConfig } from "../vault/server-config.ts";
import { defineAction } from "./action.ts";

const serverId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/).describe("The stdio server");
const userId = z
  .string()
  .min(1)
  .max(64)
  .optional()
  .describe("For a server whose env uses {{user:…}}: whose instance (omitted: the owner key's). Ignored for a shared instance");

/** The stdio settings of a server that must be a stdio server. */
async function stdioServer(db: Database, ring: KeyRing, id: string) {
  const row = await requireServer(db, id);
  const { stdio } = await openServerConfig(ring, row);
  if (row.transport !== "stdio" || !stdio) throw new AppError("CONFLICT", `Server "${id}" is not a stdio server: it has no instances`);
  return { row, stdio };
}

export const serverInstanceActions = [
  defineAction({
    code: 2001,
    name: "START_SERVER",
    summary: "Starts a stdio server's instance now (it would otherwise start on its first call), and waits until it answers.",
    returns: "`{instance: InstanceStatus}`",
    input: z.strictObject({ serverId, userId }),
    async run({ db, vault, env }, data) {
      const ring = await vault();
      const { row, stdio } = await stdioServer(db, ring, data.serverId);
      const launch = await launchFor(db, ring, row, usesUserValues(stdio) ? (data.userId ?? null) : null);
      return { instance: await stdioRuntime(env).start(launch) };
    },
  }),
  defineAction({
    code: 2002,
    name: "STOP_SERVER",
    summary: "Stops a stdio server's instance; its next call starts it again.",
    returns: "`{instance: InstanceStatus}`",
    input: z.strictObject({ serverId, userId }),
    async run({ db, vault, env }, data) {
      const { stdio } = await stdioServer(db, await vault(), data.serverId);
      return { instance: await stdioRuntime(env).stop(instanceName(data.serverId, stdio, data.userId ?? null)) };
    },
  }),
];
