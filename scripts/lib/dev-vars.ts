import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { parseEnv } from "node:util";
import { randomBytes } from "node:crypto";
import { exportJWK, generateKeyPair } from "jose";

export interface DevSecrets {
  OWNER_KEY: string;
  VAULT_KEYS: string;
  JWT_SIGNING_KEY: string;
}

/** Fresh random values for every secret the Worker requires, in the formats docs/deployment.md describes. */
export async function generateSecrets(): Promise<DevSecrets> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: `dev-${randomBytes(4).toString("hex")}`, alg: "ES256" };
  return {
    OWNER_KEY: `ok_${randomBytes(32).toString("base64url")}`,
    VAULT_KEYS: JSON.stringify([{ id: "v1", key: randomBytes(32).toString("base64") }]),
    JWT_SIGNING_KEY: JSON.stringify(jwk),
  };
}

/** Single quotes keep dotenv from touching the JSON inside. */
export function formatDevVars(secrets: DevSecrets): string {
  const lines = Object.entries(secrets).map(([name, value]) => `${name}='${value}'`);
  return `# Written by \`npm run dev\`. Local secrets only; never commit this file.\n${lines.join("\n")}\n`;
}

/** Writes `.dev.vars` if it is missing. Returns the new secrets, or null when the file was already there. */
export async function ensureDevVars(path: string): Promise<DevSecrets | null> {
  if (existsSync(path)) return null;
  const secrets = await generateSecrets();
  writeFileSync(path, formatDevVars(secrets), { mode: 0o600, flag: "wx" });
  return secrets;
}

/** The OWNER_KEY that wrangler will read from `.dev.vars`, which the stdio supervisor's token is derived from. */
export function devOwnerKey(path: string): string {
  const ownerKey = parseEnv(readFileSync(path, "utf8")).OWNER_KEY;
  if (!ownerKey) throw new Error(`${path} has no OWNER_KEY: add one (see .dev.vars.example) or delete the file to have fresh secrets written`);
  return ownerKey;
}
