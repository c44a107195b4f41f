/** A failure the user can act on: main prints the message alone and exits with `exitCode`. */
export class PluginError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Wrong arguments: exit code 2, as kubectl uses for usage errors. */
export class UsageError extends PluginError {
  constructor(message: string) {
    super(message, 2);
  }
}

/**
 * The API server refused a write made on an older read of the object (409): someone changed it
 * meanwhile, often the operator writing its status. The command reads again and decides again.
 */
export class ConflictError extends PluginError {}
