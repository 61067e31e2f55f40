//! Tagging, one path per AWS service (as Terraform's `tags_gen.go`): each file converts our
//! tag map to and from its service's form, applies a change (tag what is new or different,
//! untag what is gone: `tag_update!`), and, where a caller needs it, reads a resource's tags.

use crate::naming::Tags;

/// `list` (our tags in the service's form) and `read` (the service's tags in ours) for the
/// SDKs whose `Tag` has optional key and value and an infallible builder (ECS, ELBv2, EC2,
/// CloudWatch).
macro_rules! tag_conversions {
    ($tag:ty) => {
        /// Our tags in this service's form.
        pub fn list(tags: &$crate::naming::Tags) -> Vec<$tag> {
            tags.iter()
                .map(|(k, v)| <$tag>::builder().key(k).value(v).build())
                .collect()
        }

        /// This service's tags in our form.
        pub fn read(tags: &[$tag]) -> $crate::naming::Tags {
            tags.iter()
                .map(|t| {
                    let key = t.key().unwrap_or_default().to_string();
                    (key, t.value().unwrap_or_default().to_string())
                })
                .collect()
        }
    };
}

/// `update`: tags what is new or changed and untags what is gone, for the resource `id`. The
/// service's calls are `$tag` and `$untag`, their member naming the resource `$id`; `$form` is
/// the tags to set in the service's form, and `$keys_member` takes `$keys`, the removed keys
/// in it. `|set, doing|` and `|remove|` are not closures: they name the tags to set, the
/// message and the keys to remove for those expressions, inside `update` (a `?` in `$form`
/// returns from it). `$what` names the resource in messages.
macro_rules! tag_update {
    (
        $what:literal,
        ($tag:ident, $untag:ident, $id:ident),
        |$set:ident, $doing:ident| $form:expr,
        $keys_member:ident(|$remove:ident| $keys:expr)
    ) => {
        /// Changes the tags of the resource `id` from `old` to `new`.
        pub async fn update(
            client: &Client,
            id: &str,
            old: &$crate::naming::Tags,
            new: &$crate::naming::Tags,
        ) -> $crate::error::Result<()> {
            let $doing = format!(concat!("tagging ", $what, " ({})"), id);
            let ($set, $remove) = super::changes(old, new);
            if !$set.is_empty() {
                let tagging = client.$tag().$id(id).set_tags(Some($form));
                $crate::error::Doing::done(tagging.send().await, &$doing)?;
            }
            if !$remove.is_empty() {
                let untagging = client.$untag().$id(id).$keys_member(Some($keys));
                $crate::error::Doing::done(untagging.send().await, &$doing)?;
            }
            Ok(())
        }
    };
}

/// `of`: the tags of the resource `arn` (ListTagsForResource), for the services that answer
/// them as a map (CloudWatch Logs, Application Auto Scaling); `$what` names the resource in
/// messages.
macro_rules! tags_as_map {
    ($what:literal) => {
        /// The tags of the resource `arn`.
        pub async fn of(client: &Client, arn: &str) -> $crate::error::Result<$crate::naming::Tags> {
            let listed = client
                .list_tags_for_resource()
                .resource_arn(arn)
                .send()
                .await;
            let doing = format!(concat!("reading tags of ", $what, " ({})"), arn);
            let out = $crate::error::Doing::doing(listed, doing)?;
            Ok(out
                .tags()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .collect())
        }
    };
}

pub mod cloudwatch;
pub mod ec2;
pub mod ecs;
pub mod elbv2;
pub mod iam;
pub mod logs;
pub mod scaling;

/// Tags to set and tag keys to remove to go from `old` to `new`.
pub fn changes(old: &Tags, new: &Tags) -> (Tags, Vec<String>) {
    let set = new
        .iter()
        .filter(|(k, v)| old.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let remove = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .cloned()
        .collect();
    (set, remove)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_set_new_and_changed_and_remove_dropped() {
        let old = Tags::from([("a".into(), "1".into()), ("b".into(), "2".into())]);
        let new = Tags::from([
            ("a".into(), "1".into()),
            ("b".into(), "3".into()),
            ("c".into(), "4".into()),
        ]);
        let (set, remove) = changes(&old, &new);
        assert_eq!(
            set,
            Tags::from([("b".into(), "3".into()), ("c".into(), "4".into())])
        );
        assert!(remove.is_empty());
        let (set, remove) = changes(&new, &old);
        assert_eq!(set, Tags::from([("b".into(), "2".into())]));
        assert_eq!(remove, vec!["c".to_string()]);
    }
}
