/**
 * Cold-start probe of the metrics library: the floor (a DynamoDBClient, as in floor-handler.ts)
 * plus the Powertools metrics instance and one EMF line written, as a failure writes it
 * (functions/core/metrics.ts). Bundled and run like the real functions (bench/cold-start.ts).
 */

import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";

const client = new DynamoDBClient({});
const metrics = new Metrics({ namespace: "WhatsAppUsernames", serviceName: "whatsapp-usernames" });

export const handler = async () => {
  const line = metrics.singleMetric();
  line.addMetadata("phoneNumberId", "106540352242922");
  line.addMetric("UpstreamUnavailable", MetricUnit.Count, 1);
  return {
    statusCode: 200,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ region: typeof client.config.region }),
  };
};
