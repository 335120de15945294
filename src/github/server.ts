// The production server: `probot run` with pgpro's Octokit (timeouts, secondary rate-limit retries).
import { run } from 'probot';
import app from './app.js';
import { pgproOctokit } from './octokit.js';

await run(app, { Octokit: pgproOctokit() });
