// The deployment examples (docs/deploy/) stay in step with the code: they parse, run the commands the image
// has, and set only environment variables pgpro reads.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const at = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const read = (path: string) => readFileSync(at(path), 'utf8');

/** Every environment variable the sources read as env.X or env['X'] (process.env or an injected env). */
function variablesRead(): Set<string> {
  const sources = ['src/cli/worker.ts', 'src/github/app.ts', 'src/github/metrics.ts', 'src/github/queue-bullmq.ts', 'src/github/server.ts', 'src/github/serve.ts', 'src/github/shutdown.ts', 'src/github/octokit.ts', 'src/sandbox/cluster.ts', 'src/cache-dir.ts', 'src/github/rule-pages.ts', 'src/agent/review.ts'];
  const names = new Set<string>();
  for (const file of sources) {
    for (const m of read(file).matchAll(/\benv\.([A-Z][A-Z0-9_]+)|\benv\[['"]([A-Z][A-Z0-9_]+)['"]\]/g)) names.add((m[1] ?? m[2])!);
  }
  // Read by Probot itself (credentials, server) and by the Anthropic SDK.
  for (const name of ['APP_ID', 'PRIVATE_KEY', 'WEBHOOK_SECRET', 'PORT', 'ANTHROPIC_API_KEY']) names.add(name);
  return names;
}

describe('docs/deploy', () => {
  const known = variablesRead();

  it('docker-compose.yml: Redis, the server and the workers, on variables pgpro reads', () => {
    const compose = parse(read('docs/deploy/docker-compose.yml'), { merge: true }) as {
      services: Record<string, { command?: string[]; environment?: Record<string, string>; image?: string }>;
    };
    expect(Object.keys(compose.services)).toEqual(['redis', 'server', 'worker']);
    expect(compose.services.worker!.command).toEqual(['node', 'dist/cli/main.js', 'worker']);
    for (const name of ['server', 'worker']) {
      const env = compose.services[name]!.environment!;
      expect(env.REDIS_URL).toBe('redis://redis:6379');
      expect(Object.keys(env).filter((key) => !known.has(key))).toEqual([]);
    }
    expect(compose.services.worker!.environment!.PGPRO_METRICS_PORT).toBe(compose.services.worker!.environment!.PORT);
  });

  it('kubernetes.yaml: the same three, with probes on the ports that serve /healthz', () => {
    const docs = parseAllDocuments(read('docs/deploy/kubernetes.yaml')).map((d) => d.toJS() as { kind: string; metadata: { name: string }; spec: any });
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual([
      'Deployment/pgpro-redis',
      'Service/pgpro-redis',
      'Deployment/pgpro-server',
      'Service/pgpro-server',
      'Deployment/pgpro-worker',
    ]);
    const container = (name: string) => docs.find((d) => d.metadata.name === name)!.spec.template.spec.containers[0];
    expect(container('pgpro-worker').args).toEqual(['node', 'dist/cli/main.js', 'worker']);
    const workerEnv = Object.fromEntries(container('pgpro-worker').env.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(container('pgpro-worker').livenessProbe.httpGet).toEqual({ path: '/healthz', port: Number(workerEnv.PGPRO_METRICS_PORT) });
    for (const name of ['pgpro-server', 'pgpro-worker']) {
      for (const e of container(name).env as { name: string }[]) expect(known.has(e.name), e.name).toBe(true);
    }
  });

  it('the Dockerfile builds the entry points the examples run', () => {
    const dockerfile = read('Dockerfile');
    expect(dockerfile).toContain('CMD ["node", "dist/github/server.js"]');
    expect(dockerfile).toContain('COPY --from=build /app/dist ./dist');
    // `npm run build` in the build stage: every file of the repository its script names is copied first.
    const build = (JSON.parse(read('package.json')) as { scripts: { build: string } }).scripts.build;
    const named = [...build.matchAll(/\b(?:scripts|src)\/[\w./-]+\.ts\b/g)].map((m) => m[0]);
    expect(named).toContain('scripts/bundle-cli.ts');
    const copied = [...dockerfile.matchAll(/^COPY (?!--)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(' '));
    for (const file of named) expect(copied.some((source) => file === source || file.startsWith(`${source}/`)), file).toBe(true);
  });
});
