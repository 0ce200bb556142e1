/**
 * The PostgreSQL server parameters Tessera accepts, as data: for each, whether a change needs a
 * restart (static), its type, range or values, its unit, and on which clouds it can be set. A name
 * not listed here is refused rather than sent to a cloud that would reject it (or, worse, accept a
 * typo and ignore it). Add a row to accept a parameter.
 *
 * Sources:
 * - PostgreSQL 14-17 documentation, "Server Configuration" (https://www.postgresql.org/docs/17/runtime-config.html),
 *   and pg_settings (context postmaster = static; vartype, min_val, max_val, enumvals, unit).
 * - Amazon RDS for PostgreSQL parameters: "Working with parameters on your RDS for PostgreSQL DB instance"
 *   (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Appendix.PostgreSQL.CommonDBATasks.Parameters.html)
 *   and `aws rds describe-engine-default-parameters --db-parameter-group-family postgres16` (ApplyType static/dynamic,
 *   AllowedValues). RDS marks a few parameters static that PostgreSQL reloads (e.g. rds.logical_replication,
 *   pg_stat_statements.max, track_commit_timestamp): the RDS apply type wins, since RDS refuses
 *   `immediate` for them ("cannot use immediate apply method for static parameter").
 * - Azure Database for PostgreSQL flexible server, "Server parameters"
 *   (https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-server-parameters): the same names,
 *   plus Azure's own (azure.extensions, pg_qs.*, pgms_wait_sampling.*); RDS-only names (rds.*) are refused there.
 *
 * Names are compared normalised (lower case, '.' read as '_'), so `require.secure_transport` and
 * `TimeZone` find `require_secure_transport` and `timezone`.
 */
import type { PostgresDatabaseSpec } from "../../apis/postgres-database/schema.ts";
import type { Provider } from "../../apis/shared/common.ts";
import { SpecError } from "../shared/errors.ts";
import { byCodePoint } from "../shared/order.ts";

export type ParamType = "bool" | "int" | "real" | "enum" | "string";

export interface Param {
  /** A change takes effect only after a restart (RDS applyType static / PostgreSQL context postmaster). */
  static: boolean;
  type: ParamType;
  min?: number;
  max?: number;
  /** enum: the accepted values (compared case-insensitively, as PostgreSQL does). */
  values?: readonly string[];
  /** The base unit of an int: a memory unit (bytes per unit) or a time unit; values with units are converted to it. */
  unit?: "B" | "kB" | "8kB" | "MB" | "ms" | "s" | "min";
  /** Clouds where it can be set. Default: both. */
  on?: readonly Provider[];
  /**
   * RDS's literal default per major version ("*" for all), where RDS uses a fixed value (not a
   * formula). A parameter sent with its default value is sent as pending-reboot: see applyMethod in aws.ts.
   */
  rdsDefault?: Readonly<Record<string, string>>;
}

const INT_MAX = 2147483647;
const bool = (o: Partial<Param> = {}): Param => ({ static: false, type: "bool", ...o });
const int = (min: number, max: number, o: Partial<Param> = {}): Param => ({ static: false, type: "int", min, max, ...o });
const real = (min: number, max: number, o: Partial<Param> = {}): Param => ({ static: false, type: "real", min, max, ...o });
const oneOf = (values: readonly string[], o: Partial<Param> = {}): Param => ({ static: false, type: "enum", values, ...o });
const text = (o: Partial<Param> = {}): Param => ({ static: false, type: "string", ...o });
const AWS: readonly Provider[] = ["aws"];
const AZURE: readonly Provider[] = ["azure"];
const LEVELS = ["debug5", "debug4", "debug3", "debug2", "debug1", "info", "notice", "warning", "error", "log", "fatal", "panic"];

/** Keyed by the name clouds use (lower case). */
export const PARAMETERS: Readonly<Record<string, Param>> = {
  // Connections and authentication
  max_connections: int(1, 262143, { static: true }),
  superuser_reserved_connections: int(0, 262143, { static: true, on: AZURE }),
  "rds.rds_superuser_reserved_connections": int(0, 262143, { static: true, on: AWS }),
  idle_in_transaction_session_timeout: int(0, INT_MAX, { unit: "ms" }),
  idle_session_timeout: int(0, INT_MAX, { unit: "ms", rdsDefault: { "*": "0" } }),
  statement_timeout: int(0, INT_MAX, { unit: "ms", rdsDefault: { "*": "0" } }),
  lock_timeout: int(0, INT_MAX, { unit: "ms" }),
  tcp_keepalives_idle: int(0, INT_MAX, { unit: "s" }),
  tcp_keepalives_interval: int(0, INT_MAX, { unit: "s" }),
  tcp_keepalives_count: int(0, INT_MAX),
  password_encryption: oneOf(["md5", "scram-sha-256"]),
  // Memory (PostgreSQL base units: shared_buffers, effective_cache_size, wal_buffers, temp_buffers in 8 kB pages)
  shared_buffers: int(16, 1073741823, { static: true, unit: "8kB" }),
  effective_cache_size: int(1, INT_MAX, { unit: "8kB" }),
  wal_buffers: int(-1, 262143, { static: true, unit: "8kB" }),
  temp_buffers: int(100, 1073741823, { unit: "8kB" }),
  work_mem: int(64, INT_MAX, { unit: "kB", rdsDefault: { "*": "4096" } }),
  maintenance_work_mem: int(1024, INT_MAX, { unit: "kB" }),
  autovacuum_work_mem: int(-1, INT_MAX, { unit: "kB" }),
  logical_decoding_work_mem: int(64, INT_MAX, { unit: "kB" }),
  temp_file_limit: int(-1, INT_MAX, { unit: "kB" }),
  huge_pages: oneOf(["off", "on", "try"], { static: true }),
  max_prepared_transactions: int(0, 262143, { static: true }),
  max_locks_per_transaction: int(10, INT_MAX, { static: true }),
  max_pred_locks_per_transaction: int(10, INT_MAX, { static: true }),
  max_files_per_process: int(64, INT_MAX, { static: true }),
  max_stack_depth: int(100, INT_MAX, { unit: "kB" }),
  // Write-ahead log and checkpoints
  min_wal_size: int(2, INT_MAX, { unit: "MB" }),
  max_wal_size: int(2, INT_MAX, { unit: "MB" }),
  checkpoint_timeout: int(30, 86400, { unit: "s" }),
  checkpoint_completion_target: real(0, 1, { rdsDefault: { "*": "0.9" } }),
  checkpoint_warning: int(0, INT_MAX, { unit: "s" }),
  wal_compression: oneOf(["off", "on", "pglz", "lz4", "zstd"]),
  wal_keep_size: int(0, INT_MAX, { unit: "MB" }),
  max_slot_wal_keep_size: int(-1, INT_MAX, { unit: "MB" }),
  wal_level: oneOf(["replica", "logical"], { static: true, on: AZURE }),
  synchronous_commit: oneOf(["on", "off", "local", "remote_write", "remote_apply"]),
  commit_delay: int(0, 100000),
  // Replication
  max_wal_senders: int(0, 262143, { static: true }),
  max_replication_slots: int(0, 262143, { static: true }),
  max_logical_replication_workers: int(0, 262143, { static: true }),
  max_sync_workers_per_subscription: int(0, 262143),
  hot_standby_feedback: bool(),
  max_standby_streaming_delay: int(-1, INT_MAX, { unit: "ms" }),
  max_standby_archive_delay: int(-1, INT_MAX, { unit: "ms" }),
  wal_receiver_timeout: int(0, INT_MAX, { unit: "ms" }),
  wal_sender_timeout: int(0, INT_MAX, { unit: "ms" }),
  track_commit_timestamp: bool({ static: true }),
  "rds.logical_replication": bool({ static: true, on: AWS }),
  // Workers and parallelism
  max_worker_processes: int(0, 262143, { static: true }),
  max_parallel_workers: int(0, 1024),
  max_parallel_workers_per_gather: int(0, 1024),
  max_parallel_maintenance_workers: int(0, 1024),
  // Autovacuum (autovacuum_max_workers and the freeze ages are static on RDS)
  autovacuum: bool({ rdsDefault: { "*": "1" } }),
  autovacuum_max_workers: int(1, 262143, { static: true }),
  autovacuum_naptime: int(1, 2147483, { unit: "s" }),
  autovacuum_vacuum_threshold: int(0, INT_MAX),
  autovacuum_vacuum_insert_threshold: int(-1, INT_MAX),
  autovacuum_analyze_threshold: int(0, INT_MAX),
  autovacuum_vacuum_scale_factor: real(0, 100),
  autovacuum_vacuum_insert_scale_factor: real(0, 100),
  autovacuum_analyze_scale_factor: real(0, 100),
  autovacuum_vacuum_cost_delay: real(-1, 100),
  autovacuum_vacuum_cost_limit: int(-1, 10000),
  autovacuum_freeze_max_age: int(100000, 2000000000, { static: true }),
  autovacuum_multixact_freeze_max_age: int(10000, 2000000000, { static: true }),
  vacuum_cost_delay: real(0, 100),
  vacuum_cost_limit: int(1, 10000),
  vacuum_freeze_min_age: int(0, 1000000000),
  vacuum_freeze_table_age: int(0, 2000000000),
  // Background writer and I/O
  bgwriter_delay: int(10, 10000, { unit: "ms" }),
  bgwriter_lru_maxpages: int(0, 1073741823),
  bgwriter_lru_multiplier: real(0, 10),
  effective_io_concurrency: int(0, 1000, { rdsDefault: { "*": "1" } }),
  maintenance_io_concurrency: int(0, 1000),
  // Planner
  random_page_cost: real(0, Number.MAX_VALUE, { rdsDefault: { "*": "4" } }),
  seq_page_cost: real(0, Number.MAX_VALUE, { rdsDefault: { "*": "1" } }),
  cpu_tuple_cost: real(0, Number.MAX_VALUE),
  cpu_index_tuple_cost: real(0, Number.MAX_VALUE),
  cpu_operator_cost: real(0, Number.MAX_VALUE),
  parallel_setup_cost: real(0, Number.MAX_VALUE),
  parallel_tuple_cost: real(0, Number.MAX_VALUE),
  default_statistics_target: int(1, 10000, { rdsDefault: { "*": "100" } }),
  from_collapse_limit: int(1, INT_MAX),
  join_collapse_limit: int(1, INT_MAX),
  geqo: bool(),
  jit: bool(),
  enable_seqscan: bool(),
  enable_indexscan: bool(),
  enable_bitmapscan: bool(),
  enable_hashjoin: bool(),
  enable_mergejoin: bool(),
  enable_nestloop: bool(),
  enable_partitionwise_join: bool(),
  enable_partitionwise_aggregate: bool(),
  // Logging
  log_min_duration_statement: int(-1, INT_MAX, { unit: "ms" }),
  log_autovacuum_min_duration: int(-1, INT_MAX, { unit: "ms" }),
  log_statement: oneOf(["none", "ddl", "mod", "all"]),
  log_min_messages: oneOf(LEVELS.filter((l) => l !== "info")),
  log_min_error_statement: oneOf(LEVELS.filter((l) => l !== "info")),
  log_error_verbosity: oneOf(["terse", "default", "verbose"]),
  log_connections: bool(),
  log_disconnections: bool(),
  log_lock_waits: bool(),
  log_checkpoints: bool(),
  log_temp_files: int(-1, INT_MAX, { unit: "kB" }),
  log_line_prefix: text(),
  log_rotation_age: int(0, 35791394, { unit: "min" }),
  log_rotation_size: int(0, 2097151, { unit: "kB" }),
  "rds.log_retention_period": int(1440, 10080, { unit: "min", on: AWS }),
  // Statistics and monitoring
  track_activity_query_size: int(100, 1048576, { static: true, unit: "B" }),
  track_io_timing: bool(),
  track_functions: oneOf(["none", "pl", "all"]),
  "pg_stat_statements.max": int(100, INT_MAX, { static: true }),
  "pg_stat_statements.track": oneOf(["none", "top", "all"]),
  "pg_stat_statements.track_utility": bool(),
  "pg_stat_statements.save": bool(),
  "auto_explain.log_min_duration": int(-1, INT_MAX, { unit: "ms" }),
  "auto_explain.log_analyze": bool(),
  "pgaudit.log": text(),
  "pgaudit.role": text(),
  "pg_qs.query_capture_mode": oneOf(["none", "top", "all"], { on: AZURE }),
  "pg_qs.retention_period_in_days": int(1, 30, { on: AZURE }),
  "pgms_wait_sampling.query_capture_mode": oneOf(["none", "all"], { on: AZURE }),
  // Libraries and extensions (a restart loads shared_preload_libraries)
  shared_preload_libraries: text({ static: true }),
  session_preload_libraries: text(),
  "azure.extensions": text({ on: AZURE }),
  "rds.allowed_extensions": text({ on: AWS }),
  // Client defaults and locale
  timezone: text({ rdsDefault: { "*": "UTC" } }),
  log_timezone: text(),
  datestyle: text(),
  lc_messages: text(),
  lc_monetary: text(),
  lc_numeric: text(),
  lc_time: text(),
  client_encoding: text(),
  search_path: text(),
  default_transaction_isolation: oneOf(["serializable", "repeatable read", "read committed", "read uncommitted"]),
  default_toast_compression: oneOf(["pglz", "lz4"]),
};

/**
 * Parameters Tessera sets itself (TLS). Setting them in spec.parameters is refused: they would
 * weaken TLS; spec.tls raises the minimum version.
 */
export const RESERVED = new Set(["rds.force_ssl", "require_secure_transport", "ssl", "ssl_min_protocol_version", "ssl_max_protocol_version", "ssl_ciphers"]);

/** Lower case, '.' read as '_': the form names are compared in. */
export const normalise = (name: string) => name.toLowerCase().replace(/\./g, "_");

const BY_NORMALISED: ReadonlyMap<string, string> = new Map(
  [...Object.keys(PARAMETERS), ...RESERVED].map((n) => [normalise(n), n]),
);

/** The cloud's name for `name` (case and '.'/'_' normalised), or undefined when Tessera does not know it. */
export const canonicalName = (name: string): string | undefined => BY_NORMALISED.get(normalise(name));

const MEMORY_BYTES: Record<string, number> = { B: 1, kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };
const TIME_MS: Record<string, number> = { ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };
const UNIT_BASE: Record<NonNullable<Param["unit"]>, { per: Record<string, number>; size: number }> = {
  B: { per: MEMORY_BYTES, size: 1 },
  kB: { per: MEMORY_BYTES, size: 1024 },
  "8kB": { per: MEMORY_BYTES, size: 8192 },
  MB: { per: MEMORY_BYTES, size: 1024 ** 2 },
  ms: { per: TIME_MS, size: 1 },
  s: { per: TIME_MS, size: 1000 },
  min: { per: TIME_MS, size: 60_000 },
};

const BOOLEAN: Record<string, string> = { on: "1", off: "0", true: "1", false: "0", yes: "1", no: "0", "1": "1", "0": "0" };

/** Why a value is not valid for a parameter, or the value to send (converted to the base unit). */
export type Checked = { ok: true; value: string } | { ok: false; problem: string; fix: string };

const describeUnit = (u: Param["unit"]) => (u === "8kB" ? "8kB pages" : u === "B" ? "bytes" : u);

/**
 * Checks `raw` against the parameter's type and range and returns the value to send: memory and
 * time with units converted to the base unit ("4GB" -> "524288" for shared_buffers), booleans as
 * 1/0 (what RDS lists and reports, so no diff), everything else as given. RDS formulas
 * ({DBInstanceClassMemory/32768}) pass on AWS, where RDS evaluates them.
 */
export function checkValue(name: string, p: Param, raw: string, provider: Provider): Checked {
  const v = raw.trim();
  if (v === "") return { ok: false, problem: "got an empty value", fix: "give a value or remove the parameter" };
  switch (p.type) {
    case "bool": {
      const b = BOOLEAN[v.toLowerCase()];
      return b !== undefined ? { ok: true, value: provider === "azure" ? (b === "1" ? "on" : "off") : b } : { ok: false, problem: `got ${JSON.stringify(raw)}, not a boolean`, fix: "use on or off (1 or 0)" };
    }
    case "enum": {
      const hit = p.values!.find((x) => x === v.toLowerCase());
      return hit !== undefined ? { ok: true, value: hit } : { ok: false, problem: `got ${JSON.stringify(raw)}`, fix: `use one of ${p.values!.join(", ")}` };
    }
    case "string":
      return { ok: true, value: v };
    case "real": {
      const n = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(v) ? Number(v) : NaN;
      if (Number.isNaN(n)) return { ok: false, problem: `got ${JSON.stringify(raw)}, not a number`, fix: `give a number from ${p.min} to ${p.max === Number.MAX_VALUE ? "any size" : p.max}` };
      if (n < p.min! || n > p.max!) return { ok: false, problem: `got ${v}, outside ${p.min}..${p.max}`, fix: `give a number from ${p.min} to ${p.max}` };
      return { ok: true, value: v };
    }
    case "int": {
      if (provider === "aws" && /^\{[A-Za-z0-9*/+\-(), ]+\}$/.test(v)) return { ok: true, value: v };
      const m = /^(-?\d+)\s*([A-Za-z]+)?$/.exec(v);
      const range = `${p.min}..${p.max}${p.unit ? ` ${describeUnit(p.unit)}` : ""}`;
      if (!m) return { ok: false, problem: `got ${JSON.stringify(raw)}, not a whole number${p.unit ? " with an optional unit" : ""}`, fix: `give a value in ${range}${p.unit ? ` (units: ${Object.keys(UNIT_BASE[p.unit].per).join(", ")})` : ""}` };
      let n = Number(m[1]);
      if (m[2] !== undefined) {
        const base = p.unit ? UNIT_BASE[p.unit] : undefined;
        const per = base?.per[m[2]];
        if (!base || per === undefined) {
          return { ok: false, problem: `got ${JSON.stringify(raw)}, but ${name} takes ${p.unit ? `units ${Object.keys(base!.per).join(", ")}` : "a plain number"}`, fix: `give a value in ${range}` };
        }
        const total = n * per;
        if (total % base.size !== 0) return { ok: false, problem: `got ${JSON.stringify(raw)}, not a whole number of ${describeUnit(p.unit)}`, fix: `use a multiple of ${p.unit === "8kB" ? "8kB" : `1${p.unit}`}` };
        n = total / base.size;
      }
      if (!Number.isSafeInteger(n) || n < p.min! || n > p.max!) {
        return { ok: false, problem: `got ${JSON.stringify(raw)}${m[2] ? ` (${n} ${describeUnit(p.unit)})` : ""}, outside ${range}`, fix: `give a value in ${range}` };
      }
      return { ok: true, value: String(n) };
    }
  }
}

/** The TLS parameters Tessera sets, per cloud, with RDS's defaults (rds.force_ssl is on by default from PostgreSQL 15). */
export function tlsParameters(provider: Provider, minVersion: "1.2" | "1.3"): Array<{ name: string; value: string; rdsDefault?: Readonly<Record<string, string>> }> {
  const min = { name: "ssl_min_protocol_version", value: `TLSv${minVersion}`, rdsDefault: { "*": "TLSv1.2" } };
  return provider === "aws"
    ? [{ name: "rds.force_ssl", value: "1", rdsDefault: { "14": "0", "*": "1" } }, min]
    : [{ name: "require_secure_transport", value: "on" }, { name: "ssl_min_protocol_version", value: `TLSv${minVersion}` }];
}

export interface Resolved {
  name: string;
  value: string;
  static: boolean;
  /** The value equals RDS's fixed default for this major version. */
  isRdsDefault: boolean;
}

const sameValue = (a: string, b: string) => a === b || (/^-?[\d.]+$/.test(a) && /^-?[\d.]+$/.test(b) && Number(a) === Number(b));

export function isRdsDefault(rdsDefault: Param["rdsDefault"], version: string, value: string): boolean {
  const d = rdsDefault?.[version] ?? rdsDefault?.["*"];
  return d !== undefined && sameValue(d, value);
}

/**
 * spec.parameters checked and resolved: each name to the cloud's name, each value checked and
 * converted. Refuses (SpecError naming the parameter) unknown names, names of the other cloud,
 * Tessera's TLS parameters, two names for one parameter, and invalid values. Sorted by name.
 */
export function resolveParameters(spec: Pick<PostgresDatabaseSpec, "provider" | "version" | "parameters">): Resolved[] {
  const seen = new Map<string, string>();
  const out: Resolved[] = [];
  for (const [given, raw] of Object.entries(spec.parameters)) {
    const field = `spec.parameters.${given}`;
    const name = canonicalName(given);
    if (name !== undefined && RESERVED.has(name)) {
      throw SpecError.field(field, `is ${name}, which Tessera manages (TLS is always required)`, "remove it; raise the minimum TLS version with spec.tls.minVersion");
    }
    if (name === undefined) {
      throw SpecError.field(field, "is not a parameter Tessera knows", "check the spelling against the PostgreSQL documentation; parameters Tessera accepts are listed in functions/postgres-database/parameters.ts (ask your platform team to add one)");
    }
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      throw SpecError.field(field, `names the same parameter (${name}) as spec.parameters.${earlier}`, "keep one of them");
    }
    seen.set(name, given);
    const p = PARAMETERS[name]!;
    if (p.on && !p.on.includes(spec.provider)) {
      throw SpecError.field(field, `is a ${p.on.join("/")} parameter, not available on ${spec.provider}`, "remove it");
    }
    const checked = checkValue(name, p, raw, spec.provider);
    if (!checked.ok) throw SpecError.field(field, checked.problem, checked.fix);
    out.push({ name, value: checked.value, static: p.static, isRdsDefault: isRdsDefault(p.rdsDefault, spec.version, checked.value) });
  }
  return out.sort((a, b) => byCodePoint(a.name, b.name));
}
