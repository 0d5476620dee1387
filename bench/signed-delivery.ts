import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { signWebhookBody } from "../meta-sandbox/index.ts";
import { apiEvent } from "../test/support/lambda.ts";

/** A webhook POST as API Gateway hands it over: `body` signed with `appSecret`, as Meta signs it. */
export function signedDeliveryEvent(
  routePath: string,
  body: string,
  appSecret: string,
): APIGatewayProxyEventV2 {
  return apiEvent({
    method: "POST",
    routePath,
    headers: { "content-type": "application/json", "x-hub-signature-256": signWebhookBody(body, appSecret) },
    body,
  });
}
