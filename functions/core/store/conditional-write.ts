/**
 * A conditional write whose failed condition is an answer, not an error: resolves true when the
 * write happened, false when its condition did not hold (ConditionalCheckFailedException); any
 * other error is thrown on.
 */
export async function conditionalWrite(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if ((error as Error).name === "ConditionalCheckFailedException") return false;
    throw error;
  }
}
