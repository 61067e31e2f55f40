//! ELBv2 tags (target groups, listener rules): AddTags / RemoveTags / DescribeTags by ARN.

use std::collections::BTreeMap;

use aws_sdk_elasticloadbalancingv2::types::Tag;
use aws_sdk_elasticloadbalancingv2::Client;

use crate::error::{Doing, Result};
use crate::naming::Tags;

tag_conversions!(Tag);

/// DescribeTags takes at most this many ARNs per call (ELBv2 API reference).
const TAGS_PER_CALL: usize = 20;

/// The tags of each of `arns`, [`TAGS_PER_CALL`] per call; `doing` names the errors.
pub async fn by_arn(elb: &Client, arns: &[String], doing: &str) -> Result<BTreeMap<String, Tags>> {
    let mut all = BTreeMap::new();
    for batch in arns.chunks(TAGS_PER_CALL) {
        let out = elb
            .describe_tags()
            .set_resource_arns(Some(batch.to_vec()))
            .send()
            .await
            .doing(doing)?;
        for d in out.tag_descriptions() {
            all.insert(
                d.resource_arn().unwrap_or_default().to_string(),
                read(d.tags()),
            );
        }
    }
    Ok(all)
}

tag_update!(
    "load balancer resource",
    (add_tags, remove_tags, resource_arns),
    |set, doing| list(&set),
    set_tag_keys(|remove| remove)
);
