/**
 * Stands in for `ipaddr.js` in the cold-start benchmark's "WebhookDispatcher without ipaddr.js"
 * bundle (bench/cold-start.ts): the exports functions/core/tenant-webhooks/outbound-address.ts
 * uses at load time, doing nothing, so the difference to the real bundle is the library's own
 * cost (its import and the one CIDR parsed when the module loads). Never called on a path the
 * benchmark's first invocation takes.
 */
const refuse = () => {
  throw new Error("ipaddr.js stub: not for attempts");
};

export default {
  parseCIDR: () => [undefined, 0],
  isValid: () => false,
  parse: refuse,
};
