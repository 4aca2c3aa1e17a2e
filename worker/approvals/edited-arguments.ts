import { type Schema, Validator } from "@cfworker/json-schema";
import { AppError } from "../http/errors.ts";

/** How many schema errors a refusal lists: enough to fix the input, not a dump. */
const MAX_LISTED_ERRORS = 5;

/**
 * Edited arguments must be what the tool accepts: they are checked against the inputSchema the tool
 * listed when the call was held. A tool listed without one accepts any object.
 */
export function assertArgumentsMatchSchema(args: Record<string, unknown>, inputSchema: Record<string, unknown> | null): void {
  if (!inputSchema) return;
  const result = new Validator(inputSchema as Schema, "2020-12", false).validate(args);
  if (result.valid) return;
  const errors = result.errors
    // The validator reports each failure and then every enclosing keyword that failed because of it.
    .filter((error) => error.keyword !== "properties" && error.keyword !== "allOf")
    .slice(0, MAX_LISTED_ERRORS)
    .map((error) => `${error.instanceLocation.replace(/^#/, "") || "/"}: ${error.error}`);
  throw new AppError("VALIDATION_FAILED", `Invalid input: data.arguments do not match the tool's inputSchema: ${errors.join("; ")}`);
}
