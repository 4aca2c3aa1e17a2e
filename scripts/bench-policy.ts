// `npm run bench:policy`: what the policy engine costs per call, in this Node process (V8, as in workerd),
// with no gateway, network or database around it: compile once, then decide() and isVisible() in a loop
// over a 50-rule set with CEL conditions. Prints microseconds per call; nothing here asserts a timing.
import { compilePolicy } from "../worker/policy/compile.ts";
import { decide, isVisible } from "../worker/policy/decide.ts";
import type { DecideInput, PolicySnapshot } from "../worker/policy/types.ts";
import { benchPolicyRules } from "./lib/bench-policy-rules.ts";

/** 50 rules; `spread`: each about one of 10 tools (a call meets 5); `all`: every rule about every tool. */
function snapshot(spread: boolean): PolicySnapshot {
  const rules = benchPolicyRules((i) => ({ server: i % 3 === 0 ? "git*" : "*", tool: spread ? `tool_${i % 10}*` : "*" }));
  return {
    user: { id: "u1", role: "user", email: "ann@example.com", attributes: { team: "data" }, status: "active", rateLimitPerMinute: null },
    servers: { github: { enabled: true, publicAccess: true, capabilities: { tool: {}, prompt: {}, resource: {} }, grant: null } },
    narrowings: { "": { github: { tools: { other: false } } } },
    policySets: [{ id: "bench", name: "bench", serverId: null, version: 1, timeZone: "Europe/Paris", rules }],
  };
}

const input: DecideInput = {
  user: { id: "u1", role: "user", email: "ann@example.com", attributes: { team: "data" } },
  client: { name: "claude", version: "1" },
  serverId: "github",
  kind: "tool",
  name: "tool_3_read",
  // No rule matches these arguments, so every matching rule's condition is evaluated: the worst case.
  args: { text: "/home/ann/notes.txt", count: 3, tags: ["dev", "test"] },
  ip: "203.0.113.7",
  now: new Date("2026-12-01T10:00:00Z"),
};

function time(label: string, calls: number, run: () => void): void {
  for (let i = 0; i < calls / 10; i++) run();
  const started = performance.now();
  for (let i = 0; i < calls; i++) run();
  const us = ((performance.now() - started) * 1000) / calls;
  console.log(`${label.padEnd(58)} ${us.toFixed(2).padStart(8)} µs/call`);
}

const calls = process.argv.includes("--quick") ? 2000 : 20_000;
const coldStarted = performance.now();
let compiled = compilePolicy(snapshot(true));
console.log(`${"compilePolicy, 50 rules, first in the isolate (parse + plan)".padEnd(58)} ${((performance.now() - coldStarted) * 1000).toFixed(2).padStart(8)} µs`);
const compileStarted = performance.now();
for (let i = 0; i < 20; i++) compiled = compilePolicy(snapshot(true));
console.log(`${"compilePolicy, same rules again (programs shared)".padEnd(58)} ${(((performance.now() - compileStarted) * 1000) / 20).toFixed(2).padStart(8)} µs/call`);
const decision = decide(compiled, input);
if (decision.effect !== "allow") throw new Error(`the bench call should pass every rule, got ${JSON.stringify(decision)}`);
time("decide, 50 rules, 5 match the tool (all evaluated)", calls, () => decide(compiled, input));
time("isVisible, same set", calls, () => isVisible(compiled, input));
const all = compilePolicy(snapshot(false));
time("decide, 50 rules, all 50 match the tool (all evaluated)", calls, () => decide(all, input));
const none = compilePolicy({ ...snapshot(true), policySets: [] });
time("decide, no rules (layers and danger level only)", calls, () => decide(none, input));
