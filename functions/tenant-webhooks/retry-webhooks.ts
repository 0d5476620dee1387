import { sweepHandler } from "../core/tenant-webhooks/sweep-handler.ts";

/** On a schedule: due webhook retries back onto the delivery queue. */
export const handler = sweepHandler;
