/**
 * K8sCluster on Azure: an AKS cluster in the Network's resource group, nodes in its private subnet
 * (Azure CNI Overlay with Cilium, pods on podCidr), outbound through the Network's NAT gateway, a
 * user-assigned control-plane identity, OIDC issuer and workload identity, Entra RBAC, the autoscaler
 * profile, the Standard tier (Premium with long-term support under spec.extendedSupport), Container
 * Insights and control-plane logs to a Log Analytics workspace. Staged:
 *   1. identity and workspace;
 *   2. identity and workspace known: Network Contributor for the identity on the Network's VNet, NAT
 *      gateway and application-tier NSG (tables.ts AKS_NETWORK_ROLES: AKS with a bring-your-own subnet
 *      and a user-assigned identity needs it to join nodes and load balancers); the Container Insights
 *      data collection rule into the workspace;
 *   3. roles Ready (and, when spec.apiAccess.allowedCidrs limits the endpoint, the Network's NAT IPs
 *      known): the cluster, with the system pool as its default pool;
 *   4. cluster Ready: user pools, admin role assignments, diagnostic setting, and (rule Ready too) the
 *      rule's association with the cluster.
 * No management lock: a CanNotDelete lock on the cluster is inherited by its node pools and extension
 * resources and breaks pool rotation, admin removal and monitoring changes (README, K8sCluster).
 */
import type { K8sClusterSpec, NodePool } from "../../apis/k8s-cluster/schema.ts";
import { atProvider, str } from "../shared/observed.ts";
import { managed, ofNetwork, own } from "../shared/resources.ts";
import { tagsFor } from "../shared/tags.ts";
import { networkUsage } from "../shared/usage.ts";
import { azureZones } from "../shared/zones.ts";
import { block } from "../shared/cidr.ts";
import type { ForProvider, Renderer } from "../shared/types.ts";
import type * as containerservice from "../crds/containerservice.azure.m.upbound.io.ts";
import type * as msi from "../crds/managedidentity.azure.m.upbound.io.ts";
import type * as authorization from "../crds/authorization.azure.m.upbound.io.ts";
import type * as operationalinsights from "../crds/operationalinsights.azure.m.upbound.io.ts";
import type * as insights from "../crds/insights.azure.m.upbound.io.ts";
import { egressCidrs } from "../shared/platform.ts";
import { apiAccessCidrs, initialNodes, networkOf, nodePolicies, nodeVersion, poolStatus, renderVersion, seen, Stages, usage, versionStatus, warnings } from "./common.ts";
import { connectionSecret, connectionSecretName, kubeconfigCluster } from "./connection.ts";
import { adminKey, aksName, CLUSTER, CONNECTION_SECRET, dnsPrefix, INSIGHTS_ASSOCIATION, INSIGHTS_RULE, insightsRuleName, LEGACY_NETWORK_ROLE, poolKey, rotationName } from "./names.ts";
import { renderInCluster } from "./incluster.ts";
import { AKS_LOG_CATEGORY, AKS_NETWORK_ROLES, AKS_SPOT_TAINT, AKS_SUPPORT_PLAN, CONTAINER_INSIGHTS, INSTANCE_TYPE } from "./tables.ts";

const CS = "containerservice.azure.m.upbound.io/v1beta1";
const MI = "managedidentity.azure.m.upbound.io/v1beta1";
const AUTH = "authorization.azure.m.upbound.io/v1beta1";
const OI = "operationalinsights.azure.m.upbound.io/v1beta1";
const INSIGHTS = "insights.azure.m.upbound.io/v1beta1";

/** On the cluster: the NAT ranges its authorizedIpRanges got from the Network, kept while the Network's status is unreadable. */
const NAT_RANGES_ANNOTATION = "platform.tessera.io/nat-ranges";

const nonEmpty = <T>(xs: T[] | undefined): T[] | undefined => (xs?.length ? xs : undefined);

/** AKS adds this taint to spot pools itself; unless it is declared too, the provider sees drift on every sync (one definition: tables.ts). */
const SPOT_TAINT = `${AKS_SPOT_TAINT.key}=${AKS_SPOT_TAINT.value}:${AKS_SPOT_TAINT.effect}`;

/** The Secret the provider writes the cluster's connection details to (both kubeconfigs among them). */
const adminSecretName = (xr: { name: string }) => `${xr.name}-aks-admin`;

/**
 * The connection-detail key of the clusterAdmin kubeconfig. provider-upjet-azure's own `kubeconfig`
 * key is kube_config_raw, the clusterUser credential (config/namespaced/containerservice/config.go,
 * AdditionalConnectionDetailsFn); with Entra ID on (azureActiveDirectoryRoleBasedAccessControl) that
 * is an exec/kubelogin kubeconfig, which provider-kubernetes and provider-helm cannot use without an
 * identity of their own (crossplane-contrib/provider-helm#180, provider-kubernetes#105). The admin
 * kubeconfig (a client certificate of the local admin account) is the sensitive attribute
 * kube_admin_config_raw, which azurerm reads only while Entra ID is on and local accounts are
 * enabled (internal/services/containers/kubernetes_cluster_resource.go, ListClusterAdminCredentials)
 * and upjet publishes as `attribute.<attribute>` (crossplane/upjet pkg/resource/sensitive.go,
 * prefixAttribute; the key is visible in crossplane-contrib/provider-jet-azure#112's Secret).
 */
export const AKS_ADMIN_KUBECONFIG_KEY = "attribute.kube_admin_config_raw";

/** The tenth address of the service CIDR for cluster DNS (AKS refuses the first; .10 is its convention). */
export function dnsServiceIp(serviceCidr: string): string {
  const n = block(serviceCidr).start + 10;
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");
}

/** The fields poolCommon sets: each exists on the default pool and on a KubernetesClusterNodePool alike. */
type PoolField = "vmSize" | "autoScalingEnabled" | "minCount" | "maxCount" | "nodeLabels" | "osDiskSizeGb" | "orchestratorVersion" | "vnetSubnetIdSelector"
  | "maxPods" | "zones" | "gpuDriver" | "nodePublicIpEnabled" | "temporaryNameForRotation";
/** Both shapes at once, so the literal below is checked against the default pool's fields and a node pool's. */
type PoolCommon = Pick<NonNullable<ForProvider<containerservice.KubernetesCluster>["defaultNodePool"]>, PoolField> & Pick<ForProvider<containerservice.KubernetesClusterNodePool>, PoolField>;

/** Settings a pool has whether it is the default pool or a KubernetesClusterNodePool. */
function poolCommon(p: NodePool, version: string, net: string, region: string): PoolCommon {
  const zones = p.zones ?? azureZones(region);
  return {
    vmSize: p.instanceType,
    autoScalingEnabled: true,
    minCount: p.minNodes,
    maxCount: p.maxNodes,
    nodeLabels: Object.keys(p.labels).length ? p.labels : undefined,
    osDiskSizeGb: p.diskSizeGB,
    orchestratorVersion: version,
    vnetSubnetIdSelector: ofNetwork(net, { tier: "private" }),
    maxPods: p.maxPods,
    zones: zones.length ? [...zones] : undefined,
    // Immutable on AKS: set at creation from the VM size (N-series), never toggled later.
    gpuDriver: INSTANCE_TYPE.azure.gpu.test(p.instanceType) ? "Install" : undefined,
    nodePublicIpEnabled: false,
    temporaryNameForRotation: rotationName(p.name),
  };
}

export const renderAzure: Renderer<K8sClusterSpec> = (ctx) => {
  const { xr, spec, observed } = ctx;
  const location = spec.region;
  const network = networkOf(ctx);
  const net = network.name;
  // Typed, so the spreads below are checked (a spread of an untyped object would hide its fields).
  const rg: Pick<ForProvider<containerservice.KubernetesCluster>, "resourceGroupNameSelector"> = { resourceGroupNameSelector: ofNetwork(net, { resource: "resource-group" }) };
  const tags = tagsFor("K8sCluster", xr, spec.tags);
  const name = aksName(xr);
  const s = new Stages(observed);
  const cluster = atProvider(observed[CLUSTER]);
  const { version, warning } = renderVersion(spec, str(cluster["currentKubernetesVersion"]) ?? str(cluster["kubernetesVersion"]));
  const policies = nodePolicies(spec.deletionProtection);

  // 1. Identity and workspace.
  s.add("identity", managed<msi.UserAssignedIdentity>(MI, "UserAssignedIdentity", "identity", { location, ...rg, name: `${name}-aks`, tags }));
  s.add("workspace", managed<operationalinsights.Workspace>(OI, "Workspace", "workspace", { location, ...rg, sku: "PerGB2018", retentionInDays: spec.monitoring.logRetentionDays, tags }));
  s.add("usage-network", networkUsage("usage-network", {
    network: net,
    tier: "private",
    by: { apiVersion: CS, kind: "KubernetesCluster", key: CLUSTER },
    reason: `AKS cluster ${name} (${xr.namespace}/${xr.name}) runs in this network's private subnet`,
  }));

  // 2. The identity's roles on the Network's VNet, NAT gateway and application NSG (tables.ts
  // AKS_NETWORK_ROLES). The scopes are ids the Network publishes in its status (a selector cannot fill
  // a role assignment's scope); while one is briefly unreadable, the assignment keeps the scope it has.
  const identity = atProvider(observed["identity"]);
  const roleKeys = [...AKS_NETWORK_ROLES.map((r) => r.key), LEGACY_NETWORK_ROLE];
  const principal = str(identity["principalId"]) ?? roleKeys.map((k) => seen(observed[k], "principalId") as string | undefined).find((p) => p !== undefined);
  const networkRole = (key: string, scope: string | undefined, what: string) =>
    managed<authorization.RoleAssignment>(AUTH, "RoleAssignment", key, {
      scope,
      principalId: principal,
      principalType: "ServicePrincipal",
      roleDefinitionName: "Network Contributor",
      skipServicePrincipalAadCheck: true,
      description: `AKS ${name}: ${what}`,
    });
  for (const r of AKS_NETWORK_ROLES) {
    const scope = network[r.scope] ?? (seen(observed[r.key], "scope") as string | undefined);
    s.gate(r.key, scope !== undefined && principal !== undefined, () => networkRole(r.key, scope, r.what));
  }
  // Clusters created before the roles were narrowed hold Network Contributor on the whole resource
  // group. A role assignment's scope cannot change in place (azurerm scope is ForceNew), so the narrow
  // ones are new assignments under new keys, and the old one is removed only once all of them are
  // Ready: the cluster never runs without the permissions it needs.
  const narrowed = AKS_NETWORK_ROLES.every((r) => s.ready(r.key));
  const legacyScope = seen(observed[LEGACY_NETWORK_ROLE], "scope") as string | undefined;
  if (observed[LEGACY_NETWORK_ROLE] && !narrowed && legacyScope !== undefined) {
    s.add(LEGACY_NETWORK_ROLE, networkRole(LEGACY_NETWORK_ROLE, legacyScope, "joins nodes and load balancers to the Network's subnets"));
  }

  // The workspace's id, or while it is briefly unreadable the id its users already carry.
  const workspaceId =
    str(atProvider(observed["workspace"])["id"]) ??
    (seen(observed[CLUSTER], "omsAgent", "logAnalyticsWorkspaceId") as string | undefined) ??
    (seen(observed[INSIGHTS_RULE], "destinations", "logAnalytics", 0, "workspaceResourceId") as string | undefined) ??
    (seen(observed["diagnostic-setting"], "logAnalyticsWorkspaceId") as string | undefined);

  // Container Insights collects what this rule says, into the workspace (tables.ts CONTAINER_INSIGHTS).
  const withInsights = spec.monitoring.containerInsights;
  const ci = CONTAINER_INSIGHTS;
  if (withInsights) {
    s.gate(INSIGHTS_RULE, workspaceId !== undefined, () =>
      managed<insights.MonitorDataCollectionRule>(INSIGHTS, "MonitorDataCollectionRule", INSIGHTS_RULE, {
        location,
        ...rg,
        kind: ci.ruleKind,
        description: `Container Insights of AKS ${name} (${xr.namespace}/${xr.name})`,
        dataSources: { extension: [{ name: ci.dataSourceName, extensionName: ci.extensionName, streams: [...ci.streams], extensionJson: JSON.stringify(ci.settings) }] },
        destinations: { logAnalytics: [{ name: ci.destination, workspaceResourceId: workspaceId }] },
        dataFlow: [{ streams: [...ci.streams], destinations: [ci.destination] }],
        tags,
      }, { annotations: { "crossplane.io/external-name": insightsRuleName(xr, location) } }),
    );
  }

  // 3. The cluster, with the system pool as its default pool.
  const system = spec.nodePools.find((p) => p.mode === "system")!;
  const a = spec.apiAccess;
  const profile = spec.autoscaler;
  // Authorized IP ranges: AKS adds a Standard Load Balancer's outbound IP by itself, but not a NAT
  // gateway's (articles/aks/api-server-authorized-ip-ranges.md: "The cluster egress IP address
  // (firewall, NAT gateway, ...)" is to be included; MicrosoftDocs/azure-docs#111834: node pools fail
  // to provision without it, #97437: "we need to add the NAT Gateway's IP into the authorized IP
  // ranges list"), so the Network's NAT IPs go in beside allowedCidrs. Until they are known a new
  // cluster waits; an existing one keeps the NAT ranges it was given (recorded on it, so a change of
  // allowedCidrs meanwhile neither keeps a removed range nor drops the NAT's), or, if it has none
  // recorded, its access profile as it is.
  const limited = a.public && a.allowedCidrs.length > 0;
  const seenProfile = seen(observed[CLUSTER], "apiServerAccessProfile") as { authorizedIpRanges?: string[] } | undefined;
  const recorded = observed[CLUSTER]?.resource.metadata?.annotations?.[NAT_RANGES_ANNOTATION];
  const natRanges = network.natPublicIps?.map((ip) => `${ip}/32`) ?? nonEmpty(recorded?.split(",").filter(Boolean));
  // The field is a set (x-kubernetes-list-type: set): no duplicates, even if allowedCidrs names a NAT IP.
  // Then Crossplane's egress (common.ts apiAccessCidrs, from the platform EnvironmentConfig), so that
  // provider-kubernetes and provider-helm reach the cluster; not recorded: the EnvironmentConfig is
  // always readable, and a range it drops must leave. AKS takes 200 ranges
  // (learn.microsoft.com/azure/aks/api-server-authorized-ip-ranges): 40 allowedCidrs, the NAT's and
  // at most 10 egress CIDRs (shared/platform.ts) stay well inside.
  const egress = egressCidrs(ctx);
  const accessProfile = !limited ? undefined : natRanges ? { authorizedIpRanges: [...new Set([...(apiAccessCidrs(spec, egress) ?? []), ...natRanges])] } : seenProfile;
  // Said first in MESSAGE, whose first item is cut at 60 characters: the point comes first.
  const awaiting = limited && !natRanges ? [`Network ${network.name}'s NAT IP (status.natPublicIps): AKS must allow it in authorizedIpRanges beside allowedCidrs, or the nodes cannot reach the API server`] : [];
  s.gate(CLUSTER, narrowed && workspaceId !== undefined && (!limited || natRanges !== undefined), () =>
    managed<containerservice.KubernetesCluster>(CS, "KubernetesCluster", CLUSTER, {
      location,
      ...rg,
      dnsPrefix: dnsPrefix(xr),
      kubernetesVersion: version,
      // Patch upgrades by Azure; minors only through spec.version. A minor-only kubernetesVersion
      // avoids the patch-drift loop of Azure/terraform-azurerm-aks#335.
      automaticUpgradeChannel: "patch",
      nodeOsUpgradeChannel: "NodeImage",
      // Long-term support is the Premium tier with the AKSLongTermSupport plan; both change in place.
      ...AKS_SUPPORT_PLAN[spec.extendedSupport ? "extended" : "standard"],
      identity: { type: "UserAssigned", identityIdsSelector: own("identity") },
      oidcIssuerEnabled: true,
      workloadIdentityEnabled: true,
      // Local accounts stay on in v1alpha1: provider-kubernetes and provider-helm use the admin
      // kubeconfig (AKS_ADMIN_KUBECONFIG_KEY), which exists only while they are (research/next-apis.md
      // §1.8; README, K8sCluster, for the identity-based alternative).
      localAccountDisabled: false,
      roleBasedAccessControlEnabled: true,
      azureActiveDirectoryRoleBasedAccessControl: { azureRbacEnabled: true },
      privateClusterEnabled: !a.public,
      apiServerAccessProfile: accessProfile,
      azurePolicyEnabled: true,
      runCommandEnabled: false,
      networkProfile: {
        networkPlugin: "azure",
        networkPluginMode: "overlay",
        networkDataPlane: "cilium",
        networkPolicy: "cilium",
        podCidr: spec.networking.podCidr,
        serviceCidr: spec.networking.serviceCidr,
        dnsServiceIp: dnsServiceIp(spec.networking.serviceCidr),
        // Egress through the NAT gateway the Network attaches to its private subnet.
        outboundType: "userAssignedNATGateway",
        loadBalancerSku: "standard",
      },
      autoScalerProfile: {
        scaleDownDelayAfterAdd: profile.scaleDownDelayAfterAdd,
        scaleDownUnneeded: profile.scaleDownUnneeded,
        scaleDownUtilizationThreshold: profile.scaleDownUtilizationThreshold,
        skipNodesWithLocalStorage: profile.skipNodesWithLocalStorage,
        skipNodesWithSystemPods: profile.skipNodesWithSystemPods,
        expander: profile.expander,
      },
      defaultNodePool: {
        name: system.name,
        type: "VirtualMachineScaleSets",
        ...poolCommon(system, version, net, location),
        // The only taint AKS lets the system pool carry, as its own switch.
        onlyCriticalAddonsEnabled: system.taints.some((t) => t.key === "CriticalAddonsOnly") || undefined,
      },
      omsAgent: withInsights ? { logAnalyticsWorkspaceId: workspaceId, msiAuthForMonitoringEnabled: true } : undefined,
      keyManagementService: spec.encryption.keyId ? { keyVaultKeyId: spec.encryption.keyId, keyVaultNetworkAccess: "Public" } : undefined,
      tags,
    }, {
      annotations: { "crossplane.io/external-name": name, ...(natRanges ? { [NAT_RANGES_ANNOTATION]: natRanges.join(",") } : {}) },
      connectionSecret: adminSecretName(xr),
      initProvider: { defaultNodePool: { nodeCount: initialNodes(system) } },
      // The default pool's count is the autoscaler's too: no LateInitialize (provider-upjet-azure#636).
      managementPolicies: policies,
    }),
  );

  // 4. Once the cluster is Ready: user pools, admins, diagnostics.
  const clusterReady = s.ready(CLUSTER);
  const clusterId = str(cluster["id"]);
  for (const p of spec.nodePools.filter((x) => x.mode === "user")) {
    const key = poolKey(p.name);
    const spot = p.capacity === "spot";
    const taints = p.taints.map((t) => `${t.key}=${t.value}:${t.effect}`);
    s.gate(key, clusterReady, () =>
      managed<containerservice.KubernetesClusterNodePool>(CS, "KubernetesClusterNodePool", key, {
        kubernetesClusterIdSelector: own(CLUSTER),
        mode: "User",
        osType: "Linux",
        // User pools follow the control plane once it runs the new minor; the default pool upgrades with it.
        ...poolCommon(p, nodeVersion(version, str(cluster["currentKubernetesVersion"])), net, location),
        nodeTaints: spot ? [...taints, SPOT_TAINT] : taints.length ? taints : undefined,
        priority: spot ? "Spot" : "Regular",
        evictionPolicy: spot ? "Delete" : undefined,
        // Pay up to the on-demand price, never be evicted for price alone.
        spotMaxPrice: spot ? -1 : undefined,
        // AKS cannot rotate spot pools through a temporary pool.
        temporaryNameForRotation: spot ? undefined : rotationName(p.name),
        tags,
      }, {
        annotations: { "crossplane.io/external-name": p.name },
        initProvider: { nodeCount: initialNodes(p) },
        managementPolicies: policies,
      }),
    );
    if (s.resources[key]) {
      s.add(`usage-${key}`, usage<containerservice.KubernetesCluster, containerservice.KubernetesClusterNodePool>(`usage-${key}`, { apiVersion: CS, kind: "KubernetesCluster", key: CLUSTER }, { apiVersion: CS, kind: "KubernetesClusterNodePool", key }, `node pool ${p.name} runs in this cluster`));
    }
  }
  const target = clusterId ?? (seen(observed["diagnostic-setting"], "targetResourceId") as string | undefined);
  for (const principalId of spec.admins) {
    const key = adminKey(principalId);
    s.gate(key, clusterReady && target !== undefined, () =>
      managed<authorization.RoleAssignment>(AUTH, "RoleAssignment", key, {
        scope: target,
        principalId,
        roleDefinitionName: "Azure Kubernetes Service RBAC Cluster Admin",
        description: `Cluster admin of ${xr.namespace}/${xr.name}`,
      }),
    );
  }
  const logs = spec.monitoring.controlPlaneLogs;
  if (logs.length) {
    s.gate("diagnostic-setting", clusterReady && target !== undefined && workspaceId !== undefined, () =>
      managed<insights.MonitorDiagnosticSetting>(INSIGHTS, "MonitorDiagnosticSetting", "diagnostic-setting", {
        name: "tessera-control-plane",
        targetResourceId: target,
        logAnalyticsWorkspaceId: workspaceId,
        logAnalyticsDestinationType: "Dedicated",
        enabledLog: logs.map((l): NonNullable<ForProvider<insights.MonitorDiagnosticSetting>["enabledLog"]>[number] => ({ category: AKS_LOG_CATEGORY[l] })),
      }),
    );
  }

  // The rule applies to the cluster through this association (an extension resource of the cluster);
  // the Usage keeps the rule until the association is gone (the CLI notes that an association keeps
  // the rule and the cluster from being deleted on their own).
  const associated = clusterId ?? (seen(observed[INSIGHTS_ASSOCIATION], "targetResourceId") as string | undefined);
  if (withInsights) {
    s.gate(INSIGHTS_ASSOCIATION, clusterReady && s.ready(INSIGHTS_RULE) && associated !== undefined, () =>
      managed<insights.MonitorDataCollectionRuleAssociation>(INSIGHTS, "MonitorDataCollectionRuleAssociation", INSIGHTS_ASSOCIATION, {
        targetResourceId: associated,
        dataCollectionRuleIdSelector: own(INSIGHTS_RULE),
        description: "Container Insights: deleting this association stops data collection for this AKS cluster.",
      }, { annotations: { "crossplane.io/external-name": ci.associationName } }),
    );
    if (s.resources[INSIGHTS_ASSOCIATION]) {
      s.add(`usage-${INSIGHTS_RULE}`, usage<insights.MonitorDataCollectionRule, insights.MonitorDataCollectionRuleAssociation>(`usage-${INSIGHTS_RULE}`, { apiVersion: INSIGHTS, kind: "MonitorDataCollectionRule", key: INSIGHTS_RULE }, { apiVersion: INSIGHTS, kind: "MonitorDataCollectionRuleAssociation", key: INSIGHTS_ASSOCIATION }, "Container Insights associates this rule with the AKS cluster"));
    }
  }

  // In the cluster: ProviderConfigs and namespaces (AKS runs its own autoscaler: autoScalerProfile).
  renderInCluster(s, xr, spec, {
    kubeconfig: { name: adminSecretName(xr), key: AKS_ADMIN_KUBECONFIG_KEY },
    cluster: { apiVersion: CS, kind: "KubernetesCluster" },
    // The system pool is the default pool: Ready with the cluster.
    ready: clusterReady,
  });

  // Connection Secret and status.
  const kubeconfig = observed[CLUSTER]?.connectionDetails[AKS_ADMIN_KUBECONFIG_KEY] || undefined;
  const fromKubeconfig = kubeconfigCluster(kubeconfig);
  const fqdn = str(cluster["fqdn"]) ?? str(cluster["privateFqdn"]);
  const endpoint = fromKubeconfig.server ?? (fqdn ? `https://${fqdn}:443` : undefined);
  const conn = connectionSecret(ctx, { kubeconfig, endpoint, caBase64: fromKubeconfig.ca, clusterName: name });
  if (conn) s.add(CONNECTION_SECRET, conn);
  else s.pending.push(CONNECTION_SECRET);

  return {
    resources: s.resources,
    pending: s.pending,
    awaiting,
    // A pool taken out of spec.nodePools is deliberately removed (orphaned while deletionProtection is on).
    released: Object.keys(observed).filter((k) => k.startsWith("nodepool-") && !s.resources[k]),
    status: {
      clusterName: name,
      clusterId,
      endpoint,
      ...versionStatus("azure", spec, str(cluster["currentKubernetesVersion"])),
      oidcIssuerUrl: str(cluster["oidcIssuerUrl"]),
      nodeResourceGroup: str(cluster["nodeResourceGroup"]),
      // The system pool is the cluster's default pool.
      nodePools: poolStatus(spec, observed, (p) => (p.mode === "system" ? CLUSTER : poolKey(p.name))),
      warnings: warnings(spec, warning, egress),
      connectionSecretName: conn ? connectionSecretName(ctx) : undefined,
    },
  };
};
