/**
 * Network on Azure: a resource group and VNet with one subnet per tier, network security groups with
 * the same tier rules as AWS (plus an explicit deny of other VNet traffic, which Azure allows by
 * default), a NAT gateway for the application tier, the database subnet delegated to PostgreSQL
 * Flexible Server, and the private DNS zone Flexible Server needs for VNet integration.
 */
import type { NetworkSpec, Tier } from "../../apis/network/schema.ts";
import { LABELS, managed, own } from "../shared/resources.ts";
import { atProvider, str } from "../shared/observed.ts";
import { tagsFor } from "../shared/tags.ts";
import type { K8sObject, Renderer } from "../shared/types.ts";

const NET = "network.azure.m.upbound.io/v1beta1";
const SG_TIER: Record<Tier, string> = { public: "load-balancer", private: "app", database: "database", cache: "cache" };

/** Suffix every Flexible Server private DNS zone must end with. */
export const POSTGRES_DNS_SUFFIX = "private.postgres.database.azure.com";
/** The Private Link zone Azure Cache for Redis private endpoints resolve through. */
export const REDIS_DNS_ZONE = "privatelink.redis.cache.windows.net";

interface NsgRule {
  name: string;
  access: "Allow" | "Deny";
  protocol: "Tcp" | "*";
  ports: string[];
  from: string;
  description: string;
}

export const renderAzure: Renderer<NetworkSpec> = ({ xr, spec, observed }) => {
  const location = spec.region;
  const r: Record<string, K8sObject> = {};
  const tags = tagsFor("Network", xr, spec.tags);
  const labels = (tier?: Tier) => ({ [LABELS.network]: xr.name, ...(tier ? { [LABELS.tier]: tier } : {}) });
  const rg = { resourceGroupNameSelector: own("resource-group") };
  const tiers = (Object.keys(SG_TIER) as Tier[]).filter((t) => spec.subnets[t]);
  const cidrOf = (t: Tier) => spec.subnets[t]?.[0]?.cidr as string;

  r["resource-group"] = managed("azure.m.upbound.io/v1beta1", "ResourceGroup", "resource-group", { location, tags }, { labels: labels() });
  r["virtual-network"] = managed(NET, "VirtualNetwork", "virtual-network", { location, ...rg, addressSpace: [spec.cidr], tags }, { labels: labels() });

  // Tier rules, as data. Azure allows all VNet-internal traffic by default (AllowVnetInBound), so the
  // private and data tiers end with an explicit deny to make "only from the application tier" true.
  const denyVnet: NsgRule = { name: "DenyOtherVnetInbound", access: "Deny", protocol: "*", ports: ["*"], from: "VirtualNetwork", description: "Nothing else inside the VNet" };
  const lb: NsgRule = { name: "AllowAzureLoadBalancerInbound", access: "Allow", protocol: "*", ports: ["*"], from: "AzureLoadBalancer", description: "Azure health probes" };
  const rules: Record<Tier, NsgRule[]> = {
    public: [
      { name: "AllowHttpInbound", access: "Allow", protocol: "Tcp", ports: ["80"], from: "Internet", description: "HTTP from the internet (redirect to HTTPS)" },
      { name: "AllowHttpsInbound", access: "Allow", protocol: "Tcp", ports: ["443"], from: "Internet", description: "HTTPS from the internet" },
      // Application Gateway v2 cannot start without its control-plane ports; they are not data ports.
      { name: "AllowGatewayManagerInbound", access: "Allow", protocol: "Tcp", ports: ["65200-65535"], from: "GatewayManager", description: "Application Gateway v2 infrastructure" },
      lb,
    ],
    private: [
      { name: "AllowAppFromLoadBalancerTier", access: "Allow", protocol: "Tcp", ports: spec.appPorts.map(String), from: cidrOf("public"), description: "From the load-balancer tier" },
      lb,
      denyVnet,
    ],
    database: [
      { name: "AllowPostgresFromAppTier", access: "Allow", protocol: "Tcp", ports: ["5432"], from: cidrOf("private"), description: "PostgreSQL from the application tier" },
      denyVnet,
    ],
    cache: [
      // Azure Cache for Redis serves TLS on 6380 and, clustered, on 15000-15999; the plain port stays off.
      { name: "AllowRedisFromAppTier", access: "Allow", protocol: "Tcp", ports: ["6380", "15000-15999"], from: cidrOf("private"), description: "Redis (TLS) from the application tier" },
      lb,
      denyVnet,
    ],
  };

  for (const tier of tiers) {
    const subnetKey = `subnet-${tier}`;
    r[subnetKey] = managed(NET, "Subnet", subnetKey, {
      ...rg,
      virtualNetworkNameSelector: own("virtual-network"),
      addressPrefixes: [cidrOf(tier)],
      // No implicit outbound internet: the application tier leaves through the NAT gateway.
      defaultOutboundAccessEnabled: false,
      delegation:
        tier === "database"
          ? [{ name: "postgres-flexible-server", serviceDelegation: { name: "Microsoft.DBforPostgreSQL/flexibleServers", actions: ["Microsoft.Network/virtualNetworks/subnets/join/action"] } }]
          : undefined,
    }, { labels: labels(tier) });

    const nsgKey = `security-group-${SG_TIER[tier]}`;
    r[nsgKey] = managed(NET, "SecurityGroup", nsgKey, {
      location,
      ...rg,
      tags,
      securityRule: rules[tier].map((x, i) => ({
        name: x.name,
        priority: x.access === "Deny" ? 4000 : 100 + i * 10,
        direction: "Inbound",
        access: x.access,
        protocol: x.protocol,
        sourcePortRange: "*",
        sourceAddressPrefix: x.from,
        destinationAddressPrefix: "*",
        ...(x.ports.length === 1 ? { destinationPortRange: x.ports[0] } : { destinationPortRanges: x.ports }),
        description: x.description,
      })),
    }, { labels: labels(tier) });
    r[`security-group-association-${tier}`] = managed(NET, "SubnetNetworkSecurityGroupAssociation", `security-group-association-${tier}`, {
      subnetIdSelector: own(subnetKey),
      networkSecurityGroupIdSelector: own(nsgKey),
    });
  }

  r["nat-public-ip"] = managed(NET, "PublicIP", "nat-public-ip", { location, ...rg, allocationMethod: "Static", sku: "Standard", tags });
  r["nat-gateway"] = managed(NET, "NATGateway", "nat-gateway", { location, ...rg, skuName: "Standard", idleTimeoutInMinutes: 4, tags });
  r["nat-gateway-public-ip"] = managed(NET, "NATGatewayPublicIPAssociation", "nat-gateway-public-ip", {
    natGatewayIdSelector: own("nat-gateway"),
    publicIpAddressIdSelector: own("nat-public-ip"),
  });
  r["nat-gateway-association-private"] = managed(NET, "SubnetNATGatewayAssociation", "nat-gateway-association-private", {
    subnetIdSelector: own("subnet-private"),
    natGatewayIdSelector: own("nat-gateway"),
  });

  r["private-dns-zone-postgres"] = managed(NET, "PrivateDNSZone", "private-dns-zone-postgres", { ...rg, tags }, {
    labels: labels(),
    annotations: { "crossplane.io/external-name": `${xr.name}.${POSTGRES_DNS_SUFFIX}` },
  });
  r["private-dns-zone-link-postgres"] = managed(NET, "PrivateDNSZoneVirtualNetworkLink", "private-dns-zone-link-postgres", {
    ...rg,
    privateDnsZoneNameSelector: own("private-dns-zone-postgres"),
    virtualNetworkIdSelector: own("virtual-network"),
    registrationEnabled: false,
    tags,
  });

  if (spec.subnets.cache) {
    // Azure Cache for Redis is reached through a private endpoint in the cache subnet; the endpoint
    // registers its address in this zone, which one VNet may link only once, so the Network owns it.
    r["private-dns-zone-redis"] = managed(NET, "PrivateDNSZone", "private-dns-zone-redis", { ...rg, tags }, {
      labels: labels(),
      annotations: { "crossplane.io/external-name": REDIS_DNS_ZONE },
    });
    r["private-dns-zone-link-redis"] = managed(NET, "PrivateDNSZoneVirtualNetworkLink", "private-dns-zone-link-redis", {
      ...rg,
      privateDnsZoneNameSelector: own("private-dns-zone-redis"),
      virtualNetworkIdSelector: own("virtual-network"),
      registrationEnabled: false,
      tags,
    });
  }

  const id = (key: string) => str(atProvider(observed[key])["id"]);
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
      privateDnsZoneIds: { postgres: id("private-dns-zone-postgres"), redis: id("private-dns-zone-redis") },
    },
    pending: [],
    released: [],
  };
};
