/**
 * Cold-start probe of address classification with `ipaddr.js` on top of the floor: one address
 * parsed and classified as a webhook attempt does (outbound-address.ts), so the probe beside the
 * floor gives the library's whole cost, import and first use.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import ipaddr from "ipaddr.js";

const client = new DynamoDBClient({});
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR("2000::/3");

export const handler = async () => {
  const v4 = ipaddr.parse("93.184.216.34");
  const v6 = ipaddr.parse("2606:4700:4700::1111") as ipaddr.IPv6;
  return {
    statusCode: 200,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      region: typeof client.config.region,
      allowed: v4.range() === "unicast" && v6.range() === "unicast" && v6.match(GLOBAL_UNICAST_V6),
    }),
  };
};
