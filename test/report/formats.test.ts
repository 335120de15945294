// The one-line formats: compact (compiler style), github (Actions annotations), gitlab (Code Quality).
import { describe, expect, it } from 'vitest';
import { render } from '../../src/report/index.js';
import { finding, sampleResult } from './fixture.js';

const hostile = finding({
  rule: 'ban-drop-column',
  file: 'db/migrations/0002_x,y:z.sql',
  line: 3,
  endLine: 4,
  severity: 'warning',
  message: 'Dropping a column: 100% of\nreaders break.\r\n::error::forged',
  fix: { title: 'Stop reading it first' },
});

describe('compact', () => {
  it('prints one line per finding, file:line: severity rule message, newlines folded', () => {
    expect(render('compact', sampleResult({ findings: [hostile, finding({ rule: 'prefer-jsonb', file: 'a.sql', line: 1, severity: 'info', message: 'Use jsonb.' })] }))).toBe(
      'db/migrations/0002_x,y:z.sql:3: warning ban-drop-column Dropping a column: 100% of readers break. ::error::forged\n' +
        'a.sql:1: info prefer-jsonb Use jsonb.\n',
    );
  });

  it('prints nothing for no findings', () => {
    expect(render('compact', sampleResult({ findings: [] }))).toBe('');
  });
});

describe('github', () => {
  it('writes one workflow command per finding, escaped so that no message can end it or forge another', () => {
    expect(render('github', sampleResult({ findings: [hostile] }))).toBe(
      '::warning file=db/migrations/0002_x%2Cy%3Az.sql,line=3,endLine=4,title=pgpro ban-drop-column::' +
        'Dropping a column: 100%25 of%0Areaders break.%0D%0A::error::forged%0AFix: Stop reading it first\n',
    );
  });

  it('maps severities to error, warning and notice', () => {
    const lines = render('github', sampleResult()).trim().split('\n');
    expect(lines.map((l) => l.slice(0, l.indexOf(' ')))).toEqual(['::error', '::warning', '::notice', '::error']);
  });
});

describe('gitlab', () => {
  it('is a Code Quality report: description, check name, fingerprint, severity and lines', () => {
    const issues = JSON.parse(render('gitlab', sampleResult({ findings: [hostile] })));
    expect(issues).toEqual([
      {
        description: 'Dropping a column: 100% of\nreaders break.\r\n::error::forged',
        check_name: 'ban-drop-column',
        fingerprint: hostile.fingerprint,
        severity: 'major',
        location: { path: 'db/migrations/0002_x,y:z.sql', lines: { begin: 3, end: 4 } },
      },
    ]);
    expect(JSON.parse(render('gitlab', sampleResult())).map((i: { severity: string }) => i.severity)).toEqual(['critical', 'major', 'info', 'critical']);
  });
});
