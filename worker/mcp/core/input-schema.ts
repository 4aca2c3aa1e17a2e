import { type OutputUnit, type Schema, Validator } from "@cfworker/json-schema";

/** How many schema errors are listed: enough to fix the input, not a dump. */
const MAX_LISTED_ERRORS = 5;
/** The validator reports each failure and then every enclosing keyword that failed because of it. */
const ENCLOSING = new Set(["properties", "allOf", "additionalProperties"]);
/** One validator per schema object, so a catalog entry's schema is prepared once, however many calls use it. */
const validators = new WeakMap<object, Validator>();

/**
 * What is wrong with `args` for a tool's inputSchema, one phrase per failing place (a JSON pointer);
 * empty when nothing is. A tool listed without a schema accepts any object; absent arguments are an
 * empty object, as the MCP spec has them.
 */
export function inputSchemaErrors(args: unknown, inputSchema: Record<string, unknown> | null | undefined): string[] {
  if (!inputSchema) return [];
  let validator = validators.get(inputSchema);
  if (!validator) {
    validator = new Validator(inputSchema as Schema, "2020-12", false);
    validators.set(inputSchema, validator);
  }
  const result = validator.validate(args ?? {});
  if (result.valid) return [];
  return result.errors
    .filter((error) => !ENCLOSING.has(error.keyword))
    .slice(0, MAX_LISTED_ERRORS)
    .map(describe);
}

function describe(error: OutputUnit): string {
  const at = error.instanceLocation.replace(/^#/, "");
  if (error.keyword === "required") {
    const missing = /"(.*)"/.exec(error.error)?.[1];
    if (missing !== undefined) return `argument ${at}/${missing} is required`;
  }
  // additionalProperties: false, reported on the property it refuses.
  if (error.keyword === "false") return `argument ${at} is not one the tool accepts`;
  return `${at ? `argument ${at}` : "arguments"}: ${error.error}`;
}
