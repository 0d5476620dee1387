/**
 * Runs the Meta sandbox on its own: `node meta-sandbox/main.ts` (PORT, default 4000;
 * PORT=0 picks a free port). Local `npm start` points the proxy's upstream at it.
 */
import { startMetaSandbox } from "./server.ts";

const port = Number(process.env.PORT ?? 4000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`meta sandbox: PORT must be a port number, got ${process.env.PORT}`);
  process.exit(1);
}

const sandbox = await startMetaSandbox({ port });
console.log(`meta sandbox: ${sandbox.url}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    // exit explicitly: fetch's connection pool (webhook deliveries) may keep the loop alive
    void sandbox.close().then(() => process.exit(0));
  });
}
