import { app } from "./app.ts";

export { Desk } from "../durable-objects/desk.ts";
export { McpSession } from "../durable-objects/mcp-session.ts";

export default app;
