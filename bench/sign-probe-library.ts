/**
 * Cold-start probe of webhook signing with the `standardwebhooks` library: the floor (a
 * DynamoDBClient, as in floor-handler.ts) plus one signature over an event-sized body, as the
 * webhook dispatcher signs. Bundled and run like the real functions (bench/cold-start.ts).
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { Webhook } from "standardwebhooks";

const client = new DynamoDBClient({});
const SECRET = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;
const BODY = JSON.stringify({
  id: "evt_01JD3Q8ZK5N4W6T9X2C7B1M0AF",
  type: "username.updated",
  data: { x: "y".repeat(250) },
});

export const handler = async () => ({
  statusCode: 200,
  headers: { "content-type": "application/json" },
  body: JSON.stringify({
    region: typeof client.config.region,
    signature: new Webhook(SECRET).sign("evt_01JD3Q8ZK5N4W6T9X2C7B1M0AF", new Date(), BODY).length,
  }),
});
