//! IAM tags (roles): TagRole / UntagRole by role name.

use aws_sdk_iam::types::Tag;
use aws_sdk_iam::Client;

use crate::error::{Doing, Result};
use crate::naming::Tags;

/// Our tags in IAM form. Errors: the SDK's builder refuses an empty key or value.
pub fn list(tags: &Tags, doing: &str) -> Result<Vec<Tag>> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect::<Result<_, _>>()
        .map_err(|e| super::super::build_error(doing, e))
}

/// IAM tags in our form.
pub fn read(tags: &[Tag]) -> Tags {
    tags.iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect()
}

/// Changes the tags of the role `name` from `old` to `new`.
pub async fn update_role(iam: &Client, name: &str, old: &Tags, new: &Tags) -> Result<()> {
    let doing = format!("tagging IAM role ({name})");
    let (set, remove) = super::changes(old, new);
    if !set.is_empty() {
        iam.tag_role()
            .role_name(name)
            .set_tags(Some(list(&set, &doing)?))
            .send()
            .await
            .doing(&doing)?;
    }
    if !remove.is_empty() {
        iam.untag_role()
            .role_name(name)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .doing(&doing)?;
    }
    Ok(())
}
