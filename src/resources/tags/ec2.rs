//! EC2 tags (security groups): CreateTags / DeleteTags by resource id.

use aws_sdk_ec2::types::Tag;
use aws_sdk_ec2::Client;

use crate::error::{Doing, Result};
use crate::naming::Tags;

tag_conversions!(Tag);

/// Changes the tags of the EC2 resource `id` from `old` to `new`.
pub async fn update(ec2: &Client, id: &str, old: &Tags, new: &Tags) -> Result<()> {
    let doing = format!("tagging EC2 resource ({id})");
    let (set, remove) = super::changes(old, new);
    if !set.is_empty() {
        ec2.create_tags()
            .resources(id)
            .set_tags(Some(list(&set)))
            .send()
            .await
            .doing(&doing)?;
    }
    if !remove.is_empty() {
        let keys = remove
            .iter()
            .map(|k| Tag::builder().key(k).build())
            .collect();
        ec2.delete_tags()
            .resources(id)
            .set_tags(Some(keys))
            .send()
            .await
            .doing(&doing)?;
    }
    Ok(())
}
