/**
 * A password or ACL file that cannot be used. The message always names the source and line so an
 * operator can fix a start-up or reload failure without guessing.
 */
export class AuthFileError extends Error {
  /** Stable code for programmatic handling. */
  readonly code = 'AUTH_FILE_INVALID';
  /** 1-based line number of the offending line. */
  readonly line: number;
  /** File name or other label the text came from. */
  readonly source: string;

  constructor(source: string, line: number, reason: string) {
    super(`${source}:${line}: ${reason}`);
    this.name = 'AuthFileError';
    this.line = line;
    this.source = source;
  }
}
