// A finding while the review runs: the public Finding plus what the merge step needs to know about the
// hazard behind it. The merge step removes these fields before the result leaves review().
import type { Finding } from '../types.js';

export interface HazardInfo {
  /**
   * What the hazard is about when the statement alone does not say it (the tables a lock window
   * holds, a foreign key's columns, a query, 'file' for advice that speaks for the whole file).
   */
  object?: string;
  /** Lock windows: the lines of the statements that run while the lock is held. */
  window?: number[];
  /** One sentence that says the hazard when it is folded into another finding of the same statement. */
  brief?: string;
}

export interface HazardFinding extends Finding {
  hazard?: HazardInfo;
  /** Rule ids of the findings merged into this one (the keeper's own id first). */
  merged?: string[];
}

/** The public finding: the merge step's own fields removed. */
export function publicFinding(finding: HazardFinding): Finding {
  const { hazard: _hazard, merged: _merged, ...rest } = finding;
  return rest;
}
