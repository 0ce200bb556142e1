/**
 * Network on Azure: a resource group and VNet with one subnet per tier, network security groups with
 * the same tier rules as AWS (plus explicit denies of other VNet and internet traffic, which Azure
 * allows by default), a NAT gateway for the application tier, the database subnet delegated to
 * PostgreSQL Flexible Server, the private DNS zones Flexible Server and Redis private endpoints need,
 * and VNet peerings to the Networks named in spec.peerings.
 */
import { RESERVED_PER_SUBNET, type NetworkSpec, type Tier } from "../../apis/network/schema.ts";
import { block } from "../shared/cidr.ts";
import { LABELS, managed, ofNetwork, own, RETAIN } from "../shared/resources.ts";
import { atProvider, str } from "../shared/observed.ts";
import { tagsFor } from "../shared/tags.ts";
import type { K8sObject, Renderer } from "../shared/types.ts";
import type * as azure from "../crds/azure.m.upbound.io.ts";
import type * as network from "../crds/network.azure.m.upbound.io.ts";
import { dependantsOf } from "./dependants.ts";

const NET = "network.azure.m.upbound.io/v1beta1";
const SG_TIER: Record<Tier, string> = { public: "load-balancer", private: "app", database: "database", cache: "cache" };

/** Suffix every Flexible Server private DNS zone must end with. */
export const POSTGRES_DNS_SUFFIX = "private.postgres.database.azure.com";
/** The Private Link zone Azure Cache for Redis private endpoints resolve through (caches that already exist). */
export const REDIS_DNS_ZONE = "privatelink.redis.cache.windows.net";
/** The Private Link zone Azure Managed Redis private endpoints resolve through. https://learn.microsoft.com/azure/private-link/private-endpoint-dns */
export const MANAGED_REDIS_DNS_ZONE = "privatelink.redis.azure.net";
/** The Private Link zone Service Bus private endpoints (MessageQueue on Premium) resolve through. */
export const SERVICE_BUS_DNS_ZONE = "privatelink.servicebus.windows.net";

/**
 * Redis ports the cache tier admits from the application tier. Azure Managed Redis serves TLS on
 * 10000 and, with the OSS clustering policy, one port per shard in 8500-8599; Azure Cache for Redis
 * (caches created before the move to Managed Redis) serves TLS on 6380 and, clustered, 15000-15999.
 * The plain-text ports stay closed. https://learn.microsoft.com/azure/redis/architecture#cluster-policies
 */
export const REDIS_PORTS = ["10000", "8500-8599", "6380", "15000-15999"];

/** `<prefix>-<peer>`, or when longer than `max`, its first characters and a hash of the peer's name (stable, distinct per peer). */
function boundedName(prefix: string, peer: string, max: number): string {
  const name = `${prefix}-${peer}`;
  if (name.length <= max) return name;
  let h = 0;
  for (const c of peer) h = (Math.imul(h, 31) + c.charCodeAt(0)) | 0;
  return `${name.slice(0, max - 9)}-${(h >>> 0).toString(16).padStart(8, "0")}`;
}
/** NSG rule name carrying a peer Network's name, within Azure's 80 characters. */
const withPeer = (prefix: string, peer: string) => boundedName(prefix, peer, 80);
/** Composed-resource key for a peer's resources; the key is a label value, which holds 63 characters. */
export const peerKey = (prefix: string, peer: string) => boundedName(prefix, peer, 63);

interface NsgRule {
  name: string;
  direction: "Inbound" | "Outbound";
  access: "Allow" | "Deny";
  protocol: "Tcp" | "Udp" | "*";
  ports: string[];
  from: string;
  to: string;
  description: string;
}

const inbound = (name: string, protocol: NsgRule["protocol"], ports: string[], from: string, description: string): NsgRule =>
  ({ name, direction: "Inbound", access: "Allow", protocol, ports, from, to: "*", description });
const outbound = (name: string, protocol: NsgRule["protocol"], ports: string[], to: string, description: string): NsgRule =>
  ({ name, direction: "Outbound", access: "Allow", protocol, ports, from: "*", to, description });
const deny = (name: string, direction: NsgRule["direction"], peer: string, description: string): NsgRule =>
  ({ name, direction, access: "Deny", protocol: "*", ports: ["*"], from: direction === "Inbound" ? peer : "*", to: direction === "Outbound" ? peer : "*", description });

/** Allow rules from 100 upwards in list order, deny rules from 4000, each direction counted on its own. */
function priorities(rules: NsgRule[]): number[] {
  const next = { Inbound: { Allow: 100, Deny: 4000 }, Outbound: { Allow: 100, Deny: 4000 } };
  return rules.map((r) => {
    const p = next[r.direction][r.access];
    next[r.direction][r.access] += 10;
    return p;
  });
}

export const renderAzure: Renderer<NetworkSpec> = ({ xr, spec, observed, required }) => {
  const location = spec.region;
  const r: Record<string, K8sObject> = {};
  const tags = tagsFor("Network", xr, spec.tags);
  const labels = (tier?: Tier) => ({ [LABELS.network]: xr.name, ...(tier ? { [LABELS.tier]: tier } : {}) });
  const rg = { resourceGroupNameSelector: own("resource-group") };
  const tiers = (Object.keys(SG_TIER) as Tier[]).filter((t) => spec.subnets[t]);
  const cidrOf = (t: Tier) => spec.subnets[t]?.[0]?.cidr as string;
  const deps = dependantsOf(required, xr);
  const peers = (spec.peerings ?? []).map((p) => {
    const net = required[`peer-${p.networkRef.name}`]?.[0];
    const db = ((net?.spec as { subnets?: { database?: Array<{ cidr?: string }> } } | undefined)?.subnets?.database ?? [])[0]?.cidr;
    return { name: p.networkRef.name, databaseCidr: db };
  });

  // Deleting an Azure resource group deletes everything in it, servers of other XRs included. The
  // Usages of this Network already stop the Network from being deleted while a dependant lives; on
  // top of that, while any dependant exists the group is managed without Delete, so neither a
  // deleted Network nor a deleted ResourceGroup object can take the servers with it. (A
  // CanNotDelete lock would be inherited by every resource in the group and stop dependants
  // from deleting their own servers.) Once the last dependant is gone, the next reconcile restores
  // Delete.
  r["resource-group"] = managed<azure.ResourceGroup>("azure.m.upbound.io/v1beta1", "ResourceGroup", "resource-group", { location, tags }, {
    labels: labels(),
    managementPolicies: deps.length > 0 ? RETAIN : undefined,
  });
  r["virtual-network"] = managed<network.VirtualNetwork>(NET, "VirtualNetwork", "virtual-network", { location, ...rg, addressSpace: [spec.cidr], tags }, { labels: labels() });

  // Tier rules, as data. Azure allows all VNet-internal traffic by default (AllowVnetInBound and
  // AllowVnetOutBound) and all outbound internet traffic (AllowInternetOutBound), so each tier ends
  // with explicit denies to make "only from/to the listed tiers" true.
  const denyVnetIn = deny("DenyOtherVnetInbound", "Inbound", "VirtualNetwork", "Nothing else inside the VNet");
  const denyVnetOut = deny("DenyOtherVnetOutbound", "Outbound", "VirtualNetwork", "Nothing else inside the VNet");
  const denyInternetOut = deny("DenyInternetOutbound", "Outbound", "Internet", "No other internet egress");
  const lb = inbound("AllowAzureLoadBalancerInbound", "*", ["*"], "AzureLoadBalancer", "Azure health probes");
  // Each subnet may reach itself (issue: AKS nodes and pods in the application tier, Flexible Server
  // zone-redundant HA in the database tier); these sit above the deny rules.
  const self = (t: Tier, protocol: NsgRule["protocol"], ports: string[], what: string) => [
    inbound(`AllowSelfInbound`, protocol, ports, cidrOf(t), `Within the subnet: ${what}`),
    outbound(`AllowSelfOutbound`, protocol, ports, cidrOf(t), `Within the subnet: ${what}`),
  ];
  const rules: Record<Tier, NsgRule[]> = {
    public: [
      inbound("AllowHttpInbound", "Tcp", ["80"], "Internet", "HTTP from the internet (redirect to HTTPS)"),
      inbound("AllowHttpsInbound", "Tcp", ["443"], "Internet", "HTTPS from the internet"),
      // Application Gateway v2 cannot start without its control-plane ports; they are not data ports.
      inbound("AllowGatewayManagerInbound", "Tcp", ["65200-65535"], "GatewayManager", "Application Gateway v2 infrastructure"),
      lb,
      // No outbound rules: Application Gateway v2 is unsupported behind an NSG that denies any outbound
      // connectivity (it reports health and takes updates over it), unless the subscription opts in to
      // private Application Gateway deployment. AWS's load-balancer tier, by contrast, sends only to the
      // application tier. https://learn.microsoft.com/azure/application-gateway/configuration-infrastructure#network-security-groups
    ],
    private: [
      inbound("AllowAppFromLoadBalancerTier", "Tcp", spec.appPorts.map(String), cidrOf("public"), "From the load-balancer tier"),
      ...self("private", "*", ["*"], "Kubernetes node traffic"),
      // Azure CNI overlay does not encapsulate pod traffic, so the NSG sees pod addresses, which are
      // outside the VNet (and outside the VirtualNetwork tag): node<->pod and pod<->pod need their own
      // allow. https://learn.microsoft.com/azure/aks/azure-cni-overlay#network-security-groups
      ...(spec.kubernetes?.podCidr
        ? [
            inbound("AllowPodsInbound", "*", ["*"], spec.kubernetes.podCidr, "Kubernetes pod traffic (Azure CNI overlay)"),
            outbound("AllowPodsOutbound", "*", ["*"], spec.kubernetes.podCidr, "Kubernetes pod traffic (Azure CNI overlay)"),
          ]
        : []),
      lb,
      denyVnetIn,
      // Egress (VIVR's vivr-app-sg; Broxiva's app-nsg "443 to Internet"): the data tiers on their
      // ports, HTTPS and DNS out, nothing else to the internet.
      outbound("AllowPostgresToDatabaseTier", "Tcp", ["5432"], cidrOf("database"), "PostgreSQL to the database tier"),
      ...(spec.subnets.cache ? [outbound("AllowRedisToCacheTier", "Tcp", REDIS_PORTS, cidrOf("cache"), "Redis (TLS) to the cache tier")] : []),
      outbound("AllowHttpsOutbound", "Tcp", ["443"], "Internet", "HTTPS to external APIs"),
      outbound("AllowDnsOutbound", "Udp", ["53"], "Internet", "DNS"),
      ...(spec.appEgress === "Restricted" ? [denyVnetOut] : []),
      denyInternetOut,
    ],
    database: [
      inbound("AllowPostgresFromAppTier", "Tcp", ["5432"], cidrOf("private"), "PostgreSQL from the application tier"),
      // Flexible Server HA replicates inside the delegated subnet (5432, and 6432 for PgBouncer).
      // https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-networking-private#using-network-security-groups
      ...self("database", "Tcp", ["5432", "6432"], "Flexible Server HA standby and PgBouncer"),
      ...peers.filter((p) => p.databaseCidr).flatMap((p) => [
        inbound(withPeer("AllowPostgresFromPeer", p.name), "Tcp", ["5432"], p.databaseCidr as string, `PostgreSQL replication from Network ${p.name}`),
        outbound(withPeer("AllowPostgresToPeer", p.name), "Tcp", ["5432"], p.databaseCidr as string, `PostgreSQL replication to Network ${p.name}`),
      ]),
      // Flexible Server archives WAL and backups to Azure Storage (reached through the subnet's
      // Microsoft.Storage service endpoint) and validates Entra ID sign-ins; both are platform
      // needs, not data egress. https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-networking-private
      outbound("AllowStorageOutbound", "Tcp", ["443"], "Storage", "Flexible Server WAL archive and backups"),
      outbound("AllowEntraIdOutbound", "Tcp", ["443"], "AzureActiveDirectory", "Microsoft Entra ID authentication"),
      denyVnetIn,
      denyInternetOut,
    ],
    cache: [
      inbound("AllowRedisFromAppTier", "Tcp", REDIS_PORTS, cidrOf("private"), "Redis (TLS) from the application tier"),
      ...self("cache", "*", ["*"], "within the cache tier"),
      lb,
      denyVnetIn,
      // A private endpoint only answers; nothing in this tier opens connections to the internet.
      denyInternetOut,
    ],
  };

  for (const tier of tiers) {
    const subnetKey = `subnet-${tier}`;
    r[subnetKey] = managed<network.Subnet>(NET, "Subnet", subnetKey, {
      ...rg,
      virtualNetworkNameSelector: own("virtual-network"),
      addressPrefixes: [cidrOf(tier)],
      // No implicit outbound internet: the application tier leaves through the NAT gateway.
      defaultOutboundAccessEnabled: false,
      delegation:
        tier === "database"
          ? [{ name: "postgres-flexible-server", serviceDelegation: { name: "Microsoft.DBforPostgreSQL/flexibleServers", actions: ["Microsoft.Network/virtualNetworks/subnets/join/action"] } }]
          : undefined,
      // Flexible Server reaches Azure Storage (WAL archive, zone-redundant HA) over this endpoint.
      serviceEndpoints: tier === "database" ? ["Microsoft.Storage"] : undefined,
      // The cache tier holds Redis private endpoints; with policies Disabled (Azure's default) its
      // NSG would not apply to them. https://learn.microsoft.com/azure/private-link/disable-private-endpoint-network-policy
      privateEndpointNetworkPolicies: tier === "cache" ? "Enabled" : undefined,
    }, { labels: labels(tier) });

    const nsgKey = `security-group-${SG_TIER[tier]}`;
    const prio = priorities(rules[tier]);
    r[nsgKey] = managed<network.SecurityGroup>(NET, "SecurityGroup", nsgKey, {
      location,
      ...rg,
      tags,
      // The return type is named so tsc checks the rule's fields (a literal returned from map() is not).
      securityRule: rules[tier].map((x, i): network.SecurityGroupSpecForProviderSecurityRule => ({
        name: x.name,
        priority: prio[i],
        direction: x.direction,
        access: x.access,
        protocol: x.protocol,
        sourcePortRange: "*",
        sourceAddressPrefix: x.from,
        destinationAddressPrefix: x.to,
        ...(x.ports.length === 1 ? { destinationPortRange: x.ports[0] } : { destinationPortRanges: x.ports }),
        description: x.description,
      })),
    }, { labels: labels(tier) });
    r[`security-group-association-${tier}`] = managed<network.SubnetNetworkSecurityGroupAssociation>(NET, "SubnetNetworkSecurityGroupAssociation", `security-group-association-${tier}`, {
      subnetIdSelector: own(subnetKey),
      networkSecurityGroupIdSelector: own(nsgKey),
    });
  }

  r["nat-public-ip"] = managed<network.PublicIP>(NET, "PublicIP", "nat-public-ip", { location, ...rg, allocationMethod: "Static", sku: "Standard", tags });
  r["nat-gateway"] = managed<network.NATGateway>(NET, "NATGateway", "nat-gateway", { location, ...rg, skuName: "Standard", idleTimeoutInMinutes: 4, tags });
  r["nat-gateway-public-ip"] = managed<network.NATGatewayPublicIPAssociation>(NET, "NATGatewayPublicIPAssociation", "nat-gateway-public-ip", {
    natGatewayIdSelector: own("nat-gateway"),
    publicIpAddressIdSelector: own("nat-public-ip"),
  });
  r["nat-gateway-association-private"] = managed<network.SubnetNATGatewayAssociation>(NET, "SubnetNATGatewayAssociation", "nat-gateway-association-private", {
    subnetIdSelector: own("subnet-private"),
    natGatewayIdSelector: own("nat-gateway"),
  });

  r["private-dns-zone-postgres"] = managed<network.PrivateDNSZone>(NET, "PrivateDNSZone", "private-dns-zone-postgres", { ...rg, tags }, {
    labels: labels(),
    annotations: { "crossplane.io/external-name": `${xr.name}.${POSTGRES_DNS_SUFFIX}` },
  });
  r["private-dns-zone-link-postgres"] = managed<network.PrivateDNSZoneVirtualNetworkLink>(NET, "PrivateDNSZoneVirtualNetworkLink", "private-dns-zone-link-postgres", {
    ...rg,
    privateDnsZoneNameSelector: own("private-dns-zone-postgres"),
    virtualNetworkIdSelector: own("virtual-network"),
    registrationEnabled: false,
    tags,
  });

  if (spec.subnets.cache) {
    // Azure Cache for Redis is reached through a private endpoint in the cache subnet; the endpoint
    // registers its address in this zone, which one VNet may link only once, so the Network owns it.
    // Kept for caches created before RedisCluster moved to Azure Managed Redis: keys are identities,
    // and dropping the zone would break their name resolution.
    r["private-dns-zone-redis"] = managed<network.PrivateDNSZone>(NET, "PrivateDNSZone", "private-dns-zone-redis", { ...rg, tags }, {
      labels: labels(),
      annotations: { "crossplane.io/external-name": REDIS_DNS_ZONE },
    });
    r["private-dns-zone-link-redis"] = managed<network.PrivateDNSZoneVirtualNetworkLink>(NET, "PrivateDNSZoneVirtualNetworkLink", "private-dns-zone-link-redis", {
      ...rg,
      privateDnsZoneNameSelector: own("private-dns-zone-redis"),
      virtualNetworkIdSelector: own("virtual-network"),
      registrationEnabled: false,
      tags,
    });
  }

  if (spec.subnets.cache) {
    // Azure Managed Redis private endpoints register in their own Private Link zone; the RedisCluster
    // function selects it with ofNetwork(net, { resource: "private-dns-zone-managed-redis" }).
    r["private-dns-zone-managed-redis"] = managed<network.PrivateDNSZone>(NET, "PrivateDNSZone", "private-dns-zone-managed-redis", { ...rg, tags }, {
      labels: labels(),
      annotations: { "crossplane.io/external-name": MANAGED_REDIS_DNS_ZONE },
    });
    r["private-dns-zone-link-managed-redis"] = managed<network.PrivateDNSZoneVirtualNetworkLink>(NET, "PrivateDNSZoneVirtualNetworkLink", "private-dns-zone-link-managed-redis", {
      ...rg,
      privateDnsZoneNameSelector: own("private-dns-zone-managed-redis"),
      virtualNetworkIdSelector: own("virtual-network"),
      registrationEnabled: false,
      tags,
    });
  }

  // Service Bus private endpoints (a MessageQueue with networkRef) register in this zone. A VNet links
  // only one zone of a name (MicrosoftDocs/azure-docs#122956), so the zone belongs to the Network, not
  // to any one MessageQueue; the endpoints stand in the application tier, which reaches itself.
  r["private-dns-zone-servicebus"] = managed<network.PrivateDNSZone>(NET, "PrivateDNSZone", "private-dns-zone-servicebus", { ...rg, tags }, {
    labels: labels(),
    annotations: { "crossplane.io/external-name": SERVICE_BUS_DNS_ZONE },
  });
  r["private-dns-zone-link-servicebus"] = managed<network.PrivateDNSZoneVirtualNetworkLink>(NET, "PrivateDNSZoneVirtualNetworkLink", "private-dns-zone-link-servicebus", {
    ...rg,
    privateDnsZoneNameSelector: own("private-dns-zone-servicebus"),
    virtualNetworkIdSelector: own("virtual-network"),
    registrationEnabled: false,
    tags,
  });

  // Peering: this side's half (the peer Network composes the other). The peer's VNet is selected by
  // the labels every Network puts on its resources; global peering allows another region.
  // https://learn.microsoft.com/azure/virtual-network/virtual-network-peering-overview
  for (const p of peers) {
    const key = peerKey("peering", p.name);
    r[key] = managed<network.VirtualNetworkPeering>(NET, "VirtualNetworkPeering", key, {
      ...rg,
      virtualNetworkNameSelector: own("virtual-network"),
      remoteVirtualNetworkIdSelector: ofNetwork(p.name, { resource: "virtual-network" }),
      allowVirtualNetworkAccess: true,
      allowForwardedTraffic: false,
      allowGatewayTransit: false,
      useRemoteGateways: false,
    }, { labels: labels() });
    // Resolve the peer's Flexible Servers from this VNet: a replica here, and apps here writing to
    // the primary there, find the primary by its name in the peer's private zone. The link lives in
    // the peer's resource group, beside its zone.
    const link = peerKey("private-dns-zone-link-peer-postgres", p.name);
    r[link] = managed<network.PrivateDNSZoneVirtualNetworkLink>(NET, "PrivateDNSZoneVirtualNetworkLink", link, {
      resourceGroupNameSelector: ofNetwork(p.name, { resource: "resource-group" }),
      privateDnsZoneNameSelector: ofNetwork(p.name, { resource: "private-dns-zone-postgres" }),
      virtualNetworkIdSelector: own("virtual-network"),
      registrationEnabled: false,
      tags,
    }, { labels: labels() });
  }

  const id = (key: string) => str(atProvider(observed[key])["id"]);
  const natIp = str(atProvider(observed["nat-public-ip"])["ipAddress"]);
  return {
    resources: r,
    status: {
      networkId: id("virtual-network"),
      resourceGroupName: observed["resource-group"]?.resource.metadata?.annotations?.["crossplane.io/external-name"],
      subnetIds: Object.fromEntries(tiers.map((t) => [t, id(`subnet-${t}`) ? [id(`subnet-${t}`)] : undefined])),
      securityGroupIds: {
        loadBalancer: id("security-group-load-balancer"),
        app: id("security-group-app"),
        database: id("security-group-database"),
        cache: id("security-group-cache"),
      },
      natGatewayIds: id("nat-gateway") ? [id("nat-gateway")] : undefined,
      // What the application tier's egress comes from: AKS adds a Standard Load Balancer's outbound IP
      // to its authorized IP ranges by itself, but not a NAT gateway's, so K8sCluster reads this.
      natPublicIps: natIp ? [natIp] : undefined,
      privateDnsZoneIds: { postgres: id("private-dns-zone-postgres"), redis: id("private-dns-zone-redis"), managedRedis: id("private-dns-zone-managed-redis"), servicebus: id("private-dns-zone-servicebus") },
      usableAddresses: Object.fromEntries(tiers.map((t) => [t, 2 ** (32 - block(cidrOf(t)).prefix) - RESERVED_PER_SUBNET])),
    },
    pending: [],
    released: [],
  };
};
