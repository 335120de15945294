import { ownPackageJson } from './package-file.js';

/** pgpro's own version, from its package.json. */
export const VERSION: string = (ownPackageJson() as { version: string }).version;
