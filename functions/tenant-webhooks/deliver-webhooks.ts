import { dispatcherHandler } from "../core/tenant-webhooks/dispatcher-handler.ts";

/** On the delivery queue: signed webhook attempts to tenant endpoints. */
export const handler = dispatcherHandler;
