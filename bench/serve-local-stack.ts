/**
 * The local stack (`npm start`'s, dev/local-stack.ts) in its own process for the gateway
 * throughput benchmark, so the load generator does not share the server's event loop.
 * Configured by the parent through the environment; prints one JSON line when ready
 * ({ url, apiKey, phoneNumberId }) and stops on SIGTERM.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalStack } from "../dev/local-stack.ts";

const dataDir = await mkdtemp(join(tmpdir(), "wau-bench-stack-"));
const stack = await startLocalStack({
  dataDir,
  print: (line) => process.stderr.write(`${line}\n`),
  gatewayLog: false,
  seed: true,
});
const phone = stack.seeded?.phones[0];
if (!stack.seeded || !phone)
  throw new Error("the local stack did not seed its demo tenant (store not empty?)");
process.stdout.write(
  `${JSON.stringify({ url: stack.url, apiKey: stack.seeded.apiKey, phoneNumberId: phone.phoneNumberId })}\n`,
);
process.once("SIGTERM", async () => {
  await stack.stop();
  await rm(dataDir, { recursive: true, force: true });
  process.exit(0);
});
