import { describe, expect, it } from 'vitest';
import { scrubSecrets, scrubSecretsReport } from '../../src/agent/scrub.js';
import { fixture } from './fixtures.js';

describe('scrubSecrets', () => {
  it.each([
    ["CREATE ROLE app LOGIN PASSWORD 'hunter2';", "CREATE ROLE app LOGIN PASSWORD '[REDACTED]';"],
    ["ALTER USER app WITH ENCRYPTED PASSWORD 'md5abc''quoted';", "ALTER USER app WITH ENCRYPTED PASSWORD '[REDACTED]';"],
    [
      "CREATE USER MAPPING FOR app SERVER remote OPTIONS (user 'app', password 'fdw-pass');",
      "CREATE USER MAPPING FOR app SERVER remote OPTIONS (user 'app', password '[REDACTED]');",
    ],
    ["SELECT dblink_connect('dbname=x password=abc123 host=h');", "SELECT dblink_connect('dbname=x password=[REDACTED] host=h');"],
    ['-- see postgresql://admin:topsecret@db:5432/app', '-- see postgresql://admin:[REDACTED]@db:5432/app'],
    ["INSERT INTO k VALUES ('AKIAIOSFODNN7EXAMPLE');", "INSERT INTO k VALUES ('[REDACTED]');"],
    ["-- key sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123", '-- key [REDACTED]'],
    ["-- ghp_abcdefghijklmnopqrstuvwxyz0123456789", '-- [REDACTED]'],
    ["UPDATE users SET password = 'p@ss';", "UPDATE users SET password = '[REDACTED]';"],
  ])('redacts %s', (input, expected) => {
    expect(scrubSecrets(input)).toBe(expected);
  });

  it('leaves ordinary SQL alone', () => {
    const sql = "ALTER TABLE users ADD COLUMN password_hash text NOT NULL DEFAULT '';\nCREATE INDEX users_token_idx ON users (token);";
    expect(scrubSecretsReport(sql)).toEqual({ text: sql, redacted: [] });
  });

  it('keeps the line count of a file, so line numbers stay right', () => {
    const sql = fixture('secrets.sql');
    const scrubbed = scrubSecrets(sql);
    expect(scrubbed.split('\n')).toHaveLength(sql.split('\n').length);
    expect(scrubbed.split('\n')[9]).toBe('ALTER TABLE settings ADD COLUMN updated_at timestamptz;');
    expect(scrubbed).not.toMatch(/hunter2|S3cretPass|secretkeymaterial|AKIAIOSFODNN7EXAMPLE|wJalrXUtnFEMI|pl41ntext/);
  });
});
