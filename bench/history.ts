/**
 * A generated migration history shaped like a real application's: tables created, then widened,
 * indexed and constrained over time. Deterministic for a given size, so runs compare.
 */
export function generateHistory(count: number, dir = 'db/migrations'): Record<string, string> {
  const files: Record<string, string> = {};
  const tables: string[] = [];
  for (let i = 1; i <= count; i++) {
    const n = String(i).padStart(4, '0');
    let name: string;
    let sql: string;
    const step = i % 5;
    if (tables.length < 3 || step === 1) {
      const table = `t${tables.length + 1}`;
      const parent = tables.length > 0 ? tables[(i * 7) % tables.length] : undefined;
      name = `create_${table}`;
      sql = [
        `CREATE TABLE ${table} (`,
        '  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,',
        ...(parent ? [`  ${parent}_id bigint REFERENCES ${parent} (id),`] : []),
        '  name text NOT NULL,',
        '  created_at timestamptz NOT NULL DEFAULT now()',
        ');',
        ...(parent ? [`CREATE INDEX ${table}_${parent}_id_idx ON ${table} (${parent}_id);`] : []),
      ].join('\n');
      tables.push(table);
    } else {
      const table = tables[(i * 13) % tables.length]!;
      if (step === 2) {
        name = `add_${table}_note_${i}`;
        sql = `-- widen ${table}\nALTER TABLE ${table} ADD COLUMN note_${i} text;\nCOMMENT ON COLUMN ${table}.note_${i} IS 'free text';`;
      } else if (step === 3) {
        name = `index_${table}_${i}`;
        sql = `CREATE INDEX CONCURRENTLY ${table}_created_${i}_idx ON ${table} (created_at);`;
      } else if (step === 4) {
        name = `check_${table}_${i}`;
        sql = [
          `ALTER TABLE ${table} ADD CONSTRAINT ${table}_name_len_${i} CHECK (length(name) < 500) NOT VALID;`,
          `ALTER TABLE ${table} VALIDATE CONSTRAINT ${table}_name_len_${i};`,
        ].join('\n');
      } else {
        name = `function_${i}`;
        sql = [
          `CREATE OR REPLACE FUNCTION touch_${i}() RETURNS trigger LANGUAGE plpgsql AS $$`,
          'BEGIN',
          '  NEW.created_at := coalesce(NEW.created_at, now());',
          '  RETURN NEW;',
          'END $$;',
          `CREATE VIEW ${table}_recent_${i} AS SELECT id, name FROM ${table} WHERE created_at > now() - interval '7 days';`,
        ].join('\n');
      }
    }
    files[`${dir}/${n}_${name}.sql`] = `${sql}\n`;
  }
  return files;
}
