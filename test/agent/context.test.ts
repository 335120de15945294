import { describe, expect, it } from 'vitest';
import { parseProductionStats, quotedPlainText } from '../../src/agent/index.js';
import { parseMigrationSql } from '../../src/sql/parse.js';
import { touchedRelations } from '../../src/stages/agent.js';

describe('parseProductionStats', () => {
  it('reads psql --csv output of pg_stat_user_tables, with sizes', () => {
    const csv = 'schemaname,relname,n_live_tup,total_bytes\npublic,orders,1200000,734003200\naudit,events,9000000,\n';
    expect(parseProductionStats('db/stats.csv', csv)).toEqual({
      sizes: {
        'public.orders': { rows: 1_200_000, bytes: 734_003_200, source: 'the production stats file db/stats.csv' },
        'audit.events': { rows: 9_000_000, source: 'the production stats file db/stats.csv' },
      },
      problems: [],
    });
  });

  it('reads psql aligned output and JSON maps or lists, and says what it could not read', () => {
    const aligned = ' relname | n_live_tup\n---------+-----------\n orders  |      42\n broken  |      many\n(2 rows)\n';
    expect(parseProductionStats('stats.txt', aligned)).toEqual({
      sizes: { 'public.orders': { rows: 42, source: 'the production stats file stats.txt' } },
      problems: ['stats.txt:4: needs a table name and a row count'],
    });
    expect(parseProductionStats('s.json', '{"orders": 10, "app.users": {"rows": 5, "bytes": 8192}}').sizes).toEqual({
      'public.orders': { rows: 10, source: 'the production stats file s.json' },
      'app.users': { rows: 5, bytes: 8192, source: 'the production stats file s.json' },
    });
    expect(parseProductionStats('s.json', '[{"schema": "x", "table": "y", "rows": "1_000"}]').sizes).toEqual({
      'x.y': { rows: 1000, source: 'the production stats file s.json' },
    });
    expect(parseProductionStats('s.json', '{oops').problems[0]).toMatch(/^s\.json: not valid JSON/);
  });
});

describe('quotedPlainText', () => {
  it('quotes the model\'s words on one line, with no live link, image, mention or markup', () => {
    expect(quotedPlainText('Fine.\n![x](https://e.example/p.png) [doc](http://e.example) www.e.example <img src=x> @team `code`')).toBe(
      '“Fine. ! [x] (https:/\u200b/e.example/p.png) [doc] (http:/\u200b/e.example) www\u200b.e.example ‹img src=x> @\u200bteam \'code\'”',
    );
  });
});

describe('touchedRelations', () => {
  it('names every relation the statements use, qualified', async () => {
    const parsed = await parseMigrationSql(
      'ALTER TABLE orders ADD COLUMN c int REFERENCES app.customers (id);\nCREATE INDEX i ON items (x);\nDROP TABLE old_stuff;\nUPDATE a SET x = (SELECT 1 FROM b);\n',
      'm.sql',
    );
    expect(touchedRelations(parsed.statements).sort()).toEqual(['app.customers', 'public.a', 'public.b', 'public.items', 'public.old_stuff', 'public.orders']);
  });
});
