/**
 * An error of the HTTP layer itself (a missing or wrong bearer token, a query parameter the schema
 * cannot check), answered with this status. The game's own errors are DomainErrors, with a code.
 */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}
