/** The service's name in every log line (`service`) and every metric (the `service` dimension). */
export const SERVICE_NAME = "whatsapp-usernames";
