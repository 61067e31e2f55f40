//! The VPC's endpoints (read only): what private subnets without internet egress can reach.

use aws_sdk_ec2::types::{Filter, VpcEndpointType};
use aws_sdk_ec2::Client;

use super::required;
use crate::error::{Every, Result};

/// A VPC endpoint as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VpcEndpoint {
    /// Its id (`vpce-…`).
    pub id: String,
    /// The service it reaches (`com.amazonaws.us-east-1.ecr.dkr`).
    pub service_name: String,
    /// A gateway endpoint (S3, DynamoDB), reached through route tables; else an interface one.
    pub gateway: bool,
    /// The route tables a gateway endpoint is in.
    pub route_table_ids: Vec<String>,
    /// Whether it can be used (state `available`, or `pending` just after its creation).
    pub usable: bool,
    /// Whether an interface endpoint answers for the service's own host names.
    pub private_dns: bool,
    /// The security groups of an interface endpoint's network interfaces.
    pub groups: Vec<String>,
    /// Whether its private DNS answers only for inbound resolver endpoints (an S3 interface
    /// endpoint beside a gateway one: the VPC's own requests go to the gateway).
    pub dns_inbound_only: bool,
}

impl VpcEndpoint {
    /// Whether it is a usable interface endpoint with private DNS whose service name ends
    /// with `suffix` (`.us-east-1.ecr.dkr`, `.logs`): one that answers the service's own host
    /// names in the VPC.
    pub fn answers(&self, suffix: &str) -> bool {
        self.usable && !self.gateway && self.private_dns && self.service_name.ends_with(suffix)
    }
}

const KIND: &str = "VPC endpoint";

/// Every endpoint of `vpc_id`.
pub async fn find_all_in(ec2: &Client, vpc_id: &str) -> Result<Vec<VpcEndpoint>> {
    let listed: Vec<_> = ec2
        .describe_vpc_endpoints()
        .filters(Filter::builder().name("vpc-id").values(vpc_id).build())
        .into_paginator()
        .items()
        .send()
        .every(format!("reading VPC endpoints of VPC ({vpc_id})"))
        .await?;
    listed
        .iter()
        .map(|e| {
            Ok(VpcEndpoint {
                id: required(e.vpc_endpoint_id(), KIND, "vpcEndpointId")?,
                service_name: required(e.service_name(), KIND, "serviceName")?,
                gateway: e.vpc_endpoint_type() == Some(&VpcEndpointType::Gateway),
                route_table_ids: e.route_table_ids().to_vec(),
                // EC2 answers the state in lower case, which the SDK's enum does not match
                // (awslabs/aws-sdk-rust#619): compare the text.
                usable: e.state().is_none_or(|s| {
                    ["available", "pending"]
                        .iter()
                        .any(|u| s.as_str().eq_ignore_ascii_case(u))
                }),
                private_dns: e.private_dns_enabled().unwrap_or(false),
                dns_inbound_only: e
                    .dns_options()
                    .and_then(|d| d.private_dns_only_for_inbound_resolver_endpoint())
                    .unwrap_or(false),
                groups: e
                    .groups()
                    .iter()
                    .filter_map(|g| g.group_id().map(str::to_string))
                    .collect(),
            })
        })
        .collect()
}
