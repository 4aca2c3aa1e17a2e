import { AppError } from "../http/errors.ts";
import { inputSchemaErrors } from "../mcp/core/input-schema.ts";

/**
 * Edited arguments must be what the tool accepts: they are checked against the inputSchema the tool
 * listed when the call was held. A tool listed without one accepts any object.
 */
export function assertArgumentsMatchSchema(args: Record<string, unknown>, inputSchema: Record<string, unknown> | null): void {
  const errors = inputSchemaErrors(args, inputSchema);
  if (errors.length === 0) return;
  throw new AppError("VALIDATION_FAILED", `Invalid input: data.arguments do not match the tool's inputSchema: ${errors.join("; ")}`);
}
