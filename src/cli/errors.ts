// How a command that could not run says so: known errors (bad config, arguments, git, files, an
// unreachable sandbox) by their message; anything else as an internal error, its stack with PGPRO_DEBUG.
import { EXIT_CANNOT_RUN, type CliIo } from './io.js';

const KNOWN = new Set(['ConfigError', 'UsageError', 'GitError', 'SandboxUnavailableError']);

export function reportFailure(io: CliIo, error: unknown): number {
  if (error instanceof Error && (KNOWN.has(error.name) || isFileError(error))) {
    io.stderr.write(`pgpro: ${error.message}\n`);
  } else {
    io.stderr.write(`pgpro could not run: ${error instanceof Error ? error.message : String(error)}\n`);
    if (io.env.PGPRO_DEBUG && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
  }
  return EXIT_CANNOT_RUN;
}

function isFileError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && ['ENOENT', 'EACCES', 'EISDIR', 'ENOTDIR'].includes(code);
}
