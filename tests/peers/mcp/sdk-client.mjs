// The official TypeScript SDK's client against `llmos mcp serve` (tests/it/mcp_serve.rs):
// node sdk-client.mjs LLMOS_BINARY WORKSPACE. Lists the tools, calls word_count, imports
// line_stats.llt into the library, waits for notifications/tools/list_changed, lists and
// calls again; prints what it saw as one JSON object.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { execFileSync } from "node:child_process";

const [llmos, root] = process.argv.slice(2);
const transport = new StdioClientTransport({ command: llmos, args: ["mcp", "serve", "--root", root], stderr: "inherit" });
const client = new Client({ name: "llmos-test", version: "1.0.0" });
let changed;
const change = new Promise((resolve) => (changed = resolve));
client.setNotificationHandler(ToolListChangedNotificationSchema, () => changed(true));
await client.connect(transport);

const names = async () => (await client.listTools()).tools.map((t) => t.name).sort();
const report = { before: await names() };
report.call = await client.callTool({ name: "word_count", arguments: { file: "notes.txt" } });
execFileSync(llmos, ["traces", "import", "line_stats.llt", "--root", root], { cwd: root, stdio: "ignore" });
report.changed = await Promise.race([change, new Promise((r) => setTimeout(() => r(false), 20000))]);
report.after = await names();
report.stats = await client.callTool({ name: "line_stats", arguments: { file: "notes.txt" } });
await client.close();
process.stdout.write(JSON.stringify(report) + "\n");
