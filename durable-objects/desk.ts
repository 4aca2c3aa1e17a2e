import { DurableObject } from "cloudflare:workers";
import type { AppEnv } from "../worker/env.ts";

/**
 * One instance per user for Peta Desk's channel (capability updates, approval requests, notifications).
 * Declared now so its SQLite migration ships with the first deploy; the Desk issue gives it its behaviour.
 */
export class Desk extends DurableObject<AppEnv> {}
