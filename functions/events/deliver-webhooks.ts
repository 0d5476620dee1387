import { dispatcherHandler } from "../core/events/dispatcher-handler.ts";

/** On the delivery queue: signed webhook attempts to tenant endpoints. */
export const handler = dispatcherHandler;
