import type { Convention } from '../types.js';
/**
 * Setup SQL for platforms whose migrations assume objects the platform creates before them.
 * Only what migrations commonly reference: enough for them to apply, not a copy of the platform.
 */
const SUPABASE = `
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon','authenticated','service_role','authenticator','supabase_admin','supabase_auth_admin','supabase_storage_admin','dashboard_user'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('CREATE ROLE %I NOLOGIN', r);
    END IF;
  END LOOP;
END $$;
CREATE SCHEMA IF NOT EXISTS extensions;
CREATE SCHEMA IF NOT EXISTS auth;
CREATE SCHEMA IF NOT EXISTS storage;
CREATE SCHEMA IF NOT EXISTS realtime;
CREATE TABLE IF NOT EXISTS auth.users (
  instance_id uuid,
  id uuid PRIMARY KEY,
  aud varchar(255),
  role varchar(255),
  email varchar(255) UNIQUE,
  encrypted_password varchar(255),
  email_confirmed_at timestamptz,
  phone text UNIQUE,
  raw_app_meta_data jsonb,
  raw_user_meta_data jsonb,
  is_anonymous boolean NOT NULL DEFAULT false,
  created_at timestamptz,
  updated_at timestamptz,
  deleted_at timestamptz
);
CREATE OR REPLACE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS
  $fn$ SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $fn$;
CREATE OR REPLACE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS
  $fn$ SELECT nullif(current_setting('request.jwt.claim.role', true), '')::text $fn$;
CREATE OR REPLACE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE AS
  $fn$ SELECT coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::jsonb $fn$;
CREATE TABLE IF NOT EXISTS storage.buckets (
  id text PRIMARY KEY, name text NOT NULL UNIQUE, owner uuid, public boolean DEFAULT false,
  created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now()
);
CREATE TABLE IF NOT EXISTS storage.objects (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(), bucket_id text REFERENCES storage.buckets(id),
  name text, owner uuid, metadata jsonb, created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now()
);
GRANT USAGE ON SCHEMA auth, storage, extensions TO anon, authenticated, service_role;
`;

export function presetSetup(preset: 'none' | 'supabase'): { name: string; sql: string }[] {
  return preset === 'supabase' ? [{ name: 'preset:supabase', sql: SUPABASE }] : [];
}

/**
 * Tables a migration tool creates before it runs the first migration, which a migration may then
 * reference (Lemmy's puts a trigger on diesel's). Only tools whose table name is theirs alone: a
 * generic name (schema_migrations) may be a table the history makes itself.
 */
const TOOL_TABLES: Partial<Record<Convention, string>> = {
  // diesel's migration_table.sql, as diesel_migrations runs it.
  diesel:
    'CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL, run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);',
};

/** Setup for the tools of these migrations: each one's own bookkeeping table, as the tool makes it. */
export function toolSetup(conventions: Iterable<Convention>): { name: string; sql: string }[] {
  return [...new Set(conventions)].flatMap((convention) => {
    const sql = TOOL_TABLES[convention];
    return sql ? [{ name: `${convention}: its bookkeeping table`, sql }] : [];
  });
}
