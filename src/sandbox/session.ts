// A fresh session, as a migration tool gives each file: nothing an earlier file did to its own session
// (SET, SET ROLE, SET SESSION AUTHORIZATION, temp tables, cursors, advisory locks) is left, and the
// database- and role-level settings production sessions start with are in effect.
//
// A server applies `ALTER DATABASE … SET` / `ALTER ROLE … SET` only when a connection starts, and
// PGlite never does (one backend, started before any migration ran). So the settings are read from
// pg_db_role_setting and applied to the session, in PostgreSQL's order of precedence: global, then
// the database's, the role's, and the role's in this database, each overriding the one before.

/**
 * What DISCARD ALL does, in statements a multi-statement string may hold (DISCARD ALL refuses one), so
 * that ending the old session and starting the new one is one round trip.
 */
export const END_SESSION_SQL =
  'SET SESSION AUTHORIZATION DEFAULT; RESET ALL; DISCARD TEMP; DISCARD SEQUENCES; CLOSE ALL; UNLISTEN *; SELECT pg_catalog.pg_advisory_unlock_all()';

function settingsOf(pinned: readonly string[]): string {
  const skip = pinned.map((name) => `'${name.toLowerCase().replace(/'/g, "''")}'`).join(', ');
  return `SELECT u.c
    FROM pg_catalog.pg_db_role_setting s
    CROSS JOIN LATERAL unnest(s.setconfig) WITH ORDINALITY AS u(c, n)
    WHERE s.setdatabase IN (0, (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()))
      AND s.setrole IN (0, (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = session_user))
      ${skip ? `AND lower(split_part(u.c, '=', 1)) NOT IN (${skip})` : ''}
    ORDER BY (s.setdatabase <> 0)::int + 2 * (s.setrole <> 0)::int, u.n`;
}

/** Ends the old session and applies the stored settings in one statement string (the common case). */
export function startSessionSql(pinned: readonly string[] = []): string {
  return `${END_SESSION_SQL};
SELECT pg_catalog.set_config(split_part(x.c, '=', 1), substr(x.c, strpos(x.c, '=') + 1), false) FROM (${settingsOf(pinned)}) x`;
}

/**
 * The stored settings one by one: a setting PostgreSQL would reject at connection time only warns
 * there, so one that fails here is skipped and the others still apply. Slower (PL/pgSQL), so only the
 * fallback when startSessionSql fails. `pinned` settings are the engine's own (its deadline).
 */
export function databaseSettingsSql(pinned: readonly string[] = []): string {
  return `DO $pgpro_session$
DECLARE
  setting text;
BEGIN
  FOR setting IN ${settingsOf(pinned)}
  LOOP
    BEGIN
      PERFORM pg_catalog.set_config(split_part(setting, '=', 1), substr(setting, strpos(setting, '=') + 1), false);
    EXCEPTION WHEN OTHERS THEN
      NULL;
    END;
  END LOOP;
END
$pgpro_session$`;
}
