/**
 * DynamoDB faults the emulator cannot produce (unavailability, throttling), injected with an SDK
 * middleware on a client that otherwise talks to the real DynamoDB Local.
 */
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { localClient } from "../../dev/dynamodb-local.ts";
import { setDynamoClient } from "../../functions/core/store/client.ts";

export type FaultRule = (commandName: string, callNumber: number) => Error | undefined;

export function storageError(name: string, message = "injected storage fault"): Error {
  return Object.assign(new Error(message), { name, $fault: "server", $metadata: {} });
}

/** Installs a client whose calls pass through `rule`; returns a restore function. */
export function injectStorageFaults(rule: FaultRule, maxAttempts = 1): () => void {
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error("DYNAMODB_ENDPOINT is not set: call useTestTable() first");
  const base = localClient(endpoint);
  base.config.maxAttempts = async () => maxAttempts;
  const client = DynamoDBDocumentClient.from(base, { marshallOptions: { removeUndefinedValues: true } });
  const calls = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName);
      const count = (calls.get(name) ?? 0) + 1;
      calls.set(name, count);
      const error = rule(name, count);
      if (error) throw error;
      return next(args);
    },
    { step: "initialize", name: "injectStorageFaults" },
  );
  setDynamoClient(client);
  return () => {
    setDynamoClient(undefined);
    client.destroy();
  };
}
