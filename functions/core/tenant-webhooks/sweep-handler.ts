/** The retry sweep's Lambda handler, on a schedule (a timer under `npm start` and in tests). */
import type { Context } from "aws-lambda";
import { logger } from "../logger.ts";
import { sweepDueDeliveries } from "./retry-sweep.ts";

export async function sweepHandler(_event: unknown, context?: Context) {
  if (context) logger.addContext(context);
  const swept = await sweepDueDeliveries();
  if (swept.due > 0) logger.info("due webhook deliveries queued", { ...swept });
  return swept;
}
