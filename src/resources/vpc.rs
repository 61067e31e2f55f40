//! The VPC the tasks run in (read only: prod-e never makes or changes one).

use aws_sdk_ec2::types::Filter;
use aws_sdk_ec2::Client;

use crate::error::{Doing, Result};

/// The IPv4 blocks of VPC `id` (its primary and associated ones), or `None` if it does not
/// exist. A `vpc-id` filter answers an empty list for a VPC that does not exist, where naming
/// it would fail the call (`InvalidVpcID.NotFound`).
pub async fn cidrs(ec2: &Client, id: &str) -> Result<Option<Vec<String>>> {
    let out = ec2
        .describe_vpcs()
        .filters(Filter::builder().name("vpc-id").values(id).build())
        .send()
        .await
        .doing(format!("reading VPC ({id})"))?;
    let Some(vpc) = out.vpcs().iter().find(|v| v.vpc_id() == Some(id)) else {
        return Ok(None);
    };
    // Blocks being or having been disassociated are not the VPC's any more.
    let associated = vpc.cidr_block_association_set().iter().filter(|a| {
        let state = a.cidr_block_state().and_then(|s| s.state());
        state.is_none_or(|s| s.as_str() == "associated" || s.as_str() == "associating")
    });
    let mut blocks: Vec<String> = vpc.cidr_block().into_iter().map(str::to_string).collect();
    for block in associated.filter_map(|a| a.cidr_block()) {
        if !blocks.iter().any(|b| b == block) {
            blocks.push(block.to_string());
        }
    }
    Ok(Some(blocks))
}
