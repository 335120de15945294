/**
 * Tables in which migration tools record what they applied. Production holds the tool's own rows
 * there, never data like pgpro's, and a later migration that adds a key to one (a real pattern) must
 * not fail on made-up rows: they stay empty.
 */
const BOOKKEEPING_TABLES = new Set(
  [
    '_prisma_migrations',
    '__diesel_schema_migrations',
    '_sqlx_migrations',
    'schema_migrations', // golang-migrate, dbmate, pop, Rails
    'ar_internal_metadata', // Rails
    'schema_version', // Flyway before 5
    'flyway_schema_history',
    'goose_db_version',
    'knex_migrations',
    'knex_migrations_lock',
    'sequelizemeta',
    '__efmigrationshistory',
    'django_migrations',
    'alembic_version',
    'atlas_schema_revisions',
    'databasechangelog', // Liquibase
    'databasechangeloglock',
    'migrations', // postgres-migrations, TypeORM, Laravel
    'typeorm_metadata',
    'mikro_orm_migrations',
    'pgmigrations', // node-pg-migrate
    'refinery_schema_history',
    'seaql_migrations',
    '__drizzle_migrations',
    'gorp_migrations',
  ],
);

/** Schemas a migration tool owns entirely. */
const BOOKKEEPING_SCHEMAS = new Set(['sqitch', 'drizzle']);

/** Whether `schema.table` belongs to a migration tool. */
export function isBookkeepingTable(schema: string, name: string): boolean {
  return BOOKKEEPING_SCHEMAS.has(schema.toLowerCase()) || BOOKKEEPING_TABLES.has(name.toLowerCase());
}
