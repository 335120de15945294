// The GitHub App's server stack (Probot, BullMQ and Redis, prom-client, Bottleneck) is an optional peer of the pgpro
// package: the CLI and the library install without it. What runs the App loads it lazily and, when it is
// missing, says what to install instead of a module-resolution stack trace.

/** The packages the App and `pgpro worker` need beyond the CLI's (package.json peerDependencies). */
export const APP_PACKAGES = ['probot', 'bullmq', 'ioredis', 'prom-client', 'bottleneck'] as const;

export class AppStackMissingError extends Error {
  override name = 'AppStackMissingError';
}

/** The App package a failed import could not find, if that is why it failed. */
export function missingAppPackage(error: unknown): string | undefined {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (code !== 'ERR_MODULE_NOT_FOUND' || typeof message !== 'string') return undefined;
  // Node: "Cannot find package 'probot' imported from …"
  return APP_PACKAGES.find((name) => message.includes(`Cannot find package '${name}'`));
}

/**
 * Imports a module of the App's side; when one of the App's packages is not installed, fails with an
 * AppStackMissingError naming what to install.
 */
export async function loadAppModule<T>(what: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const missing = missingAppPackage(error);
    if (!missing) throw error;
    throw new AppStackMissingError(
      `${what} needs the GitHub App's packages, which are not installed with pgpro (the CLI and library do not need them): ${missing} is missing. Install them beside pgpro: npm install ${APP_PACKAGES.join(' ')}`,
      { cause: error },
    );
  }
}
