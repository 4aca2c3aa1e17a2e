import { randomBytes } from "node:crypto";
import { Redactor } from "../../worker/vault/redactor.ts";

export interface LongValueResult {
  valueLength: number;
  replyLength: number;
  scrubs: number;
  msPerScrub: number;
}

export interface RedactorResult {
  secrets: number;
  /** Length of the result's text, the string the redactor scans. */
  textLength: number;
  scrubs: number;
  totalMs: number;
  microsecondsPerScrub: number;
}

/** Distinct results cycled through, so consecutive scrubs never see the same string. */
const POOL = 256;

/**
 * The gateway's result scrubbing alone, in this Node process (V8, as in workerd):
 * a Redactor holding 3 secrets scrubs the echo tool result the gateway rows receive, `scrubs` times,
 * after an unmeasured warm-up. No gateway, network or database noise; no timing is asserted.
 */
export function benchRedactor(scrubs: number): RedactorResult {
  const token = randomBytes(30).toString("base64url"); // 40 characters, like the gateway row's BENCH_TOKEN
  const secrets = {
    BENCH_TOKEN: token,
    API_KEY: `sk_live_${randomBytes(24).toString("hex")}`,
    // Base64 with + / =, so its URL and form encodings differ from the value: more needles to look for.
    DB_PASSWORD: randomBytes(18).toString("base64"),
  };
  const redactor = new Redactor(secrets);
  // What the fixture's echo returns, and so what the gateway scrubs on every vault+scrub call.
  const results = Array.from({ length: POOL }, (_, i) => ({ content: [{ type: "text", text: `bench: bench ${100_000 + i}` }] }));

  // A redactor that let a secret through would make its timing meaningless.
  const leaked = redactor.scrub({ content: [{ type: "text", text: `bench: ${token}` }] }).content[0]?.text;
  if (leaked !== "bench: [REDACTED:BENCH_TOKEN]") throw new Error(`the redactor did not redact: ${leaked}`);

  // Every scrub's output is read, so none can be optimized away.
  let checksum = 0;
  const scrubAll = (count: number) => {
    for (let i = 0; i < count; i++) checksum += redactor.scrub(results[i % POOL]!).content[0]!.text.length;
  };
  scrubAll(Math.min(scrubs, 10_000));
  const started = performance.now();
  scrubAll(scrubs);
  const totalMs = performance.now() - started;
  if (checksum === 0) throw new Error("the redactor returned empty results");

  return {
    secrets: Object.keys(secrets).length,
    textLength: results[0]!.content[0]!.text.length,
    scrubs,
    totalMs,
    microsecondsPerScrub: (totalMs * 1000) / scrubs,
  };
}

/**
 * The case that took 17-18 s per reply while scrubbing was a regex: a 12,000-character value of one
 * repeated character and a 900 KB reply of that character, so a match starts at each of ~888,000
 * positions and anything that compares or copies the value per match does 12,000 steps at each.
 */
export function benchLongValue(scrubs: number): LongValueResult {
  const value = "a".repeat(12_000);
  const redactor = new Redactor({ LONG: value });
  const reply = { content: [{ type: "text", text: `x${"a".repeat(900_000)}` }] };
  let text = "";
  const started = performance.now();
  for (let i = 0; i < scrubs; i++) text = redactor.scrub(reply).content[0]!.text;
  const totalMs = performance.now() - started;
  if (text !== "x[REDACTED:LONG]") throw new Error("the redactor did not redact the long value");
  return { valueLength: value.length, replyLength: reply.content[0]!.text.length, scrubs, msPerScrub: totalMs / scrubs };
}
