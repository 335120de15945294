// The fix proof: a fix is offered as a drop-in replacement only after it was applied in a fresh
// sandbox at the same point, followed by the rest of its file, and re-reviewed. It must parse and
// apply, its hazard must be gone, it must bring no new warning or error, and the schema (and, for a
// statement that writes rows, the data) afterwards must be what the original statement intended.
//
// Each file's starting state (the seeded snapshot plus the new migrations before it) is made once and
// shared; so is the run of the original file every proof in it is compared with. Proofs run in
// parallel, bounded by `concurrency` sandboxes, within a time budget: a proof not finished by then is
// "not verified (budget)".
import { setMaxListeners } from 'node:events';
import type { PgproConfig } from '../config/schema.js';
import { normalizeStatement } from '../finding.js';
import { lintMigrations } from '../rules/lib/lint.js';
import { prepareMigration, SandboxStoppedError, type MigrationRun, type Sandbox, type SnapshotUse } from '../sandbox/index.js';
import { relationOids } from '../sandbox/observe.js';
import { parseMigrationSql } from '../sql/parse.js';
import { mergeHazards } from '../hazards/merge.js';
import { schemaObjects, traceFindings } from '../trace/index.js';
import type { CatalogSnapshot, Finding, FixProof, MigrationFile, ParsedFile, ParsedStatement } from '../types.js';
import { dataDifferences, tableChecksums, writtenData, type TableChecksum, type WrittenData } from './data.js';
import { combinedSuspects, compareFindings, FILE_LEVEL_RULES, ruleIsRechecked, withPolicy, type CombinedPart, type Span } from './findings.js';
import { replaceLines, type Replaced } from './replace.js';
import { intendedDifference, schemaDifferences } from './schema.js';

export interface ProofFile {
  migration: MigrationFile;
  parsed: ParsedFile;
}

/** A candidate replacement for lines `line..endLine` of `file`, fixing the hazard `rule`. */
export interface ProofTarget {
  file: string;
  line: number;
  endLine: number;
  rule: string;
  sql: string;
}

export interface FixProverInput {
  config: PgproConfig;
  /** The new migrations, in the order they apply. */
  files: readonly ProofFile[];
  /** The catalog before the new migrations: what the review's lint and trace read. */
  catalogBefore: CatalogSnapshot;
  /** Snapshot of the sandbox before the first new migration (history and synthetic rows). */
  start: Uint8Array;
  open(tarball: Uint8Array): Promise<Sandbox>;
  /** Sandboxes open at once, each kept and restored between proofs; 1 by default. */
  concurrency?: number;
  /** Sandboxes shared with other provers (of the same engine options); closing the prover leaves them open. */
  pool?: SandboxPool;
  /** The states before each file, shared with the review's other users of them (the rehearsals); made here otherwise. */
  starts?: FileStarts;
  /**
   * The review's own apply of a file from the same state, when it has one (captured by the apply stage
   * right after the file): the reference its fixes are compared with, without running it again.
   */
  applied?: (path: string) => AppliedFile | undefined;
  /**
   * The relations (oids) in `start`: what every traced run of the proof counts as pre-existing, as the
   * review's own apply did. Read from `start` in a sandbox when not given.
   */
  preexisting?: ReadonlySet<number>;
}

/** A new migration as the review applied it: its run, and the schema and rows right after it (only when it applied). */
export interface AppliedFile {
  run: MigrationRun;
  schema?: Map<string, string>;
  /** Rows of `written`'s tables. */
  data?: Map<string, TableChecksum>;
  written: WrittenData;
}

export interface ProveOptions {
  budgetMs: number;
  signal?: AbortSignal;
}

export interface FixProver {
  /** One verdict per target, in order. Never throws. */
  prove(targets: readonly ProofTarget[], options: ProveOptions): Promise<FixProof[]>;
  /**
   * The review of a file as the proof runs it (its lint and trace findings under the config's policy,
   * not merged), from the same run its fixes are compared with. Undefined when it did not finish in time.
   */
  originalFindings(file: string, options: ProveOptions): Promise<Finding[] | undefined>;
  /** Closes the sandboxes kept between proofs. The prover can still prove afterwards (it opens new ones). */
  close(): Promise<void>;
}

const DEFAULT_CONCURRENCY = 1;

interface Failure {
  line: number;
  message: string;
  sqlstate?: string;
}

interface Run {
  failure?: Failure;
  /** Lint and trace findings of the file, merged, under the config's policy. */
  findings: Finding[];
  /** The same before merging: trace rule ids a lint finding absorbed still count as "the original had it". */
  raw: Finding[];
  schema?: Map<string, string>;
  data?: Map<string, TableChecksum>;
}

interface Reference extends Run {
  /**
   * The original failed on the sandbox's rows; its intended schema comes from a run on empty tables,
   * made when a fix of the failing statement needs it.
   */
  emptied?: (signal: AbortSignal) => Promise<Run>;
}

interface Plan {
  target: ProofTarget;
  fileIndex: number;
  replaced: Replaced;
  /** Original lines replaced, widened to the statements they touch. */
  originalSpan: Span;
  migration: MigrationFile;
  parsed: ParsedFile;
  written: WrittenData;
  /** The replaced statements write rows (UPDATE, INSERT, DELETE, DO…). */
  writesRows: boolean;
}

class Stopped extends Error {}

/** A proof that ended without running to the end: the budget ran out or the work was cancelled. */
const BUDGET: FixProof = { verified: false, reason: 'budget', detail: 'the fix proof did not finish within its time budget' };

/** Sandboxes kept between proofs, `size` at most at once (1 by default). */
export function createSandboxPool(size = DEFAULT_CONCURRENCY): SandboxPool {
  return new SandboxPool(Math.max(1, size));
}

export function createFixProver(input: FixProverInput): FixProver {
  return new Prover(input);
}

class Prover implements FixProver {
  private readonly starts: FileStarts;
  private readonly references = new Map<string, Promise<Reference>>();
  private readonly withouts = new Map<string, Promise<Map<string, TableChecksum> | undefined>>();
  private baseline: Promise<ReadonlySet<number>> | undefined;
  private readonly slots: SandboxPool;
  private readonly ownPool: boolean;

  constructor(private readonly input: FixProverInput) {
    this.ownPool = input.pool === undefined;
    this.slots = input.pool ?? createSandboxPool(input.concurrency);
    this.starts = input.starts ?? new FileStarts({ start: input.start, files: input.files, pool: this.slots, open: input.open });
  }

  async prove(targets: readonly ProofTarget[], options: ProveOptions): Promise<FixProof[]> {
    const controller = new AbortController();
    // Every waiting and running piece of work listens for the budget's end.
    setMaxListeners(16 + targets.length * 4, controller.signal);
    const stop = () => controller.abort();
    const timer = setTimeout(stop, Math.max(0, options.budgetMs));
    options.signal?.addEventListener('abort', stop, { once: true });
    if (options.signal?.aborted) stop();
    const stopped = new Promise<FixProof>((resolve) => {
      if (controller.signal.aborted) resolve(BUDGET);
      controller.signal.addEventListener('abort', () => resolve(BUDGET), { once: true });
    });
    try {
      const planned = await Promise.all(targets.map((t) => this.plan(t)));
      const plans = planned.filter((p): p is Plan => !('reason' in p));
      const written = this.writtenPerFile(plans);
      // One proof per distinct fix.
      const keyOf = (plan: Plan) => JSON.stringify([plan.target.file, plan.target.line, plan.target.endLine, plan.target.rule, plan.replaced.replacement]);
      const distinct = new Map<string, Plan>();
      for (const plan of plans) if (!distinct.has(keyOf(plan))) distinct.set(keyOf(plan), plan);
      const verdicts = new Map<Plan, Promise<FixProof>>();
      const byFile = new Map<number, Plan[]>();
      for (const plan of distinct.values()) byFile.set(plan.fileIndex, [...(byFile.get(plan.fileIndex) ?? []), plan]);
      for (const [index, list] of byFile) {
        for (const [plan, verdict] of this.proveFile(index, list, written.get(index)!, controller.signal)) verdicts.set(plan, verdict);
      }
      return await Promise.all(planned.map((plan) => ('reason' in plan ? plan : Promise.race([verdicts.get(distinct.get(keyOf(plan))!)!, stopped]))));
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', stop);
      // Whatever still runs is of no use now: its sandbox is closed by the slot's abort handling.
      controller.abort();
    }
  }

  async originalFindings(file: string, options: ProveOptions): Promise<Finding[] | undefined> {
    const index = this.input.files.findIndex((f) => f.migration.path === file);
    if (index < 0) return undefined;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), Math.max(0, options.budgetMs));
    const stop = () => controller.abort();
    options.signal?.addEventListener('abort', stop, { once: true });
    try {
      const written = writtenData(this.input.files[index]!.parsed.statements);
      return (await this.reference(index, written, controller.signal)).raw;
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', stop);
    }
  }

  close(): Promise<void> {
    return this.ownPool ? this.slots.close() : Promise.resolve();
  }

  /** What can be decided without a sandbox: where the fix goes, whether it parses, whether it changes anything. */
  private async plan(target: ProofTarget): Promise<Plan | FixProof> {
    const fileIndex = this.input.files.findIndex((f) => f.migration.path === target.file);
    const file = this.input.files[fileIndex];
    if (!file) return { verified: false, reason: 'not-a-statement', detail: `${target.file} is not one of the reviewed migrations` };
    if (!target.sql.trim()) return { verified: false, reason: 'unparsable', detail: 'the fix has no SQL' };
    const replaced = replaceLines(file.migration, target.line, target.endLine, target.sql);
    if (!replaced) {
      return { verified: false, reason: 'not-a-statement', detail: `lines ${target.line}-${target.endLine} are not in the migration's SQL` };
    }
    const touched = statementsIn(file.parsed.statements, target);
    if (touched.length === 0) {
      return { verified: false, reason: 'not-a-statement', detail: `lines ${target.line}-${target.endLine} hold no statement` };
    }
    if (sameSql(replaced.original, replaced.replacement)) {
      return { verified: false, reason: 'unchanged', detail: 'the fix is the statement as it is' };
    }
    const migration: MigrationFile = { ...file.migration, sql: replaced.sql };
    const parsed = await parseMigrationSql(replaced.sql, migration.path, migration.lineOffset);
    if (file.migration.applied) {
      // The edit of an applied migration runs only what it adds or changes (the review's statements of
      // it), here with the fix in place of the lines it replaces.
      const kept = new Set(file.parsed.statements.map((s) => normalizedSql(s.text)));
      parsed.statements = parsed.statements.filter(
        (s) => (s.line >= replaced.firstLine && s.endLine <= replaced.lastLine) || kept.has(normalizedSql(s.text)),
      );
    }
    if (parsed.errors.length > 0) {
      const error = parsed.errors[0]!;
      return { verified: false, reason: 'unparsable', detail: `line ${error.line}: ${error.message}` };
    }
    const replacement = statementsIn(parsed.statements, { line: replaced.firstLine, endLine: replaced.lastLine });
    if (replacement.length === 0) return { verified: false, reason: 'unparsable', detail: 'the fix contains no SQL statement' };
    const originalSpan = {
      line: Math.min(target.line, touched[0]!.line),
      endLine: Math.max(target.endLine, touched.at(-1)!.endLine),
    };
    const written = writtenData(touched);
    const writesRows = written.tables.size > 0;
    writtenData(replacement, written);
    return { target, fileIndex, replaced, originalSpan, migration, parsed, written, writesRows };
  }

  /** Per file, every table the original or any of its fixes writes: one reference run serves them all. */
  private writtenPerFile(plans: Plan[]): Map<number, WrittenData> {
    const out = new Map<number, WrittenData>();
    for (const plan of plans) {
      let data = out.get(plan.fileIndex);
      if (!data) {
        data = writtenData(this.input.files[plan.fileIndex]!.parsed.statements);
        out.set(plan.fileIndex, data);
      }
      plan.written.tables.forEach((t) => data!.tables.add(t));
      plan.written.volatileColumns.forEach((c) => data!.volatileColumns.add(c));
    }
    return out;
  }

  private async run(plan: Plan, written: WrittenData, signal: AbortSignal): Promise<FixProof> {
    const { target, replaced } = plan;
    const reference = await this.reference(plan.fileIndex, written, signal);
    const span = plan.originalSpan;
    let intended: Run = reference;
    if (reference.failure) {
      const at = reference.failure.line;
      const inSpan = at >= span.line && at <= span.endLine;
      const emptied = inSpan && reference.emptied ? await reference.emptied(signal) : undefined;
      if (!emptied || emptied.failure) {
        return {
          verified: false,
          reason: 'original-not-applied',
          detail: `the original file fails at line ${at} (${reference.failure.message}), so the rest of the file could not be re-reviewed`,
        };
      }
      intended = emptied;
    }

    const fixed = await this.reviewed(signal, plan.fileIndex, plan.migration, plan.parsed, written);
    const replacementSpan = { line: replaced.firstLine, endLine: replaced.lastLine };
    if (fixed.failure) {
      const { line, message, sqlstate } = fixed.failure;
      const what = `line ${line}: ${message}${sqlstate ? ` (SQLSTATE ${sqlstate})` : ''}`;
      if (line > replaced.lastLine) return { verified: false, reason: 'breaks-later-statement', detail: what };
      return { verified: false, reason: 'does-not-apply', detail: what };
    }

    const compared = compareFindings({
      rule: target.rule,
      original: [...reference.findings, ...reference.raw],
      fixed: fixed.findings,
      replaced: span,
      replacement: replacementSpan,
      delta: replaced.delta,
    });
    const rechecked = ruleIsRechecked(target.rule);
    if (rechecked && compared.hazardRemains.length > 0) {
      const f = compared.hazardRemains[0]!;
      return { verified: false, reason: 'hazard-remains', detail: `${f.rule} at line ${f.line}: ${f.message}` };
    }
    if (compared.added.length > 0) {
      return {
        verified: false,
        reason: 'new-finding',
        detail: compared.added.map((f) => `${f.severity} ${f.rule} at line ${f.line}`).join('; '),
      };
    }
    if (!intended.schema || !fixed.schema) {
      return { verified: false, reason: 'unavailable', detail: 'the schema after the run could not be read' };
    }
    const schema = schemaDifferences(intended.schema, fixed.schema).filter((d) => !intendedDifference(target.rule, d));
    if (schema.length > 0) {
      return { verified: false, reason: 'schema-differs', detail: clipList(schema) };
    }
    const comparesData = intended === reference && reference.data !== undefined && fixed.data !== undefined;
    if (comparesData) {
      const data = dataDifferences(reference.data!, fixed.data!);
      if (data.length > 0) return { verified: false, reason: 'data-differs', detail: clipList(data) };
      // Equal rows prove something only if the original's rows differ from those without it: an UPDATE
      // whose WHERE matches no synthetic row cannot tell a correct fix from one that does nothing.
      if (plan.writesRows) {
        const without = await this.withoutOriginal(plan, written, signal);
        if (without && dataDifferences(reference.data!, without).length === 0) {
          return {
            verified: false,
            reason: 'data-not-exercised',
            detail: "the original statement changed no row of the sandbox's synthetic data, so whether the fix writes the same rows could not be checked",
          };
        }
      }
    }
    const notes: string[] = [];
    if (!rechecked) notes.push(`${target.rule} is not a check pgpro re-runs; the fix was checked for applying, new findings, schema and data`);
    if (intended !== reference) notes.push("the original fails on the sandbox's rows: its intended schema was read from a run on empty tables, and rows were not compared");
    return { verified: true, reason: 'verified', ...(notes.length ? { detail: notes.join('; ') } : {}) };
  }

  /**
   * The fixes of one file. Those that replace different statements are proven together, in one run of
   * the file with all of them (what `--fix` writes): when that run shows every hazard gone, nothing new,
   * the schema and rows intended, they are all verified. Whatever it does not clear is proven alone
   * (with its exact reason), and the others together once more, then alone. Fixes for file-level advice
   * and fixes of statements that write rows are always proven alone.
   */
  private proveFile(index: number, plans: Plan[], written: WrittenData, signal: AbortSignal): Map<Plan, Promise<FixProof>> {
    const out = new Map<Plan, Promise<FixProof>>();
    const alone = (plan: Plan) => this.run(plan, written, signal).catch((error: unknown) => unavailable(error));
    const combinable = plans.filter((p) => !FILE_LEVEL_RULES.has(p.target.rule) && !p.writesRows);
    for (const plan of plans) if (!combinable.includes(plan)) out.set(plan, alone(plan));
    for (const group of disjointGroups(combinable)) {
      if (group.length === 1) {
        out.set(group[0]!, alone(group[0]!));
        continue;
      }
      const settled = this.together(index, group, written, signal, alone, 2);
      for (const plan of group) out.set(plan, settled.then((m) => m.get(plan)!).catch((error: unknown) => unavailable(error)));
    }
    return out;
  }

  private async together(
    index: number,
    group: Plan[],
    written: WrittenData,
    signal: AbortSignal,
    alone: (plan: Plan) => Promise<FixProof>,
    tries: number,
  ): Promise<Map<Plan, Promise<FixProof>>> {
    const out = new Map<Plan, Promise<FixProof>>();
    const reference = await this.reference(index, written, signal);
    // An original that fails: each fix's verdict depends on where it is (see run()).
    const suspects = reference.failure ? new Set(group) : await this.combinedSuspects(index, group, reference, written, signal);
    if (suspects.size === 0) {
      for (const plan of group) out.set(plan, Promise.resolve(verifiedProof(plan)));
      return out;
    }
    const rest = group.filter((p) => !suspects.has(p));
    for (const plan of suspects) out.set(plan, alone(plan));
    if (rest.length >= 2 && tries > 1) {
      const again = await this.together(index, rest, written, signal, alone, tries - 1);
      for (const plan of rest) out.set(plan, again.get(plan)!);
    } else {
      for (const plan of rest) out.set(plan, alone(plan));
    }
    return out;
  }

  /** Runs the file with every fix of `group` in place; the fixes that run does not clear. */
  private async combinedSuspects(index: number, group: Plan[], reference: Reference, written: WrittenData, signal: AbortSignal): Promise<Set<Plan>> {
    const all = new Set(group);
    const sorted = [...group].sort((a, b) => a.target.line - b.target.line);
    let migration = this.input.files[index]!.migration;
    // From the bottom up, so that the lines of those above stay where they were.
    for (const plan of [...sorted].reverse()) {
      const replaced = replaceLines(migration, plan.target.line, plan.target.endLine, plan.target.sql);
      if (!replaced) return all;
      migration = { ...migration, sql: replaced.sql };
    }
    let shift = 0;
    const parts: CombinedPart[] = sorted.map((plan) => {
      const part = {
        rule: plan.target.rule,
        replaced: plan.originalSpan,
        replacement: { line: plan.replaced.firstLine + shift, endLine: plan.replaced.lastLine + shift },
        delta: plan.replaced.delta,
      };
      shift += plan.replaced.delta;
      return part;
    });
    const parsed = await parseMigrationSql(migration.sql, migration.path, migration.lineOffset);
    if (parsed.errors.length > 0) return all;
    const fixed = await this.reviewed(signal, index, migration, parsed, written);
    if (fixed.failure || !reference.schema || !fixed.schema) return all;
    const suspects = new Set([...combinedSuspects({ parts, original: [...reference.findings, ...reference.raw], fixed: fixed.findings })].map((i) => sorted[i]!));
    // Each schema difference must be one a fix of that table intends (a type swap's new type).
    for (const difference of schemaDifferences(reference.schema, fixed.schema)) {
      const table = differenceTable(difference);
      const owner = sorted.some((p) => intendedDifference(p.target.rule, difference) && table !== undefined && this.tablesOf(p).has(table));
      if (!owner) return all;
    }
    if (reference.data && fixed.data && dataDifferences(reference.data, fixed.data).length > 0) return all;
    return suspects;
  }

  /** The tables (schema.name) the statements a fix replaces name. */
  private tablesOf(plan: Plan): Set<string> {
    const tables = new Set<string>();
    for (const statement of statementsIn(this.input.files[plan.fileIndex]!.parsed.statements, plan.originalSpan)) {
      relationsIn(statement.ast, tables);
    }
    return tables;
  }

  /** The rows after the file with the replaced lines left out; undefined when that does not parse or apply. */
  private withoutOriginal(plan: Plan, written: WrittenData, signal: AbortSignal): Promise<Map<string, TableChecksum> | undefined> {
    const { target, fileIndex } = plan;
    const key = JSON.stringify([fileIndex, target.line, target.endLine, [...written.tables].sort(), [...written.volatileColumns].sort()]);
    let rows = this.withouts.get(key);
    if (!rows) {
      rows = (async () => {
        const file = this.input.files[fileIndex]!;
        const removed = replaceLines(file.migration, target.line, target.endLine, '');
        if (!removed) return undefined;
        const parsed = await parseMigrationSql(removed.sql, file.migration.path, file.migration.lineOffset);
        if (parsed.errors.length > 0) return undefined;
        const start = await this.fileStart(fileIndex, signal);
        return this.slots.use(signal, this.input.open, start, async (db) => {
          const run = await db.apply(prepareMigration(file.migration.path, file.migration.inTransaction, parsed.statements), { trace: false });
          // Cut short by a time limit, the run cannot say whether the original changed rows: no verdict from it.
          if (db.stopped) throw db.stopped;
          if (run.status.status !== 'applied') return undefined;
          return tableChecksums(db, written);
        });
      })();
      rows.catch(() => this.withouts.delete(key));
      this.withouts.set(key, rows);
    }
    return rows;
  }

  /** The state before file `index`: the start snapshot with the earlier new migrations replayed. */
  private fileStart(index: number, signal: AbortSignal): Promise<Uint8Array> {
    return this.starts.get(index, signal);
  }

  /** The original file, run the way its fixes are: what every fix in it is compared with. */
  private reference(index: number, written: WrittenData, signal: AbortSignal): Promise<Reference> {
    const key = JSON.stringify([index, [...written.tables].sort(), [...written.volatileColumns].sort()]);
    let reference = this.references.get(key);
    if (!reference) {
      reference = (async () => {
        const file = this.input.files[index]!;
        const run = this.appliedRun(index, written) ?? (await this.reviewed(signal, index, file.migration, file.parsed, written));
        if (!run.failure || !isDataError(run.failure.sqlstate)) return run;
        let emptied: Promise<Run> | undefined;
        const runEmptied = (signal: AbortSignal) =>
          this.reviewed(signal, index, file.migration, file.parsed, undefined, (db) => db.exec(EMPTY_TABLES));
        return {
          ...run,
          emptied: (signal) => {
            emptied ??= runEmptied(signal);
            emptied.catch(() => (emptied = undefined));
            return emptied;
          },
        };
      })();
      reference.catch(() => this.references.delete(key));
      this.references.set(key, reference);
    }
    return reference;
  }

  /**
   * One version of file `index` reviewed in a sandbox at the file's start (`before` runs first). Every
   * such run counts the same relations as pre-existing, those of `start`, as the review's own apply did,
   * whichever sandbox it gets: a kept one or a new one.
   */
  private async reviewed(
    signal: AbortSignal,
    index: number,
    migration: MigrationFile,
    parsed: ParsedFile,
    written: WrittenData | undefined,
    before?: (db: Sandbox) => Promise<unknown>,
  ): Promise<Run> {
    const preexisting = await this.preexisting(signal);
    const start = await this.fileStart(index, signal);
    return this.slots.use(signal, this.input.open, start, async (db) => {
      if (before) await before(db);
      return this.review(db, index, migration, parsed, written, preexisting);
    });
  }

  /** The relations of `start` (input.preexisting, or read once in a sandbox restored to it). */
  private preexisting(signal: AbortSignal): Promise<ReadonlySet<number>> {
    if (this.input.preexisting) return Promise.resolve(this.input.preexisting);
    if (!this.baseline) {
      const baseline = this.slots.use(signal, this.input.open, this.input.start, (db) => relationOids(db));
      baseline.catch(() => {
        if (this.baseline === baseline) this.baseline = undefined;
      });
      this.baseline = baseline;
    }
    return this.baseline;
  }

  /** Applies one version of a file, traced, and reviews it as the pipeline does: lint, trace, schema, data. */
  private async review(
    db: Sandbox,
    index: number,
    migration: MigrationFile,
    parsed: ParsedFile,
    written: WrittenData | undefined,
    preexisting: ReadonlySet<number>,
  ): Promise<Run> {
    const run = await db.apply(prepareMigration(migration.path, migration.inTransaction, parsed.statements), { trace: true, preexisting });
    // A run the sandbox stopped (a time limit, its memory bound, a crash) is not the file's doing: a
    // verdict from it would blame the fix, or clear it, for how fast or big this sandbox was.
    if (db.stopped) throw db.stopped;
    const result = this.judged(index, migration, parsed, run);
    result.schema = await schemaObjects(db);
    if (written && written.tables.size > 0) result.data = await tableChecksums(db, written);
    return result;
  }

  /**
   * The original file as the review's own apply ran it, from the same state (input.applied), when that
   * run saw what a proof's run would: traced, nothing re-run without the synthetic rows, and the rows of
   * the same tables read. Undefined otherwise: the reference is run in the proof sandbox.
   */
  private appliedRun(index: number, written: WrittenData): Run | undefined {
    const file = this.input.files[index]!;
    const applied = this.input.applied?.(file.migration.path);
    if (!applied) return undefined;
    const { run } = applied;
    if (run.outcomes.some((o) => o.failedOnSyntheticRows) || run.missingExtension || run.extensionGaps) return undefined;
    const result = this.judged(index, file.migration, file.parsed, run);
    if (result.failure) return result;
    if (!applied.schema || !sameWritten(applied.written, written)) return undefined;
    return { ...result, schema: applied.schema, ...(applied.data ? { data: applied.data } : {}) };
  }

  /** Lint and trace of a file's run, under the config's policy, and where it failed. */
  private judged(index: number, migration: MigrationFile, parsed: ParsedFile, run: MigrationRun): Run {
    const { config, catalogBefore } = this.input;
    const earlier = this.input.files.slice(0, index);
    const lint = lintMigrations([...earlier, { migration, parsed }], { config, catalog: catalogBefore }).filter(
      (f) => f.file === migration.path,
    );
    const traced = traceFindings({
      file: migration.path,
      statements: parsed.statements,
      outcomes: run.outcomes,
      inTransaction: migration.inTransaction,
      catalogBefore,
    });
    const failed = run.outcomes.find((o) => o.status === 'error' && o.error);
    const failure = failed?.error
      ? { line: failed.error.line, message: failed.error.message, ...(failed.error.sqlstate ? { sqlstate: failed.error.sqlstate } : {}) }
      : run.status.status === 'applied'
        ? undefined
        : { line: run.status.error?.line ?? parsed.statements[0]?.line ?? 1, message: run.status.error?.message ?? `the file was ${run.status.status}` };
    const result: Run = {
      // One finding per hazard, as the review reports them (the merge step's ids say what each holds).
      findings: withPolicy(mergeHazards([...lint, ...traced], { statementsOf: (file) => (file === migration.path ? parsed.statements : undefined) }), config),
      raw: withPolicy([...lint, ...traced], config),
      ...(failure ? { failure } : {}),
    };
    return result;
  }
}

function sameWritten(a: WrittenData, b: WrittenData): boolean {
  const same = (x: Set<string>, y: Set<string>) => x.size === y.size && [...x].every((v) => y.has(v));
  return same(a.tables, b.tables) && same(a.volatileColumns, b.volatileColumns);
}

/** Every relation (`schema.name`) a parse tree names: RangeVars appear bare (`relation: {relname}`) as often as wrapped. */
function relationsIn(node: unknown, into: Set<string>): void {
  if (Array.isArray(node)) {
    for (const item of node) relationsIn(item, into);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const record = node as Record<string, unknown>;
  if (typeof record.relname === 'string') into.add(`${typeof record.schemaname === 'string' ? record.schemaname : 'public'}.${record.relname}`);
  for (const value of Object.values(record)) relationsIn(value, into);
}

/** Fixes in groups whose members replace different statements, in file order. */
function disjointGroups(plans: readonly Plan[]): Plan[][] {
  const groups: Plan[][] = [];
  const overlap = (a: Span, b: Span) => a.line <= b.endLine && b.line <= a.endLine;
  for (const plan of [...plans].sort((a, b) => a.originalSpan.line - b.originalSpan.line)) {
    const group = groups.find((g) => g.every((other) => !overlap(other.originalSpan, plan.originalSpan)));
    if (group) group.push(plan);
    else groups.push([plan]);
  }
  return groups;
}

/** The verdict of a fix that passed every check (run() says the same for a fix proven alone). */
function verifiedProof(plan: Plan): FixProof {
  const rule = plan.target.rule;
  return ruleIsRechecked(rule)
    ? { verified: true, reason: 'verified' }
    : { verified: true, reason: 'verified', detail: `${rule} is not a check pgpro re-runs; the fix was checked for applying, new findings, schema and data` };
}

/** The table a schema difference is about (`differs: column public.t.c: …`, `extra: constraint on public.t: …`). */
function differenceTable(difference: string): string | undefined {
  const found = /^(?:missing|extra|differs): (column|constraint on) (.+?)(?:: | \(|$)/.exec(difference);
  if (!found) return undefined;
  const name = found[2]!;
  return found[1] === 'column' ? name.slice(0, Math.max(0, name.lastIndexOf('.'))) : name;
}

/** Statements of a file that lines `line..endLine` touch. */
function statementsIn(statements: readonly ParsedStatement[], span: Span): ParsedStatement[] {
  return statements.filter((s) => s.line <= span.endLine && span.line <= s.endLine);
}

function sameSql(a: string, b: string): boolean {
  const norm = (s: string) => normalizeStatement(s).replace(/\s*;\s*/g, ';').replace(/;+$/, '');
  return norm(a) === norm(b);
}

/** Integrity (23) and data (22) errors come from rows, not from the statement: an empty table accepts it. */
function isDataError(sqlstate: string | undefined): boolean {
  return sqlstate !== undefined && (sqlstate.startsWith('23') || sqlstate.startsWith('22'));
}

const EMPTY_TABLES = `DO $pgpro$
DECLARE r record;
BEGIN
  FOR r IN SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_catalog.pg_tables
           WHERE schemaname NOT IN ('pg_catalog', 'information_schema') AND schemaname NOT LIKE 'pg\\_%'
  LOOP
    EXECUTE 'TRUNCATE ' || r.name || ' CASCADE';
  END LOOP;
END $pgpro$`;

function clipList(items: string[], max = 3): string {
  return items.slice(0, max).join('; ') + (items.length > max ? `; and ${items.length - max} more` : '');
}

function unavailable(error: unknown): FixProof {
  if (error instanceof Stopped) return BUDGET;
  if (error instanceof SandboxStoppedError && (error.reason === 'timeout' || error.reason === 'cancelled')) {
    return { verified: false, reason: 'budget', detail: `the proof sandbox reached a time limit: ${error.message}` };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { verified: false, reason: 'unavailable', detail: `the proof sandbox failed: ${message.split('\n')[0]}` };
}

/**
 * At most `size` sandboxes at once, kept between proofs: each piece of work restores a kept sandbox to
 * its starting snapshot (the same worker, a fresh instance) rather than starting a new one. A sandbox
 * opened for work that is cancelled (the budget ran out) is closed at once; waiting work does not start.
 */
export class SandboxPool {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly idle: Sandbox[] = [];
  /** Kept sandboxes still in the state they were opened in, unused: no restore needed to that state. */
  private readonly clean = new WeakMap<Sandbox, Uint8Array>();
  /** Sandboxes being opened ahead of the work that will need them (prepare()). */
  private readonly opening: { tarball: Uint8Array; ready: Promise<void> }[] = [];
  /** Sandboxes given to the pool while one opened ahead was there: closing. */
  private readonly closing: Promise<unknown>[] = [];

  constructor(private readonly size: number) {}

  /**
   * Opens a sandbox in the state `tarball` now, before any work asks for it, and keeps it: the work
   * that asks for that state first gets it as it is, instead of waiting for a kept sandbox's restore
   * (a new PGlite instance from the same snapshot, as open() makes). A failure to open is left to
   * whoever asks then, which opens or restores as before.
   */
  prepare(open: (tarball: Uint8Array) => Promise<Sandbox>, tarball: Uint8Array): void {
    const entry = {
      tarball,
      ready: open(tarball).then(
        (db) => {
          this.clean.set(db, tarball);
          this.idle.push(db);
        },
        () => undefined,
      ),
    };
    this.opening.push(entry);
    void entry.ready.then(() => this.opening.splice(this.opening.indexOf(entry), 1));
  }

  /** A sandbox was opened ahead (prepare()) and is not used yet, or is still opening. */
  private get preparedAhead(): boolean {
    return this.opening.length > 0 || this.idle.some((db) => this.clean.has(db));
  }

  async use<T>(signal: AbortSignal, open: (tarball: Uint8Array) => Promise<Sandbox>, tarball: Uint8Array, work: (db: Sandbox) => Promise<T>): Promise<T> {
    await this.acquire(signal);
    let db: Sandbox | undefined;
    let keep = false;
    const onAbort = () => void db?.close().catch(() => undefined);
    try {
      if (signal.aborted) throw new Stopped();
      db = await this.take(open, tarball);
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) throw new Stopped();
      const result = await work(db);
      if (signal.aborted) throw new Stopped();
      keep = !db.stopped && db.restore !== undefined;
      return result;
    } catch (error) {
      throw signal.aborted ? new Stopped() : error;
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (db && keep) this.idle.push(db);
      else await db?.close().catch(() => undefined);
      this.release();
    }
  }

  /**
   * A sandbox in the state `tarball` for work that ends it with close(), as if it were its own: that
   * close() hands it back to be kept, unless `signal` has ended the work (then it really closes, which
   * stops a statement still running) or the sandbox stopped.
   */
  async lease(signal: AbortSignal, open: (tarball: Uint8Array) => Promise<Sandbox>, tarball: Uint8Array): Promise<Sandbox> {
    await this.acquire(signal);
    let db: Sandbox;
    try {
      if (signal.aborted) throw new Stopped();
      db = await this.take(open, tarball);
    } catch (error) {
      this.release();
      throw signal.aborted ? new Stopped() : error;
    }
    let returned = false;
    return new LeasedSandbox(db, async () => {
      if (returned) return;
      returned = true;
      if (!signal.aborted && !db.stopped && db.restore !== undefined) this.idle.push(db);
      else await db.close().catch(() => undefined);
      this.release();
    });
  }

  /**
   * Keeps a sandbox someone else opened (the review's own, once it is done with it) for later work,
   * which restores it first. Returns false, and leaves it alone, when it cannot be restored.
   */
  adopt(db: Sandbox): boolean {
    if (db.stopped || db.restore === undefined) return false;
    if (this.preparedAhead) {
      // One opened ahead serves the work; a second kept instance would only hold memory.
      this.closing.push(db.close().catch(() => undefined));
      return true;
    }
    this.idle.push(db);
    return true;
  }

  /** Closes the kept sandboxes (those still opening ahead once they are open). */
  async close(): Promise<void> {
    await Promise.all(this.opening.map((entry) => entry.ready));
    await Promise.all([...this.closing.splice(0), ...this.idle.splice(0).map((db) => db.close().catch(() => undefined))]);
  }

  /** A kept sandbox in the state `tarball` as opened, else a kept one restored to `tarball`, or a new one. */
  private async take(open: (tarball: Uint8Array) => Promise<Sandbox>, tarball: Uint8Array): Promise<Sandbox> {
    const ahead = this.opening.find((entry) => entry.tarball === tarball);
    if (ahead) await ahead.ready;
    const unused = this.idle.findIndex((db) => this.clean.get(db) === tarball && !db.stopped);
    if (unused >= 0) {
      const [db] = this.idle.splice(unused, 1);
      this.clean.delete(db!);
      return db!;
    }
    const kept = this.idle.pop();
    if (kept) this.clean.delete(kept);
    if (kept?.restore && !kept.stopped) {
      try {
        await kept.restore(tarball);
        if (!kept.stopped) return kept;
      } catch {
        // fall through to a new sandbox
      }
    }
    await kept?.close().catch(() => undefined);
    return open(tarball);
  }

  private acquire(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(new Stopped());
    if (this.active < this.size) {
      this.active += 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const ready = () => {
        signal.removeEventListener('abort', cancel);
        this.active += 1;
        resolve();
      };
      const cancel = () => {
        const at = this.waiting.indexOf(ready);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(new Stopped());
      };
      signal.addEventListener('abort', cancel, { once: true });
      this.waiting.push(ready);
    });
  }

  private release(): void {
    this.active -= 1;
    this.waiting.shift()?.();
  }
}

function normalizedSql(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * The state before each new migration: the start snapshot, then for each later file the one before it
 * with that file replayed, made once (in a sandbox of `pool`) and shared by whoever needs it (the fix
 * proofs, the rehearsals).
 */
export class FileStarts {
  private readonly made = new Map<number, Promise<Uint8Array>>();

  constructor(
    private readonly input: {
      start: Uint8Array;
      files: readonly ProofFile[];
      pool: SandboxPool;
      open(tarball: Uint8Array): Promise<Sandbox>;
    },
  ) {}

  get start(): Uint8Array {
    return this.input.start;
  }

  /** The state before file `index` (0: the start). Rejects when an earlier file does not apply or `signal` ends the work. */
  get(index: number, signal: AbortSignal): Promise<Uint8Array> {
    if (index <= 0) return Promise.resolve(this.input.start);
    let start = this.made.get(index);
    if (!start) {
      start = (async () => {
        const previous = await this.get(index - 1, signal);
        const file = this.input.files[index - 1]!;
        return this.input.pool.use(signal, this.input.open, previous, async (db) => {
          const [run] = await db.replay([prepareMigration(file.migration.path, file.migration.inTransaction, file.parsed.statements)]);
          // A sandbox stopped by a limit is not the migration failing: say the limit.
          if (db.stopped) throw db.stopped;
          if (run?.status.status !== 'applied') {
            throw new Error(`the earlier migration ${file.migration.path} did not apply in the sandbox`);
          }
          // Gzipped: a review of many new migrations holds one of these per file.
          return db.snapshot();
        });
      })();
      start.catch(() => this.made.delete(index));
      this.made.set(index, start);
    }
    return start;
  }
}

/** A sandbox lent by a SandboxPool: everything goes to the sandbox, except close(), which hands it back. */
class LeasedSandbox implements Sandbox {
  constructor(
    private readonly db: Sandbox,
    private readonly giveBack: () => Promise<void>,
  ) {}

  get engine(): Sandbox['engine'] {
    return this.db.engine;
  }

  get stopped(): Sandbox['stopped'] {
    return this.db.stopped;
  }

  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[] }> {
    return this.db.query<T>(sql, params);
  }

  exec(sql: string): Promise<unknown> {
    return this.db.exec(sql);
  }

  runSetup(name: string, sql: string): Promise<void> {
    return this.db.runSetup(name, sql);
  }

  replay(files: Parameters<Sandbox['replay']>[0], onProgress?: Parameters<Sandbox['replay']>[1]): ReturnType<Sandbox['replay']> {
    return this.db.replay(files, onProgress);
  }

  apply(file: Parameters<Sandbox['apply']>[0], opts: Parameters<Sandbox['apply']>[1]): ReturnType<Sandbox['apply']> {
    return this.db.apply(file, opts);
  }

  startSession(): Promise<void> {
    return this.db.startSession();
  }

  catalog(): ReturnType<Sandbox['catalog']> {
    return this.db.catalog();
  }

  snapshot(use?: SnapshotUse): Promise<Uint8Array> {
    return this.db.snapshot(use);
  }

  restore(tarball: Uint8Array): Promise<void> {
    return this.db.restore!(tarball);
  }

  close(): Promise<void> {
    return this.giveBack();
  }
}
