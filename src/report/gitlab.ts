// GitLab Code Quality report (a JSON array of issues), which merge requests show inline and in the widget.
// https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format
import type { ReviewResult, Severity } from '../types.js';

const SEVERITIES: Record<Severity, 'critical' | 'major' | 'info'> = { error: 'critical', warning: 'major', info: 'info' };

export interface GitlabIssue {
  description: string;
  check_name: string;
  fingerprint: string;
  severity: 'critical' | 'major' | 'info';
  location: { path: string; lines: { begin: number; end: number } };
}

export function toGitlab(result: ReviewResult): GitlabIssue[] {
  return result.findings.map((f) => ({
    description: f.message,
    check_name: f.rule,
    // Unique within a review (the merge step tells collisions apart) and stable across pushes.
    fingerprint: f.fingerprint,
    severity: SEVERITIES[f.severity],
    location: { path: f.file, lines: { begin: f.line, end: f.endLine } },
  }));
}

export function renderGitlab(result: ReviewResult): string {
  return `${JSON.stringify(toGitlab(result), null, 2)}\n`;
}
