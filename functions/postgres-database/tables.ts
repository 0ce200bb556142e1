/**
 * Abstract PostgresDatabase terms mapped per cloud, as data. Renderers look values up here instead of
 * branching on them.
 */
import type { Size } from "../../apis/postgres-database/schema.ts";
import type { Provider } from "../../apis/shared/common.ts";
import { SpecError } from "../shared/errors.ts";

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

/** The server parameter each cloud uses to require TLS; Tessera owns it. */
export const TLS_PARAMETER: Record<Provider, { name: string; value: string }> = {
  aws: { name: "rds.force_ssl", value: "1" },
  azure: { name: "require_secure_transport", value: "on" },
};

/** Base units of the memory parameters PostgreSQL takes as plain numbers (same on RDS and Flexible Server). */
const BASE_UNIT_BYTES: Record<string, number> = {
  shared_buffers: 8192,
  effective_cache_size: 8192,
  wal_buffers: 8192,
  temp_buffers: 8192,
  work_mem: 1024,
  maintenance_work_mem: 1024,
  autovacuum_work_mem: 1024,
  logical_decoding_work_mem: 1024,
  min_wal_size: 1024 * 1024,
  max_wal_size: 1024 * 1024,
};

const UNIT_BYTES: Record<string, number> = { kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/** RDS rejects `immediate` for these; they take effect at the next reboot. */
export const STATIC_PARAMETERS = new Set([
  "shared_buffers", "max_connections", "wal_buffers", "max_wal_senders", "max_worker_processes", "max_replication_slots",
  "max_prepared_transactions", "max_locks_per_transaction", "shared_preload_libraries", "track_activity_query_size", "huge_pages",
]);

/** Converts "4GB" to the parameter's base unit ("524288" for shared_buffers); plain values pass through. */
export function parameterValue(name: string, value: string): string {
  const m = /^(\d+)\s*(kB|MB|GB|TB)$/.exec(value.trim());
  if (!m) return value;
  const base = BASE_UNIT_BYTES[name];
  if (!base) {
    throw SpecError.field(`spec.parameters.${name}`, `got ${JSON.stringify(value)}, but Tessera does not know this parameter's base unit`, "give a plain number in the parameter's base unit");
  }
  const bytes = Number(m[1]) * (UNIT_BYTES[m[2] as string] as number);
  if (bytes % base !== 0) {
    throw SpecError.field(`spec.parameters.${name}`, `got ${JSON.stringify(value)}, not a whole number of ${base} bytes`, `use a multiple of ${base / 1024}kB`);
  }
  return String(bytes / base);
}

/** Parameters Tessera manages itself; setting them would weaken TLS. */
export const RESERVED_PARAMETERS = new Set(["rds.force_ssl", "require_secure_transport", "ssl", "ssl_min_protocol_version"]);

export const PORT = 5432;
