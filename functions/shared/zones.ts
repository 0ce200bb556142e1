/**
 * Availability zones per region, as data: which zone letters AWS offers in each region, and which
 * Azure regions have availability zones at all. Renderers and checks look zones up here instead of
 * assuming every region has zones a-f (AWS) or 1-3 (Azure).
 *
 * AWS: zone letters are what `aws ec2 describe-availability-zones` lists for new accounts. Letters map
 * to physical zones per account, and a few regions skip letters (ap-northeast-1 has no "b" for
 * accounts created since 2012; ca-central-1 has no "c"); us-west-1 offers two zones to any one
 * account, named b/c or a/c depending on the account, so a, b and c are all accepted there.
 * Source: https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-availability-zones.html
 *
 * Azure: regions without availability zones take no `zones` on zonal resources (Flexible Server
 * zone-redundant HA, Azure Managed Redis, Standard public IPs...), and the API refuses them there.
 * Source: https://learn.microsoft.com/azure/reliability/availability-zones-region-support
 */
import type { REGIONS } from "../../apis/shared/common.ts";

type AwsRegion = (typeof REGIONS)["aws"][number];
type AzureRegion = (typeof REGIONS)["azure"][number];

const abc = ["a", "b", "c"] as const;

/** Zone letters AWS offers in each region Tessera supports. */
export const AWS_ZONES: Record<AwsRegion, readonly string[]> = {
  "us-east-1": ["a", "b", "c", "d", "e", "f"],
  "us-east-2": abc,
  "us-west-1": abc,
  "us-west-2": ["a", "b", "c", "d"],
  "ca-central-1": ["a", "b", "d"],
  "ca-west-1": abc,
  "mx-central-1": abc,
  "sa-east-1": abc,
  "eu-west-1": abc,
  "eu-west-2": abc,
  "eu-west-3": abc,
  "eu-central-1": abc,
  "eu-central-2": abc,
  "eu-north-1": abc,
  "eu-south-1": abc,
  "eu-south-2": abc,
  "ap-south-1": abc,
  "ap-south-2": abc,
  "ap-southeast-1": abc,
  "ap-southeast-2": abc,
  "ap-southeast-3": abc,
  "ap-southeast-4": abc,
  "ap-southeast-5": abc,
  "ap-southeast-7": abc,
  "ap-northeast-1": ["a", "c", "d"],
  "ap-northeast-2": ["a", "b", "c", "d"],
  "ap-northeast-3": abc,
  "ap-east-1": abc,
  "me-south-1": abc,
  "me-central-1": abc,
  "il-central-1": abc,
  "af-south-1": abc,
};

/** Azure regions Tessera supports that have no availability zones. Every other supported region has zones 1, 2 and 3. */
export const AZURE_REGIONS_WITHOUT_ZONES: ReadonlySet<AzureRegion> = new Set<AzureRegion>([
  "westus",
  "westcentralus",
  "northcentralus",
  "canadaeast",
  "ukwest",
  "japanwest",
  "southindia",
  "australiasoutheast",
]);

/** Azure zones ("1", "2", "3") in `region`; empty where the region has none. */
export function azureZones(region: string): readonly string[] {
  return AZURE_REGIONS_WITHOUT_ZONES.has(region as AzureRegion) ? [] : ["1", "2", "3"];
}

/** AWS zone letters in `region`; empty for a region Tessera does not know (the region check refuses it first). */
export function awsZones(region: string): readonly string[] {
  return AWS_ZONES[region as AwsRegion] ?? [];
}
