/**
 * An error a person can act on: a bad option, config or name, a store that cannot be read, a
 * sandbox already running. The CLI prints its message as one line and exits 3 (unknown, cannot
 * run), never a stack trace; any other error is a bug and keeps its stack.
 */
export class OperatorError extends Error {}
