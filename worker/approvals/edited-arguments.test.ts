import { describe, expect, it } from "vitest";
import { AppError } from "../http/errors.ts";
import { assertArgumentsMatchSchema } from "./edited-arguments.ts";

const schema = { type: "object", properties: { text: { type: "string" }, count: { type: "integer", minimum: 1 } }, required: ["text"] };

describe("edited arguments", () => {
  it("accepts arguments the tool's inputSchema accepts, and anything without a schema", () => {
    expect(() => assertArgumentsMatchSchema({ text: "hi", count: 2 }, schema)).not.toThrow();
    expect(() => assertArgumentsMatchSchema({ anything: true }, null)).not.toThrow();
  });

  it("refuses the others with a 400 naming each failing place", () => {
    let error: unknown;
    try {
      assertArgumentsMatchSchema({ count: 0 }, schema);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).status).toBe(400);
    expect((error as AppError).message).toContain("inputSchema");
    expect((error as AppError).message).toContain("/count");
    expect((error as AppError).message).toContain("text");
  });
});
