import type { Queryable } from '../types.js';

export interface PlanNode {
  type: string;
  /** schema.name of the scanned or modified relation. */
  relation?: string;
  /** schema.name of the index an index scan uses. */
  index?: string;
  rows: number;
  cost: number;
  depth: number;
  /** Filter / Index Cond / Hash Cond, for the rendered plan. */
  condition?: string;
}

export interface PlanSummary {
  topNode: string;
  nodeTypes: string[];
  /** Relations read with a Seq Scan. */
  seqScans: string[];
  /** Indexes read by an Index, Index Only or Bitmap Index Scan. */
  indexes: { index: string; relation: string; node: string }[];
  /** Rows the top node returns; for INSERT/UPDATE/DELETE, the rows fed to the modification. */
  estimatedRows: number;
  totalCost: number;
  nodes: PlanNode[];
  /** The plan as indented text (EXPLAIN's usual shape, estimates only). */
  text: string;
}

type RawPlan = Record<string, unknown> & { Plans?: RawPlan[] };

const INDEX_NODES = new Set(['Index Scan', 'Index Only Scan', 'Bitmap Index Scan']);

let statementCounter = 0;

/**
 * EXPLAIN (FORMAT JSON) a statement without running it. A statement with `$n` placeholders is
 * PREPAREd and explained with `plan_cache_mode = force_generic_plan`: the plan Postgres builds for
 * any parameter value (the one a prepared statement settles on), so no sample value can tip it.
 * `EXPLAIN (GENERIC_PLAN)` would give the same plan, but only over the simple query protocol: with a
 * bind message the placeholders become NULL constants and the plan collapses to `One-Time Filter: false`.
 */
export async function explainQuery(db: Queryable, sql: string): Promise<PlanSummary> {
  const body = sql.trim().replace(/;\s*$/, '');
  if (!/\$\d/.test(codeOnly(body))) {
    const r = await db.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON, VERBOSE) ${body}`);
    return summarizePlan(r.rows[0]?.['QUERY PLAN']);
  }
  const name = `pgpro_explain_${++statementCounter}`;
  await db.query(`PREPARE ${name} AS ${body}`);
  try {
    const types = await db.query<{ n: number }>(
      `SELECT coalesce(array_length(parameter_types, 1), 0) AS n FROM pg_prepared_statements WHERE name = $1`,
      [name],
    );
    const count = types.rows[0]?.n ?? 0;
    const previous = await db.query<{ v: string }>(`SELECT current_setting('plan_cache_mode') AS v`);
    await db.query(`SET plan_cache_mode = force_generic_plan`);
    try {
      const args = count > 0 ? `(${Array.from({ length: count }, () => 'NULL').join(', ')})` : '';
      const r = await db.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON, VERBOSE) EXECUTE ${name}${args}`);
      return summarizePlan(r.rows[0]?.['QUERY PLAN']);
    } finally {
      await db.query(`SELECT set_config('plan_cache_mode', $1, false)`, [previous.rows[0]?.v ?? 'auto']);
    }
  } finally {
    await db.query(`DEALLOCATE ${name}`);
  }
}

function codeOnly(sql: string): string {
  return sql.replace(/--[^\n]*/g, ' ').replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/'(?:[^']|'')*'/g, "''");
}

export function summarizePlan(raw: unknown): PlanSummary {
  const parsed = typeof raw === 'string' ? (JSON.parse(raw) as unknown) : raw;
  const root = (Array.isArray(parsed) ? (parsed[0] as { Plan?: RawPlan })?.Plan : (parsed as { Plan?: RawPlan })?.Plan) ?? undefined;
  if (!root) throw new Error('EXPLAIN returned no plan');
  const nodes: PlanNode[] = [];
  const seqScans = new Set<string>();
  const indexes: PlanSummary['indexes'] = [];
  const walk = (node: RawPlan, depth: number, parentRelation?: string): void => {
    const type = String(node['Node Type']);
    const schema = typeof node['Schema'] === 'string' ? node['Schema'] : undefined;
    const relName = typeof node['Relation Name'] === 'string' ? node['Relation Name'] : undefined;
    const relation = relName ? (schema ? `${schema}.${relName}` : relName) : undefined;
    const indexName = typeof node['Index Name'] === 'string' ? node['Index Name'] : undefined;
    const ownerRelation = relation ?? parentRelation;
    const index = indexName ? (ownerRelation?.includes('.') ? `${ownerRelation.split('.')[0]}.${indexName}` : indexName) : undefined;
    const condition = ['Index Cond', 'Recheck Cond', 'Filter', 'Hash Cond', 'Join Filter', 'Merge Cond']
      .map((k) => (typeof node[k] === 'string' ? `${k}: ${node[k] as string}` : ''))
      .filter(Boolean)
      .join('; ');
    nodes.push({
      type,
      ...(relation ? { relation } : {}),
      ...(index ? { index } : {}),
      rows: Number(node['Plan Rows'] ?? 0),
      cost: Number(node['Total Cost'] ?? 0),
      depth,
      ...(condition ? { condition } : {}),
    });
    if (type === 'Seq Scan' && relation) seqScans.add(relation);
    if (INDEX_NODES.has(type) && index && ownerRelation) indexes.push({ index, relation: ownerRelation, node: type });
    for (const child of node.Plans ?? []) walk(child, depth + 1, type === 'Bitmap Heap Scan' ? relation : parentRelation);
  };
  walk(root, 0);
  const top = nodes[0] as PlanNode;
  const modifies = top.type === 'ModifyTable';
  return {
    topNode: modifies ? `${String(root['Operation'] ?? 'Modify')} on ${top.relation ?? '?'}` : top.type,
    nodeTypes: [...new Set(nodes.map((n) => n.type))],
    seqScans: [...seqScans],
    indexes,
    estimatedRows: modifies ? (nodes[1]?.rows ?? 0) : top.rows,
    totalCost: top.cost,
    nodes,
    text: renderPlan(nodes),
  };
}

export function renderPlan(nodes: PlanNode[]): string {
  return nodes
    .map((n) => {
      const on = n.index ? ` using ${n.index}${n.relation ? ` on ${n.relation}` : ''}` : n.relation ? ` on ${n.relation}` : '';
      const head = `${'  '.repeat(n.depth)}${n.depth > 0 ? '->  ' : ''}${n.type}${on}  (cost=${n.cost.toFixed(2)} rows=${n.rows})`;
      return n.condition ? `${head}\n${'  '.repeat(n.depth + 2)}${n.condition}` : head;
    })
    .join('\n');
}

/** One line for a Finding's evidence: the deciding node with its estimates, and the plan's total. */
export function describeNode(plan: PlanSummary, node: PlanNode | undefined): string {
  const n = node ?? plan.nodes[0];
  const where = n?.index ? ` using ${n.index}` : n?.relation ? ` on ${n.relation}` : '';
  return `${n?.type ?? plan.topNode}${where}: estimated rows ${n?.rows ?? plan.estimatedRows}, cost ${(n?.cost ?? plan.totalCost).toFixed(2)} (plan total ${plan.totalCost.toFixed(2)})`;
}
