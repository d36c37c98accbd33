/** A problem the user can fix, reported as one line without a stack trace. */
export class UsageError extends Error {}
