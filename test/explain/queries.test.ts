import { describe, expect, it } from 'vitest';
import { collectQueries, splitSql } from '../../src/explain/queries.js';

describe('collectQueries', () => {
  it('reads sqlc query files: names, lines and parameter counts', () => {
    const content = `-- name: GetAuthor :one
SELECT * FROM authors
WHERE id = $1 LIMIT 1;

-- name: ListAuthors :many
SELECT * FROM authors ORDER BY name;

-- name: UpdateAuthor :exec
UPDATE authors SET name = $2, bio = $3 WHERE id = $1;
`;
    expect(collectQueries([{ path: 'db/query.sql', content }])).toEqual([
      { file: 'db/query.sql', line: 2, sql: 'SELECT * FROM authors\nWHERE id = $1 LIMIT 1', params: 1, name: 'GetAuthor' },
      { file: 'db/query.sql', line: 6, sql: 'SELECT * FROM authors ORDER BY name', params: 0, name: 'ListAuthors' },
      { file: 'db/query.sql', line: 9, sql: 'UPDATE authors SET name = $2, bio = $3 WHERE id = $1', params: 3, name: 'UpdateAuthor' },
    ]);
  });

  it('splits plain files without breaking on semicolons in strings, comments or dollar quotes', () => {
    const content = `select ';' as a, $$ ; $$ as b /* ; */ from t where x = '$9';
-- a comment; with a semicolon
with w as (select 1) select * from w;
create index on t (x);
`;
    const queries = collectQueries([{ path: 'q.sql', content }]);
    expect(queries.map((q) => [q.line, q.params])).toEqual([
      [1, 0],
      [3, 0],
    ]);
    expect(queries[1]?.sql).toBe('with w as (select 1) select * from w');
  });

  it('skips sqlc macros, which are not SQL until sqlc rewrites them', () => {
    const content = '-- name: ByName :many\nSELECT * FROM authors WHERE name = sqlc.arg(name);\n';
    expect(collectQueries([{ path: 'q.sql', content }])).toEqual([]);
  });

  it('keeps a trailing statement without a semicolon', () => {
    expect(splitSql('select 1; select 2').map((p) => p.text.trim())).toEqual(['select 1', 'select 2']);
  });
});
