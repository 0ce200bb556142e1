/**
 * Names that are identities: requirement names, provider-written Secret names and composed-resource
 * keys. Changing one replaces (or orphans) what it names.
 */
export const NETWORK = "network";
export const PASSWORD = "admin-password";
export const replicaNetwork = (name: string) => `network-replica-${name}`;
/** Secret the provider writes the generated admin password to (autoGeneratePassword). */
export const passwordSecretName = (xr: string) => `${xr}-postgres-admin`;
export const CONNECTION_SECRET = "connection-secret";
export const replicaKey = (name: string) => `replica-${name}`;
