import { z } from "zod";
import type { ChildSpec } from "./child.ts";

const bridgeEnv = z.object({
  BRIDGE_COMMAND: z.string().min(1).describe("The stdio server's executable, e.g. npx or uvx"),
  BRIDGE_ARGS: z.string().default("[]").describe("Its arguments, as a JSON array of strings"),
  BRIDGE_SERVER_ENV: z.string().default("{}").describe("Its own environment, as a JSON object of strings (resolved secrets included)"),
  BRIDGE_PORT: z.coerce.number().int().min(1).max(65535).default(8080).describe("Port of the bridge's HTTP endpoint"),
  BRIDGE_HOST: z.string().default("0.0.0.0").describe("Address to listen on: all interfaces in a container, loopback under npm run dev"),
});

export interface BridgeConfig {
  spec: ChildSpec;
  port: number;
  host: string;
}

/** The bridge is configured entirely through its environment: the Container's envVars, or the dev supervisor's. */
export function bridgeConfig(env: NodeJS.ProcessEnv): BridgeConfig {
  const parsed = bridgeEnv.parse(env);
  const args = z.array(z.string()).describe("arguments").parse(JSON.parse(parsed.BRIDGE_ARGS));
  const serverEnv = z.record(z.string(), z.string()).describe("server environment").parse(JSON.parse(parsed.BRIDGE_SERVER_ENV));
  return { spec: { command: parsed.BRIDGE_COMMAND, args, env: serverEnv }, port: parsed.BRIDGE_PORT, host: parsed.BRIDGE_HOST };
}
