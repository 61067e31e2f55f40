//! IAM tags (roles): TagRole / UntagRole by role name.

use aws_sdk_iam::types::Tag;
use aws_sdk_iam::Client;

use crate::error::Result;
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

tag_update!(
    "IAM role",
    (tag_role, untag_role, role_name),
    |set, doing| list(&set, &doing)?,
    set_tag_keys(|remove| remove)
);
