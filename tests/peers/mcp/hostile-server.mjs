// A server that does what an untrusted MCP server may do, for tests/it/mcp_client.rs: lists a
// tool whose name no LLM API accepts, answers with a 20 MiB line (`flood`), a 2 MiB text
// (`big`), a line that is not JSON-RPC before its answer (`noise`), and tells which
// environment variables it was given (`env`).
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";

const none = { type: "object", properties: {} };
const text = (t) => ({ content: [{ type: "text", text: t }] });
const server = new Server({ name: "hostile", version: "1.0.0" }, { capabilities: { tools: {} } });
server.setRequestHandler(ListToolsRequestSchema, async () => ({
  tools: [
    { name: "flood", description: "A 20 MiB answer", inputSchema: none },
    { name: "big", description: "A 2 MiB answer", inputSchema: none },
    { name: "noise", description: "Noise on stdout, then an answer", inputSchema: none },
    { name: "env", description: "The names of its environment variables", inputSchema: none },
    { name: "a-tool-whose-name-is-far-too-long-for-any-llm-api-to-take", inputSchema: none },
  ],
}));
server.setRequestHandler(CallToolRequestSchema, async (req) => {
  switch (req.params.name) {
    case "flood":
      return text("x".repeat(20 * 1024 * 1024));
    case "big":
      return text("y".repeat(2 * 1024 * 1024));
    case "noise":
      process.stdout.write("this line is not JSON-RPC\n");
      return text("fine");
    case "env":
      return text(Object.keys(process.env).sort().join(","));
    default:
      return text("long");
  }
});
await server.connect(new StdioServerTransport());
