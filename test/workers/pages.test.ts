// The pages' HTML and assets as served: strict CSP on each, nothing inline, the shared components at /ui.
import { describe, expect, it } from "vitest";
import { PAGE_CSP } from "../../worker/pages/headers.ts";
import { request } from "./gateway.ts";

describe("the Console and the shared page components", () => {
  it("serves /console and its assets under the pages' CSP, with no inline script or style", async () => {
    for (const [path, type] of [
      ["/console", "text/html"],
      ["/console/app.js", "text/javascript"],
      ["/ui/ui.js", "text/javascript"],
      ["/ui/ui.css", "text/css"],
      ["/ui/icon.svg", "image/svg+xml"],
      ["/desk", "text/html"],
    ] as const) {
      const response = await request(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get("content-type"), path).toContain(type);
      expect(response.headers.get("content-security-policy"), path).toBe(PAGE_CSP);
      expect(response.headers.get("x-frame-options"), path).toBe("DENY");
      const body = await response.text();
      if (type === "text/html") {
        expect(body).not.toMatch(/<script(?![^>]*\ssrc=)/);
        expect(body).not.toMatch(/<style|\sstyle=|\son[a-z]+=/);
      }
    }
    const html = await (await request("/console")).text();
    expect(html).toContain('<script src="/ui/ui.js" defer></script>');
    expect(html).toContain('<script src="/console/app.js" defer></script>');
    expect((await request("/console")).headers.get("cache-control")).toBe("no-store");
  });
});
