// What every CLI command gets and returns: its streams and environment, and the exit codes.
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
  /** Where `-` reads a migration from (`--stdin-filepath` names it). */
  stdin?: NodeJS.ReadableStream;
}

export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_CANNOT_RUN = 2;
