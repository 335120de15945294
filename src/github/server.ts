// `npm start`, the Docker image's command: the App's server (serve.ts). The App's packages are optional peers
// of pgpro; without them this says what to install and exits 2, instead of a module-resolution trace.
import { AppStackMissingError, loadAppModule } from '../app-stack.js';

try {
  await loadAppModule('The pgpro GitHub App', () => import('./serve.js'));
} catch (error) {
  if (!(error instanceof AppStackMissingError)) throw error;
  process.stderr.write(`pgpro: ${error.message}\n`);
  process.exitCode = 2;
}
