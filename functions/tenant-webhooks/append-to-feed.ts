import { appenderHandler } from "../core/tenant-webhooks/appender-handler.ts";

/** On the FIFO feed queue: each tenant's new events into its change feed, then to the delivery queue. */
export const handler = appenderHandler;
