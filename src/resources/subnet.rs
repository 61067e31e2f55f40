//! Subnets the tasks run in (read only: prod-e never makes or changes one).

use aws_sdk_ec2::types::Filter;
use aws_sdk_ec2::Client;

use super::required;
use crate::error::{Every, Result};

/// A subnet as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subnet {
    /// Its id.
    pub id: String,
    /// Its VPC.
    pub vpc_id: String,
    /// Its Availability Zone's name (`us-east-1a`).
    pub availability_zone: String,
    /// Its IPv4 block (`10.0.1.0/24`).
    pub cidr: String,
}

const KIND: &str = "subnet";

/// Those of `ids` that exist, in any order. A `subnet-id` filter leaves out what does not
/// exist, where naming the ids would fail the whole call (`InvalidSubnetID.NotFound`).
pub async fn find_all(ec2: &Client, ids: &[String]) -> Result<Vec<Subnet>> {
    let filter = Filter::builder()
        .name("subnet-id")
        .set_values(Some(ids.to_vec()))
        .build();
    let listed: Vec<_> = ec2
        .describe_subnets()
        .filters(filter)
        .into_paginator()
        .items()
        .send()
        .every(format!("reading subnets ({})", ids.join(", ")))
        .await?;
    listed
        .iter()
        .map(|s| {
            Ok(Subnet {
                id: required(s.subnet_id(), KIND, "subnetId")?,
                vpc_id: required(s.vpc_id(), KIND, "vpcId")?,
                availability_zone: required(s.availability_zone(), KIND, "availabilityZone")?,
                cidr: required(s.cidr_block(), KIND, "cidrBlock")?,
            })
        })
        .collect()
}
