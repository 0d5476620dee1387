/** What the event handlers log of an error: its kind and our message, never an event's contents. */
export function errorFields(error: unknown) {
  return { errorName: (error as Error)?.name, errorMessage: (error as Error)?.message };
}
