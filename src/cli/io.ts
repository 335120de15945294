// What every CLI command gets and returns: its streams and environment, and the exit codes.
import { decodeText } from '../migrations/tree.js';

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

/** The migration `-` reads from stdin, standing at `--stdin-filepath`; undefined without `-`. */
export async function readStdinFile(
  args: { stdinFilepath?: string },
  io: CliIo,
): Promise<{ path: string; text: string } | undefined> {
  if (args.stdinFilepath === undefined) return undefined;
  const chunks: Buffer[] = [];
  if (io.stdin) for await (const chunk of io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return { path: args.stdinFilepath, text: decodeText(Buffer.concat(chunks)) };
}
