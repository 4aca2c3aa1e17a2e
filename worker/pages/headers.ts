import type { AppContext } from "../http/context.ts";

/**
 * The gateway's pages load only their own scripts and stylesheets and talk only to their own origin:
 * nothing inline, nothing from elsewhere, so CSP can forbid everything else. A key a person types lives in
 * the script's memory; the pages themselves hold no secret.
 */
export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const PAGE_HEADERS: Record<string, string> = {
  "Content-Security-Policy": PAGE_CSP,
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "X-Content-Type-Options": "nosniff",
};

export type PagePart = "html" | "script" | "style" | "icon";

const CONTENT_TYPES: Record<PagePart, string> = {
  html: "text/html; charset=utf-8",
  script: "text/javascript; charset=utf-8",
  style: "text/css; charset=utf-8",
  icon: "image/svg+xml",
};

/** A page or one of its assets, with the pages' security headers; the HTML is never cached (it may change with a deploy). */
export function pageResponse(c: AppContext, part: PagePart, body: string): Response {
  return c.body(body, 200, { ...PAGE_HEADERS, "Content-Type": CONTENT_TYPES[part], "Cache-Control": part === "html" ? "no-store" : "no-cache" });
}

/**
 * The HTML of a page built on the shared components: /ui/ui.css and /ui/ui.js (window.PetaUI), then the
 * page's own /<path>/app.js (and its own stylesheet, if it has one). `body` is static markup written here, never data.
 */
export function pageShell(page: { path: string; title: string; body: string; stylesheet?: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${page.title}</title>
<link rel="icon" href="/ui/icon.svg">
<link rel="stylesheet" href="/ui/ui.css">
${page.stylesheet ? `<link rel="stylesheet" href="${page.stylesheet}">\n` : ""}<script src="/ui/ui.js" defer></script>
<script src="${page.path}/app.js" defer></script>
</head>
<body>
${page.body}
</body>
</html>
`;
}
