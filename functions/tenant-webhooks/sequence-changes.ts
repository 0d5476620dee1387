import { sequencerHandler } from "../core/tenant-webhooks/sequencer-handler.ts";

/** On the table's stream: new history items into each tenant's change feed, then to the delivery queue. */
export const handler = sequencerHandler;
