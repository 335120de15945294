import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli/run.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const FIXTURES = join(REPO, 'test/fixtures/cli');
export const EXAMPLE = 'examples/shop/db/migrations';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function collector(): { stream: Writable & { isTTY: false }; text: () => string } {
  const chunks: string[] = [];
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer | string, _encoding, callback) {
        chunks.push(chunk.toString());
        callback();
      },
    }),
    { isTTY: false as const },
  );
  return { stream, text: () => chunks.join('') };
}

/** The environment a CLI run sees: no Claude key (so no network), nothing from the user's shell that changes a review. */
export function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.ANTHROPIC_API_KEY;
  delete env.PGPRO_SANDBOX_URL;
  delete env.NO_COLOR;
  return env;
}

/** `pgpro …` in-process, capturing stdout and stderr; `stdin` is what `-` reads. */
export async function cli(argv: string[], env: NodeJS.ProcessEnv = cliEnv(), stdin?: string): Promise<CliRun> {
  const stdout = collector();
  const stderr = collector();
  const io = { stdout: stdout.stream, stderr: stderr.stream as unknown as NodeJS.WriteStream, env };
  const code = await runCli(argv, stdin === undefined ? io : { ...io, stdin: Readable.from([Buffer.from(stdin)]) });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** A fresh temp directory holding `files` (paths relative to it). */
export async function tempTree(files: Record<string, string>, prefix = 'pgpro-cli-'): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}
