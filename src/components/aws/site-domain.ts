import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * The Route 53 hosted zone a site's custom domain is served from: the domain's parent for a subdomain, the domain
 * itself when it has two labels.
 * @example hostedZoneName("www.example.com") === "example.com"; hostedZoneName("example.com") === "example.com"
 */
export function hostedZoneName(domain: string): string {
  const labels = domain.toLowerCase().replace(/\.$/, "").split(".");
  return (labels.length > 2 ? labels.slice(1) : labels).join(".");
}

/**
 * Id of the public hosted zone `zone` of the deploying account, looked up through the provider `opts` give. When the
 * account has no such zone the deployment fails with what to do, instead of the provider's bare "no matching zone".
 */
export function hostedZoneId(domain: string, zone: string, opts: pulumi.InvokeOptions): pulumi.Output<string> {
  const found = aws.route53.getZone({ name: zone }, opts).then(
    (hosted) => hosted.zoneId,
    (error: unknown) => {
      const cause = error instanceof Error ? error.message : String(error);
      throw new Error(
        `domain: ${domain} is served from the Route 53 hosted zone ${zone}, which the deploying AWS account must hold as a public zone ` +
          `(its certificate is validated and the domain pointed at CloudFront there), and looking it up failed${cause ? `: ${cause}` : ""}. ` +
          `Create the hosted zone ${zone} and delegate the domain to its name servers, or deploy without a domain.`,
      );
    },
  );
  return pulumi.output(found);
}

/** Where `validatedCertificate` declares its resources. */
export interface CertificateOptions {
  /** The component the certificate belongs to. */
  readonly parent: pulumi.Resource;
  /** Provider in us-east-1: CloudFront takes ACM certificates from that region only. @default the parent's provider */
  readonly provider?: pulumi.ProviderResource;
}

/**
 * An ACM certificate for `domain`, validated by DNS in the hosted zone `zoneId`: the certificate and its validation go
 * through the us-east-1 provider, the validation record through the parent's (Route 53 is global). Resolves to the
 * certificate's ARN once ACM has issued it, so a distribution using it waits for the validation.
 */
export function validatedCertificate(
  name: string,
  args: { readonly domain: string; readonly zoneId: pulumi.Input<string>; readonly tags: Readonly<Record<string, string>> },
  opts: CertificateOptions,
): pulumi.Output<string> {
  const certificate = new aws.acm.Certificate(
    `${name}-certificate`,
    { domainName: args.domain, validationMethod: "DNS", tags: { ...args.tags } },
    { parent: opts.parent, provider: opts.provider },
  );
  // One domain, so ACM asks for one record.
  const challenge = certificate.domainValidationOptions[0]!;
  const record = new aws.route53.Record(
    `${name}-certificate-record`,
    {
      zoneId: args.zoneId,
      name: challenge.resourceRecordName,
      type: challenge.resourceRecordType,
      records: [challenge.resourceRecordValue],
      ttl: 300,
      // ACM asks every certificate of the account for the same record for a domain, so an earlier certificate's
      // record (a replaced one, another stack's) may already be there with the right value.
      allowOverwrite: true,
    },
    { parent: opts.parent },
  );
  const validation = new aws.acm.CertificateValidation(
    `${name}-certificate-validation`,
    { certificateArn: certificate.arn, validationRecordFqdns: [record.fqdn] },
    { parent: opts.parent, provider: opts.provider },
  );
  return validation.certificateArn;
}

/** Points `domain` at a CloudFront distribution with alias records (IPv4 and IPv6) in the hosted zone `zoneId`. */
export function aliasRecords(
  name: string,
  args: { readonly domain: string; readonly zoneId: pulumi.Input<string>; readonly distribution: aws.cloudfront.Distribution },
  opts: { readonly parent: pulumi.Resource },
): aws.route53.Record[] {
  return (["A", "AAAA"] as const).map(
    (type) =>
      new aws.route53.Record(
        `${name}-alias-${type.toLowerCase()}`,
        {
          zoneId: args.zoneId,
          name: args.domain,
          type,
          aliases: [{ name: args.distribution.domainName, zoneId: args.distribution.hostedZoneId, evaluateTargetHealth: false }],
        },
        { parent: opts.parent },
      ),
  );
}
