import { z } from "zod";
import { RULE_EFFECTS } from "../db/schema.ts";
import { CEL_LIMITS, isTimeZone } from "./cel.ts";

const glob = z.string().min(1).max(256);

export const ruleSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "must be 1-64 characters of A-Z, a-z, 0-9, _ . -").describe("Unique within the set; decisions and audit records name it"),
  priority: z.number().int().min(-1_000_000).max(1_000_000).default(0).describe("Higher is evaluated first; the first matching rule decides"),
  match: z
    .strictObject({
      server: glob.optional().describe("serverId glob (* and ?); default *"),
      tool: glob.optional().describe("Tool or prompt name, or resource URI, glob (* and ?); default *"),
    })
    .default({})
    .describe("Which items the rule is about"),
  when: z
    .string()
    .max(CEL_LIMITS.expressionLength)
    .optional()
    .describe("CEL condition over user, client, server, tool, kind, args, ip, now; helpers hour(now), weekday(now), inCidr(ip, cidr). Omitted: always"),
  effect: z.enum(RULE_EFFECTS).describe("allow, deny or require_approval"),
  reason: z.string().max(500).optional().describe("Shown to the caller and recorded in the audit trail"),
  approvers: z
    .array(z.string().min(1).max(200))
    .min(1)
    .max(32)
    .optional()
    .describe("require_approval only: roles, user ids, or \"self\""),
  ttlSeconds: z.number().int().min(1).max(7 * 86_400).optional().describe("require_approval only: how long the approval request stays open"),
  rateLimitPerMinute: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .optional()
    .describe("allow or require_approval only: calls per minute per user, server and tool (or prompt, or URI) that this rule lets through"),
});

export const rulesSchema = z
  .array(ruleSchema)
  .max(500)
  .superRefine((rules, ctx) => {
    const seen = new Set<string>();
    rules.forEach((rule, index) => {
      if (seen.has(rule.id)) ctx.addIssue({ code: "custom", path: [index, "id"], message: `duplicate rule id "${rule.id}"` });
      seen.add(rule.id);
      if (rule.effect !== "require_approval" && (rule.approvers !== undefined || rule.ttlSeconds !== undefined)) {
        ctx.addIssue({ code: "custom", path: [index, "effect"], message: `rule "${rule.id}": approvers and ttlSeconds need effect require_approval` });
      }
      if (rule.effect === "deny" && rule.rateLimitPerMinute !== undefined) {
        ctx.addIssue({ code: "custom", path: [index, "rateLimitPerMinute"], message: `rule "${rule.id}": a deny rule lets nothing through to limit` });
      }
    });
  })
  .describe("The rules, in any order: priority orders them");

export const timeZoneSchema = z
  .string()
  .max(64)
  .refine(isTimeZone, "is not an IANA time zone")
  .describe("IANA time zone of hour(now) and weekday(now), e.g. Europe/Paris");
