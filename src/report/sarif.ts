// SARIF 2.1.0 for code-scanning uploads and editors. Paths stay repo-relative under %SRCROOT%.
import { pathToFileURL } from 'node:url';
import type { Finding, ReviewResult, Severity } from '../types.js';
import { ruleDocUrl } from './common.js';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
const INFORMATION_URI = 'https://github.com/pgpro-dev/pgpro';

export type SarifLevel = 'error' | 'warning' | 'note';

export interface SarifOptions {
  /** Directory the repo-relative paths are relative to; becomes `originalUriBaseIds.SRCROOT`. */
  cwd?: string;
  toolVersion?: string;
  /** One-line descriptions by rule id (from the rule registry); the id, humanised, otherwise. */
  ruleDescriptions?: Record<string, string>;
  /** `runs[0].automationDetails.id`: which analysis this is, so code scanning keeps runs of each apart. */
  automationId?: string;
}

interface SarifRule {
  id: string;
  name: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  help: { text: string };
  helpUri: string;
  defaultConfiguration: { level: SarifLevel };
}

interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: SarifLevel;
  message: { text: string };
  locations: {
    physicalLocation: {
      artifactLocation: { uri: string; uriBaseId: string };
      region: { startLine: number; endLine: number };
    };
  }[];
  partialFingerprints: { pgproFingerprint: string };
  properties: { source: Finding['source']; confidence?: number };
}

export interface SarifLog {
  $schema: string;
  version: '2.1.0';
  runs: {
    tool: { driver: { name: 'pgpro'; informationUri: string; version?: string; rules: SarifRule[] } };
    automationDetails?: { id: string };
    originalUriBaseIds?: Record<string, { uri: string }>;
    invocations: {
      executionSuccessful: boolean;
      toolExecutionNotifications: { level: SarifLevel; message: { text: string } }[];
    }[];
    results: SarifResult[];
  }[];
}

const LEVELS: Record<Severity, SarifLevel> = { error: 'error', warning: 'warning', info: 'note' };

function humanise(rule: string): string {
  const words = rule.replace(/^agent\//, 'agent: ').replace(/-/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function fileUri(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

function messageText(finding: Finding): string {
  const parts = [finding.message];
  if (finding.fix) parts.push(`Fix: ${finding.fix.title}${finding.fix.sql ? `\n${finding.fix.sql}` : ''}`);
  if (finding.evidence) parts.push(`Evidence:\n${finding.evidence}`);
  return parts.join('\n\n');
}

export function toSarif(result: ReviewResult, options: SarifOptions = {}): SarifLog {
  const rules: SarifRule[] = [];
  const ruleIndex = new Map<string, number>();
  for (const finding of result.findings) {
    if (ruleIndex.has(finding.rule)) continue;
    ruleIndex.set(finding.rule, rules.length);
    const description = options.ruleDescriptions?.[finding.rule] ?? humanise(finding.rule);
    rules.push({
      id: finding.rule,
      name: humanise(finding.rule).replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase()),
      shortDescription: { text: description },
      fullDescription: { text: `${description} The rule's page says what it blocks and the safe alternative: ${ruleDocUrl(finding.rule)}` },
      help: { text: `See ${ruleDocUrl(finding.rule)}` },
      helpUri: ruleDocUrl(finding.rule),
      defaultConfiguration: { level: LEVELS[finding.severity] },
    });
  }

  const results: SarifResult[] = result.findings.map((finding) => ({
    ruleId: finding.rule,
    ruleIndex: ruleIndex.get(finding.rule)!,
    level: LEVELS[finding.severity],
    message: { text: messageText(finding) },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: fileUri(finding.file), uriBaseId: 'SRCROOT' },
          region: { startLine: Math.max(1, finding.line), endLine: Math.max(1, finding.line, finding.endLine) },
        },
      },
    ],
    partialFingerprints: { pgproFingerprint: finding.fingerprint },
    properties: { source: finding.source, ...(finding.confidence !== undefined ? { confidence: finding.confidence } : {}) },
  }));

  const driver: SarifLog['runs'][number]['tool']['driver'] = { name: 'pgpro', informationUri: INFORMATION_URI, rules };
  if (options.toolVersion) driver.version = options.toolVersion;

  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: { driver },
        ...(options.automationId ? { automationDetails: { id: options.automationId } } : {}),
        ...(options.cwd ? { originalUriBaseIds: { SRCROOT: { uri: `${pathToFileURL(options.cwd).href.replace(/\/?$/, '/')}` } } } : {}),
        invocations: [
          {
            executionSuccessful: true,
            toolExecutionNotifications: result.notes.map((note) => ({ level: 'note' as const, message: { text: note } })),
          },
        ],
        results,
      },
    ],
  };
}

export function renderSarif(result: ReviewResult, options: SarifOptions = {}): string {
  return `${JSON.stringify(toSarif(result, options), null, 2)}\n`;
}
