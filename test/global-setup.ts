// Runs once in Node before any test: one migrated database, fresh secrets and a Neon WebSocket relay.
import { randomBytes } from "node:crypto";
import type { TestProject } from "vitest/node";
import { type DevSecrets, generateSecrets } from "../scripts/lib/dev-vars.ts";
import { startClientMetadataServer } from "./support/client-metadata-server.ts";
import { startEverythingServer, startFixtureServer, stopServer } from "./support/downstream-servers.ts";
import { hyperdriveLocalUrl } from "../scripts/lib/hyperdrive-local.ts";
import { createTestDatabase } from "./support/test-database.ts";
import { startRefusingPostgres } from "./support/refusing-postgres.ts";
import { startWsTcpProxy } from "./support/ws-tcp-proxy.ts";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    databaseKind: "postgres" | "pglite";
    neonWsProxy: string;
    /** host:port of a Postgres that refuses every connection with the SQLSTATE named as its database. */
    refusingDatabase: string;
    secrets: DevSecrets;
    /** The Worker's VAULT_KEYS entries: the first is active. */
    vaultKeys: { id: string; key: string }[];
    /** Downstream MCP servers on loopback: the reference server and fixtures written with the SDK (v1, and v2 for `modern`). */
    downstream: { everything: string; alpha: string; beta: string; mortal: string; modern: string };
    /** Origin of a loopback site publishing OAuth Client ID Metadata Documents. */
    clientMetadataOrigin: string;
  }
}

export default async function setup(project: TestProject) {
  const database = await createTestDatabase();
  const relay = await startWsTcpProxy();
  project.provide("databaseUrl", hyperdriveLocalUrl(database.url));
  project.provide("databaseKind", database.kind);
  project.provide("neonWsProxy", relay.hostPort);
  const refusing = await startRefusingPostgres();
  project.provide("refusingDatabase", refusing.hostPort);
  // The ring holds a second key from the start, so the rotation test can move every record to it and
  // back while other test files keep decrypting: the Worker's ring always contains both.
  const secrets = await generateSecrets();
  const keys = [
    { id: "test-a", key: randomBytes(32).toString("base64") },
    { id: "test-b", key: randomBytes(32).toString("base64") },
  ];
  project.provide("secrets", { ...secrets, VAULT_KEYS: JSON.stringify(keys) });
  project.provide("vaultKeys", keys);
  const servers = {
    everything: await startEverythingServer(),
    alpha: await startFixtureServer("alpha"),
    beta: await startFixtureServer("beta"),
    mortal: await startFixtureServer("mortal"),
    // A server that speaks only 2026-07-28, written with the SDK v2 server.
    modern: await startFixtureServer("modern", "fixture-2026-server.ts"),
  };
  project.provide("downstream", {
    everything: servers.everything.url,
    alpha: servers.alpha.url,
    beta: servers.beta.url,
    mortal: servers.mortal.url,
    modern: servers.modern.url,
  });
  const metadataServer = await startClientMetadataServer();
  project.provide("clientMetadataOrigin", metadataServer.origin);
  return async () => {
    await metadataServer.close();
    for (const server of Object.values(servers)) stopServer(server);
    await relay.stop();
    await refusing.stop();
    await database.drop();
  };
}
