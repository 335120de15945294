// sqitch.plan: pragmas (`%…`), changes (`name [deps] date planner <email> # note`) and tags (`@tag …`).

export interface SqitchChange {
  name: string;
  /** The deploy script: `deploy/<name>.sql`, or `deploy/<name>@<tag>.sql` for a change reworked later. */
  script: string;
}

/** Changes in plan order. A change reworked later in the plan reads its older script from `<name>@<next tag>`. */
export function readSqitchPlan(plan: string): SqitchChange[] {
  const entries: ({ change: string } | { tag: string })[] = [];
  for (const raw of plan.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '' || line.startsWith('%')) continue;
    const word = line.split(/\s+/)[0]!;
    if (word.startsWith('@')) entries.push({ tag: word.slice(1) });
    else entries.push({ change: word.replace(/^\+/, '') });
  }
  const changes: SqitchChange[] = [];
  entries.forEach((entry, i) => {
    if (!('change' in entry)) return;
    const reworkedLater = entries.slice(i + 1).some((e) => 'change' in e && e.change === entry.change);
    let script = entry.change;
    if (reworkedLater) {
      const tag = entries.slice(i + 1).find((e): e is { tag: string } => 'tag' in e);
      if (tag) script = `${entry.change}@${tag.tag}`;
    }
    changes.push({ name: entry.change, script });
  });
  return changes;
}
