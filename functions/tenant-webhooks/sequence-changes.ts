import { sequencerHandler } from "../core/tenant-webhooks/sequencer-handler.ts";

/** On the table's stream: new history items as events onto the FIFO feed queue, one message group per tenant. */
export const handler = sequencerHandler;
