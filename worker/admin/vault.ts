import { z } from "zod";
import { AppError } from "../http/errors.ts";
import { forgetCatalogs } from "../mcp/catalog.ts";
import { requireServer } from "../servers/store.ts";
import { deleteRecords, listRecordNames, putRecord } from "../vault/records.ts";
import { rotateVault } from "../vault/rotate.ts";
import { assertHeaderSafeValues, vaultValue } from "../vault/values.ts";
import { defineAction } from "./action.ts";

const serverId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, "is not a valid serverId").describe("The server the secret belongs to");
const name = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, "must be 1-64 characters of A-Z, a-z, 0-9, _ . -")
  .describe("Referenced in the server's url or headers as {{secret:NAME}}");

/** How long one ROTATE_VAULT_KEY call works before reporting; callers repeat while `remaining` > 0. */
const ROTATION_BUDGET_MS = 20_000;

export const vaultActions = [
  defineAction({
    code: 2101,
    name: "SET_SERVER_SECRET",
    mutates: true,
    summary: "Stores (or replaces) a server's secret, encrypted; it takes effect on the server's next connection.",
    returns: "`{serverId, name, updated: true}`",
    input: z.strictObject({
      serverId,
      name,
      value: vaultValue("The secret; never shown again by any API, log or audit record"),
    }),
    async run({ db, vault }, data) {
      const server = await requireServer(db, data.serverId);
      const ring = await vault();
      await assertHeaderSafeValues(ring, server, "secret", { [data.name]: data.value }, () => "data.value");
      await putRecord(db, ring, { serverId: data.serverId, userId: null }, data.name, data.value);
      // Another credential may see other tools: every cached view of the server is now suspect.
      await forgetCatalogs(db, data.serverId);
      return { serverId: data.serverId, name: data.name, updated: true };
    },
  }),
  defineAction({
    code: 2102,
    name: "DELETE_SERVER_SECRET",
    mutates: true,
    summary: "Deletes a server's secret.",
    returns: "`{serverId, name, deleted: true}`",
    input: z.strictObject({ serverId, name }),
    async run({ db }, data) {
      if ((await deleteRecords(db, { serverId: data.serverId, userId: null }, data.name)) === 0) {
        throw new AppError("NOT_FOUND", `Server "${data.serverId}" has no secret "${data.name}"`);
      }
      await forgetCatalogs(db, data.serverId);
      return { serverId: data.serverId, name: data.name, deleted: true };
    },
  }),
  defineAction({
    code: 2103,
    name: "LIST_SERVER_SECRETS",
    summary: "Lists a server's secret names and when each changed; never values.",
    returns: "`{serverId, secrets: [{name, updatedAt}]}`",
    input: z.strictObject({ serverId }),
    async run({ db }, data) {
      await requireServer(db, data.serverId);
      return { serverId: data.serverId, secrets: await listRecordNames(db, { serverId: data.serverId, userId: null }) };
    },
  }),
  defineAction({
    code: 2104,
    name: "ROTATE_VAULT_KEY",
    mutates: "in-batches",
    summary:
      "Re-encrypts every secret, user value and server configuration under the newest key of VAULT_KEYS, in batches that each commit (and are audited) on their own. Repeat while `remaining` > 0; then the old key can leave the ring.",
    returns: "`{activeKeyId, reencrypted, remaining}`",
    input: z.strictObject({
      batchSize: z.number().int().min(1).max(1000).default(200).describe("Records per transaction"),
    }),
    async run({ db, vault, auditedTransaction }, data) {
      return rotateVault(db, await vault(), {
        batchSize: data.batchSize,
        deadline: Date.now() + ROTATION_BUDGET_MS,
        transaction: auditedTransaction,
      });
    },
  }),
];
