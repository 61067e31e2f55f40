//! The VPC the tasks run in (read only: prod-e never makes or changes one).

use aws_sdk_ec2::types::Filter;
use aws_sdk_ec2::Client;

use crate::error::{Error, Result};

/// Whether VPC `id` exists. A `vpc-id` filter answers an empty list for a VPC that does not
/// exist, where naming it would fail the call (`InvalidVpcID.NotFound`).
pub async fn exists(ec2: &Client, id: &str) -> Result<bool> {
    let out = ec2
        .describe_vpcs()
        .filters(Filter::builder().name("vpc-id").values(id).build())
        .send()
        .await
        .map_err(|e| Error::aws(format!("reading VPC ({id})"), e))?;
    Ok(out.vpcs().iter().any(|v| v.vpc_id() == Some(id)))
}
