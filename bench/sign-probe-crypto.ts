/**
 * Cold-start probe of webhook signing with node:crypto: the same signature as
 * sign-probe-library.ts (Standard Webhooks' `v1,` + base64 HMAC-SHA256), without the library,
 * so the two side by side give the library's own cost.
 */
import { createHmac } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";

const client = new DynamoDBClient({});
const KEY = Buffer.alloc(32, 7);
const BODY = JSON.stringify({
  id: "evt_01JD3Q8ZK5N4W6T9X2C7B1M0AF",
  type: "username.updated",
  data: { x: "y".repeat(250) },
});

export const handler = async () => {
  const timestamp = Math.floor(Date.now() / 1000);
  const mac = createHmac("sha256", KEY)
    .update(`evt_01JD3Q8ZK5N4W6T9X2C7B1M0AF.${timestamp}.${BODY}`)
    .digest("base64");
  return {
    statusCode: 200,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ region: typeof client.config.region, signature: `v1,${mac}`.length }),
  };
};
