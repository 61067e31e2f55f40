//! The `Url` attribute: where the set answers, as far as its listener and its rule's
//! conditions tell (a header or query-string condition is not part of a URL).

use crate::aws::Clients;
use crate::resources::load_balancer;
use crate::spec::Spec;

/// The set's URL (empty, with a warning, if the listener cannot be read: the attribute is a
/// convenience, not worth failing an operation that succeeded).
pub(super) async fn of(c: &Clients, spec: &Spec) -> String {
    match load_balancer::listener_url(&c.elb, &spec.listener_arn).await {
        Ok(base) => url(&base, spec),
        Err(err) => {
            tracing::warn!(%err, "reading the listener for the Url attribute");
            String::new()
        }
    }
}

/// `base` (`scheme://<load balancer DNS name>:port`) with the rule's first host name that has
/// no wildcard in place of the DNS name, the scheme's default port left out, and the first
/// path pattern up to its first wildcard: `https://app.example.com/api/`.
pub fn url(base: &str, spec: &Spec) -> String {
    let (scheme, rest) = base.split_once("://").unwrap_or(("http", base));
    let (dns, port) = rest.rsplit_once(':').unwrap_or((rest, ""));
    let wildcard = |c: char| c == '*' || c == '?';
    let exact = spec.host_headers.iter().find(|h| !h.contains(wildcard));
    let host = exact.map_or(dns, String::as_str);
    let port = match (scheme, port) {
        ("http", "80") | ("https", "443") | (_, "") => String::new(),
        (_, port) => format!(":{port}"),
    };
    let path = spec.path_patterns.first().map_or("/", String::as_str);
    let path = &path[..path.find(wildcard).unwrap_or(path.len())];
    format!("{scheme}://{host}{port}{path}")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::url;
    use crate::spec::Spec;

    fn spec(extra: serde_json::Value) -> Spec {
        let mut props = json!({"VpcId": "vpc-1", "SubnetIds": ["subnet-a"],
            "ListenerArn": "arn:aws:elasticloadbalancing:us-east-1:1:listener/app/a/1/2",
            "LoadBalancerSecurityGroupId": "sg-1", "AllowSingleAz": true});
        if let (Some(p), Some(e)) = (props.as_object_mut(), extra.as_object()) {
            p.extend(e.clone());
        }
        Spec::parse(&props).expect("valid")
    }

    #[test]
    fn the_url_names_the_rules_host_and_path_or_the_load_balancer() {
        let base = "http://alb-1.us-east-1.elb.amazonaws.com:80";
        assert_eq!(
            url(base, &spec(json!({}))),
            "http://alb-1.us-east-1.elb.amazonaws.com/"
        );
        let routed = spec(json!({"HostHeaders": ["*.example.com", "app.example.com"],
            "PathPatterns": ["/api/*"]}));
        let https = "https://alb-1.us-east-1.elb.amazonaws.com:443";
        assert_eq!(url(https, &routed), "https://app.example.com/api/");
        let odd = "http://alb-1.us-east-1.elb.amazonaws.com:8080";
        assert_eq!(
            url(odd, &spec(json!({}))),
            "http://alb-1.us-east-1.elb.amazonaws.com:8080/"
        );
    }
}
