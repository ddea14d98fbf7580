// A small MCP server on the official TypeScript SDK, for the fault tests of
// tests/it/mcp_client.rs: the input schema of `greet` follows ./variant.txt in its working
// directory ("1": {name}; "2": {name, shout}), `crash` exits the process, `hang` never
// answers.
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { readFileSync } from "node:fs";

const variant = () => {
  try {
    return readFileSync("variant.txt", "utf8").trim();
  } catch {
    return "1";
  }
};
const object = (properties, required = []) => ({ type: "object", properties, required });
const server = new Server({ name: "changing", version: "1.0.0" }, { capabilities: { tools: {} } });
server.setRequestHandler(ListToolsRequestSchema, async () => ({
  tools: [
    {
      name: "greet",
      description: "Greets someone",
      inputSchema:
        variant() === "2"
          ? object({ name: { type: "string" }, shout: { type: "boolean" } }, ["name"])
          : object({ name: { type: "string" } }, ["name"]),
    },
    { name: "crash", description: "Exits the server", inputSchema: object({}) },
    { name: "hang", description: "Never answers", inputSchema: object({}) },
  ],
}));
server.setRequestHandler(CallToolRequestSchema, async (req) => {
  switch (req.params.name) {
    case "greet":
      return { content: [{ type: "text", text: `Hello, ${req.params.arguments?.name}!` }] };
    case "crash":
      process.stderr.write("crashing on purpose\n");
      process.exit(7);
    case "hang":
      return new Promise(() => {});
    default:
      return { content: [{ type: "text", text: `no tool ${req.params.name}` }], isError: true };
  }
});
await server.connect(new StdioServerTransport());
