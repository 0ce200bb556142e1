/**
 * Abstract PostgresDatabase terms mapped per cloud, as data. Renderers look values up here instead of
 * branching on them.
 */
import type { Size } from "../../apis/postgres-database/schema.ts";
import type { Provider } from "../../apis/shared/common.ts";

/** Matching vCPU/memory on each cloud; small is burstable on both. */
export const SIZE_CLASS: Record<Size, Record<Provider, string>> = {
  small: { aws: "db.t4g.medium", azure: "B_Standard_B2s" },
  medium: { aws: "db.m7g.large", azure: "GP_Standard_D2ds_v5" },
  large: { aws: "db.m7g.xlarge", azure: "GP_Standard_D4ds_v5" },
  xlarge: { aws: "db.r7g.xlarge", azure: "MO_Standard_E4ds_v5" },
  "2xlarge": { aws: "db.r7g.2xlarge", azure: "MO_Standard_E8ds_v5" },
};

export const INSTANCE_TYPE: Record<Provider, { pattern: RegExp; example: string; burstable: RegExp }> = {
  aws: { pattern: /^db\.[a-z0-9-]+\.[a-z0-9]+$/, example: "db.r6g.xlarge", burstable: /^db\.t/ },
  azure: { pattern: /^(B|GP|MO)_Standard_[A-Za-z0-9_]+$/, example: "GP_Standard_D4s_v3", burstable: /^B_/ },
};

/**
 * Server configurations Azure requires on a read replica at least as high as on its primary (the
 * replica refuses to start otherwise): Azure does not copy them, so replicas get the primary's values.
 * Source: https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-read-replicas
 * ("Server parameters"), and PostgreSQL's hot-standby rule (https://www.postgresql.org/docs/17/hot-standby.html#HOT-STANDBY-ADMIN).
 */
export const AZURE_REPLICA_AT_LEAST_PRIMARY = ["max_connections", "max_prepared_transactions", "max_locks_per_transaction", "max_wal_senders", "max_worker_processes"] as const;

/** CloudWatch Logs group RDS writes an instance's exported log to. */
export const rdsLogGroup = (identifier: string, log: string) => `/aws/rds/instance/${identifier}/${log}`;

export const PORT = 5432;
