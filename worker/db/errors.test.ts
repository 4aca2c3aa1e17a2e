import { DrizzleQueryError } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { errorText } from "./errors.ts";

describe("errorText", () => {
  it("keeps a failed query's parameters out of the text, which may be personal data or sealed values", () => {
    const failed = new DrizzleQueryError("insert into users (name) values ($1)", ["canary-name-4f1d"], new Error("duplicate key value"));
    expect(failed.message).toContain("canary-name-4f1d");
    expect(errorText(failed)).toBe("duplicate key value");
    expect(errorText(new DrizzleQueryError("select 1", ["canary"]))).toBe("database query failed");
  });

  it("passes other errors' messages through", () => {
    expect(errorText(new Error("connect ECONNREFUSED"))).toBe("connect ECONNREFUSED");
    expect(errorText("plain")).toBe("plain");
  });
});
