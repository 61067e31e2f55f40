//! Moto behind the proxy: where calls are forwarded, and what the rules read straight (not
//! through the proxy, so a read neither meets a rule nor counts as a call). ECS, Application
//! Auto Scaling and CloudWatch are called in raw JSON (to answer with moto's own documents;
//! CloudWatch's SDK speaks CBOR, which moto cannot read); ELBv2 through the SDK.

use std::sync::Arc;

use prod_e::aws::Clients;
use serde_json::{json, Value};

use super::super::http::Request;
use super::super::rollout::Rollouts;
use super::wire::{self, text};
use crate::REGION;

/// Moto, for forwarding calls and for the rules to read.
#[derive(Clone)]
pub struct Upstream {
    pub elb: aws_sdk_elasticloadbalancingv2::Client,
    ec2: aws_sdk_ec2::Client,
    /// Moto's IAM, for the rules' reads.
    pub iam: aws_sdk_iam::Client,
    http: reqwest::Client,
    url: String,
    /// Shows a service as the proxy's DescribeServices would.
    rollouts: Arc<Rollouts>,
}

/// An unverified SigV4 header for `service`: moto reads only the region and the service
/// (which it routes the call by) from it.
fn authorization(service: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=test/20260101/{REGION}/{service}/aws4_request, \
         SignedHeaders=host, Signature=0"
    )
}

impl Upstream {
    pub fn new(c: &Clients, http: reqwest::Client, url: &str, rollouts: Arc<Rollouts>) -> Self {
        Upstream {
            elb: c.elb.clone(),
            ec2: c.ec2.clone(),
            iam: c.iam.clone(),
            http,
            url: url.to_string(),
            rollouts,
        }
    }

    /// Moto's EC2, for the rules' reads.
    pub fn ec2(&self) -> &aws_sdk_ec2::Client {
        &self.ec2
    }

    /// The rollouts the proxy plays.
    pub fn rollouts(&self) -> &Rollouts {
        &self.rollouts
    }

    /// Forwards a request as it came; moto's whole HTTP answer.
    pub async fn forward(&self, req: &Request) -> Vec<u8> {
        let method =
            reqwest::Method::from_bytes(req.method.as_bytes()).unwrap_or(reqwest::Method::POST);
        let mut out = self
            .http
            .request(method, format!("{}{}", self.url, req.target))
            .body(req.body.clone());
        for (name, value) in &req.headers {
            if !matches!(
                name.to_ascii_lowercase().as_str(),
                "host" | "content-length" | "connection" | "transfer-encoding"
            ) {
                out = out.header(name, value);
            }
        }
        let Ok(resp) = out.send().await else {
            return b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n".to_vec();
        };
        let status = resp.status();
        let mut head = format!(
            "HTTP/1.1 {} {}\r\n",
            status.as_u16(),
            status.canonical_reason().unwrap_or("X")
        );
        for (name, value) in resp.headers() {
            if !matches!(
                name.as_str(),
                "content-length" | "connection" | "transfer-encoding"
            ) {
                head.push_str(&format!(
                    "{name}: {}\r\n",
                    value.to_str().unwrap_or_default()
                ));
            }
        }
        let body = resp.bytes().await.unwrap_or_default();
        head.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&body);
        bytes
    }

    /// One call in AWS JSON `version` (1.0 or 1.1) to `target` (`<prefix>.<action>`), signed
    /// for `service`; its answer if moto answered 200.
    async fn json(
        &self,
        service: &str,
        version: &str,
        target: String,
        body: Value,
    ) -> Option<Value> {
        let resp = self
            .http
            .post(format!("{}/", self.url))
            .header("content-type", format!("application/x-amz-json-{version}"))
            .header("x-amz-target", target)
            .header("authorization", authorization(service))
            .body(body.to_string())
            .send()
            .await
            .ok()?;
        if !resp.status().is_success() {
            return None;
        }
        serde_json::from_slice(&resp.bytes().await.ok()?).ok()
    }

    /// One ECS call; its answer if moto answered 200.
    pub async fn ecs(&self, action: &str, body: Value) -> Option<Value> {
        let target = format!("AmazonEC2ContainerServiceV20141113.{action}");
        self.json("ecs", "1.1", target, body).await
    }

    /// One CloudWatch Logs call; its answer if moto answered 200.
    pub async fn logs(&self, action: &str, body: Value) -> Option<Value> {
        let target = format!("Logs_20140328.{action}");
        self.json("logs", "1.1", target, body).await
    }

    /// One Application Auto Scaling call; its answer if moto answered 200.
    pub async fn scaling(&self, action: &str, body: Value) -> Option<Value> {
        let target = format!("AnyScaleFrontendService.{action}");
        self.json("application-autoscaling", "1.1", target, body)
            .await
    }

    /// One CloudWatch call in JSON 1.0 (moto reads no CBOR); its answer if moto answered 200.
    pub async fn cloudwatch(&self, action: &str, body: Value) -> Option<Value> {
        let target = format!("GraniteServiceVersion20100801.{action}");
        self.json("monitoring", "1.0", target, body).await
    }

    /// The service (with its tags) as moto has it; `None` if moto knows no such service.
    pub async fn service(&self, cluster: &str, service: &str) -> Option<Value> {
        let body = json!({"cluster": cluster, "services": [service], "include": ["TAGS"]});
        let out = self.ecs("DescribeServices", body).await?;
        out["services"].get(0).cloned()
    }

    /// Shows a service moto gave as the proxy's DescribeServices would (rollouts played).
    pub fn present(&self, service: &mut Value) {
        self.rollouts.present(service);
    }

    /// The statuses moto gives the services of `cluster` (INACTIVE ones included).
    pub async fn service_statuses(&self, cluster: &str) -> Vec<String> {
        let listed = self.ecs("ListServices", json!({"cluster": cluster})).await;
        let arns: Vec<Value> = listed
            .and_then(|l| l["serviceArns"].as_array().cloned())
            .unwrap_or_default();
        let mut statuses = Vec::new();
        for batch in arns.chunks(10) {
            let body = json!({"cluster": cluster, "services": batch});
            let Some(out) = self.ecs("DescribeServices", body).await else {
                continue;
            };
            let services = out["services"].as_array().cloned().unwrap_or_default();
            statuses.extend(services.iter().map(|s| text(&s["status"])));
        }
        statuses
    }

    /// The Availability Zones of `subnets`, in their order (those moto knows).
    pub async fn zones_of(&self, subnets: &[String]) -> Vec<String> {
        let out = self
            .ec2
            .describe_subnets()
            .set_subnet_ids(Some(subnets.to_vec()))
            .send()
            .await;
        let found = out.map(|o| o.subnets().to_vec()).unwrap_or_default();
        subnets
            .iter()
            .filter_map(|id| {
                let s = found.iter().find(|s| s.subnet_id() == Some(id.as_str()))?;
                s.availability_zone().map(str::to_string)
            })
            .collect()
    }

    /// The cluster (with its tags) if it is ACTIVE in moto.
    pub async fn active_cluster(&self, cluster: &str) -> Option<Value> {
        let body = json!({"clusters": [cluster], "include": ["TAGS"]});
        let out = self.ecs("DescribeClusters", body).await?;
        let found = out["clusters"].get(0)?;
        (found["status"] == "ACTIVE" && text(&found["clusterName"]) == wire::short(cluster))
            .then(|| found.clone())
    }
}
