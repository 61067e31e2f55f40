//! Rules 3–6 and 10: ECS clusters and services as AWS keeps them, where moto differs — a
//! deleted service drains before it is INACTIVE, its name cannot be reused meanwhile,
//! CreateService is idempotent only for the same clientToken and request, CreateCluster of
//! an existing name changes nothing, a cluster with services cannot be deleted, and a
//! service that is not ACTIVE cannot be updated.
//!
//! Sources:
//! - rule 3: <https://docs.aws.amazon.com/botocore/latest/reference/services/ecs/client/exceptions/ClusterContainsServicesException.html>
//! - rule 4: <https://awscli.amazonaws.com/v2/documentation/api/2.3.2/reference/ecs/delete-service.html>
//!   ("the service status moves from ACTIVE to DRAINING, and … to INACTIVE"),
//!   <https://github.com/hashicorp/terraform-provider-aws/issues/2283>
//! - rule 5: the delete-service page above ("you can't create a new service with the same
//!   name" while DRAINING), <https://docs.aws.amazon.com/AmazonECS/latest/APIReference/ECS_Idempotency.html>,
//!   <https://github.com/hashicorp/terraform-provider-aws/issues/23462>
//! - rule 6: <https://github.com/hashicorp/terraform-provider-aws/issues/38875>,
//!   <https://github.com/hashicorp/terraform-provider-aws/issues/44817>
//! - rule 10: <https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html>
//!   (ServiceNotActiveException: "You can't update a service that's inactive").

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::wire::text;
use super::wire::{self, short};
use super::{AwsRules, Refusal, Rule, State, Upstream, Verdict};
use crate::call::Call;
use crate::{ACCOUNT, REGION};

/// What ECS remembers beyond moto.
#[derive(Debug, Default)]
pub struct Memory {
    /// Services deleted through the proxy, oldest first.
    deleted: Vec<Deleted>,
    /// CreateService clientToken → the create it made.
    tokens: HashMap<String, Created>,
}

#[derive(Debug)]
struct Deleted {
    cluster: String,
    name: String,
    arn: String,
    at: Instant,
    /// Its own DRAINING time (a timed rollout's), instead of the rules'.
    time: Option<Duration>,
}

#[derive(Debug)]
struct Created {
    /// The whole request (its clientToken included).
    request: Value,
    arn: String,
    /// Whether the service it made has been deleted since.
    deleted: bool,
}

/// The cluster a request names (short name; ECS's default when none).
pub fn cluster_of(body: &Value) -> String {
    short(body["cluster"].as_str().unwrap_or("default")).to_string()
}

/// The service a CreateService (`serviceName`) or UpdateService (`service`, a name or an ARN)
/// names.
pub fn service_of(body: &Value) -> String {
    let named = body["serviceName"].as_str().or(body["service"].as_str());
    short(named.unwrap_or_default()).to_string()
}

/// The ARN of the service `body` names.
pub fn service_arn(body: &Value) -> String {
    let (cluster, service) = (cluster_of(body), service_of(body));
    format!("arn:aws:ecs:{REGION}:{ACCOUNT}:service/{cluster}/{service}")
}

/// Whether a service deleted through the proxy is still DRAINING (rule 4).
fn draining(s: &State, matches: impl Fn(&Deleted) -> bool) -> bool {
    !s.off.contains(&Rule::Draining)
        && s.ecs
            .deleted
            .iter()
            .any(|d| matches(d) && d.at.elapsed() < window(s, d))
}

/// How long `d` stays DRAINING: its own time if it has one, else the rules' (whose zero ends
/// every drain at once).
fn window(s: &State, d: &Deleted) -> Duration {
    match d.time {
        Some(time) if !s.draining_for.is_zero() => time,
        _ => s.draining_for,
    }
}

/// Rule 4: the deleted service `arn` drains for `time` (a timed rollout's drain).
pub fn drains_for(rules: &AwsRules, arn: &str, time: Duration) {
    rules.with(|st| {
        if let Some(d) = st.ecs.deleted.iter_mut().rev().find(|d| d.arn == arn) {
            d.time = Some(time);
        }
    });
}

/// Rule 3: DeleteCluster while it has ACTIVE or DRAINING services.
pub async fn cluster_with_services(
    rules: &AwsRules,
    moto: &Upstream,
    body: &Value,
) -> Option<Verdict> {
    if !rules.on(Rule::ClusterWithServices) {
        return None;
    }
    let cluster = cluster_of(body);
    let busy = rules.with(|s| draining(s, |d| d.cluster == cluster))
        || moto
            .service_statuses(&cluster)
            .await
            .iter()
            .any(|s| s == "ACTIVE");
    let message = "The Cluster cannot be deleted while Services are active.";
    busy.then(|| Verdict::Refuse(Refusal::new("ClusterContainsServicesException", message)))
}

/// Rule 4: a forwarded DeleteService starts the service's DRAINING time.
pub fn deleted(rules: &AwsRules, reply: &[u8]) {
    let Some(doc) = wire::ok_json(reply) else {
        return;
    };
    let s = &doc["service"];
    let gone = Deleted {
        cluster: short(&text(&s["clusterArn"])).to_string(),
        name: text(&s["serviceName"]),
        arn: text(&s["serviceArn"]),
        at: Instant::now(),
        time: None,
    };
    rules.with(|st| {
        for created in st.ecs.tokens.values_mut().filter(|c| c.arn == gone.arn) {
            created.deleted = true;
        }
        if !draining(st, |d| d.arn == gone.arn) {
            let kept: Vec<bool> = st
                .ecs
                .deleted
                .iter()
                .map(|d| d.at.elapsed() < window(st, d))
                .collect();
            let mut kept = kept.into_iter();
            st.ecs.deleted.retain(|_| kept.next().unwrap_or(false));
            st.ecs.deleted.push(gone);
        }
    });
}

/// Rule 4: DescribeServices shows a service still draining as DRAINING (moto: INACTIVE).
pub fn show_draining(rules: &AwsRules, doc: &mut Value) {
    let Some(services) = doc["services"].as_array_mut() else {
        return;
    };
    rules.with(|st| {
        for s in services.iter_mut().filter(|s| s["status"] == "INACTIVE") {
            let arn = text(&s["serviceArn"]);
            // DeleteService with `force` scales the service to zero first (ECS API Reference,
            // DeleteService): a DRAINING service wants no task and, once its tasks are gone,
            // runs none (moto keeps the counts it had).
            if draining(st, |d| d.arn == arn) {
                s["status"] = json!("DRAINING");
                for count in ["desiredCount", "runningCount", "pendingCount"] {
                    s[count] = json!(0);
                }
            }
        }
    });
}

/// Rule 5: CreateService of a name that is DRAINING or ACTIVE in the cluster.
pub async fn name_taken(rules: &AwsRules, moto: &Upstream, body: &Value) -> Option<Verdict> {
    if !rules.on(Rule::ServiceNameTaken) {
        return None;
    }
    let (cluster, name) = (cluster_of(body), text(&body["serviceName"]));
    let refuse = |m: &str| {
        Some(Verdict::Refuse(Refusal::new(
            "InvalidParameterException",
            m,
        )))
    };
    if rules.with(|s| draining(s, |d| d.cluster == cluster && d.name == name)) {
        return refuse("Unable to Start a service that is still Draining.");
    }
    // Same token: the same request whose service has not been deleted since.
    let repeated = body["clientToken"].as_str().and_then(|token| {
        rules.with(|s| {
            let created = s.ecs.tokens.get(token)?;
            Some(!created.deleted && created.request == *body)
        })
    });
    let existing = moto.service(&cluster, &name).await;
    let active = existing.filter(|s| s["status"] == "ACTIVE");
    match (repeated, active) {
        (Some(true), Some(mut service)) => {
            moto.present(&mut service);
            Some(Verdict::Answer(json!({ "service": service }).to_string()))
        }
        (Some(_), _) | (None, Some(_)) => refuse("Creation of service was not idempotent."),
        (None, None) => None,
    }
}

/// Rule 5: remembers the clientToken of a CreateService that moto carried out.
pub fn created(rules: &AwsRules, call: &Call, reply: &[u8]) {
    let (Some(doc), Ok(request)) = (
        wire::ok_json(reply),
        serde_json::from_str::<Value>(&call.body),
    ) else {
        return;
    };
    let Some(token) = request["clientToken"].as_str().map(str::to_string) else {
        return;
    };
    let arn = text(&doc["service"]["serviceArn"]);
    rules.with(|s| {
        let created = Created {
            request,
            arn,
            deleted: false,
        };
        s.ecs.tokens.insert(token, created)
    });
}

/// Rule 6: CreateCluster of an ACTIVE cluster's name answers that cluster, unchanged.
pub async fn existing_cluster(rules: &AwsRules, moto: &Upstream, body: &Value) -> Option<Verdict> {
    if !rules.on(Rule::ClusterExists) {
        return None;
    }
    let name = body["clusterName"].as_str().unwrap_or("default");
    let cluster = moto.active_cluster(name).await?;
    Some(Verdict::Answer(json!({ "cluster": cluster }).to_string()))
}

/// Rule 10: UpdateService of a service that is DRAINING or INACTIVE (moto: INACTIVE both).
pub async fn not_active(rules: &AwsRules, moto: &Upstream, body: &Value) -> Option<Verdict> {
    if !rules.on(Rule::ServiceNotActive) {
        return None;
    }
    let service = text(&body["service"]);
    let found = moto.service(&cluster_of(body), short(&service)).await?;
    let message = "Service was not ACTIVE.";
    (found["status"] != "ACTIVE")
        .then(|| Verdict::Refuse(Refusal::new("ServiceNotActiveException", message)))
}

/// ECS's limit of security groups in one `awsvpcConfiguration` (ECS API reference,
/// `AwsVpcConfiguration`: "There's a limit of 5 security groups").
pub const MAX_SECURITY_GROUPS: usize = 5;

/// Rule 19: a CreateService or UpdateService whose `awsvpcConfiguration` names more than
/// [`MAX_SECURITY_GROUPS`] security groups is refused (`InvalidParameterException`); moto takes
/// any number.
pub fn too_many_groups(rules: &AwsRules, body: &Value) -> Option<Verdict> {
    if !rules.on(Rule::SecurityGroupLimit) {
        return None;
    }
    let groups = &body["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"];
    let n = groups.as_array().map_or(0, Vec::len);
    (n > MAX_SECURITY_GROUPS).then(|| {
        Verdict::Refuse(Refusal::new(
            "InvalidParameterException",
            format!("{n} security groups were given; awsvpcConfiguration takes at most {MAX_SECURITY_GROUPS}."),
        ))
    })
}

/// Rule 25: a CreateService or UpdateService naming a security group that does not exist or
/// is not in its subnets' VPC is refused (`InvalidParameterException` "Security group … does
/// not appear to belong to the same VPC as the input subnets.": aws/aws-dotnet-deploy#735,
/// CloudFormation's CreateService error); moto takes any group.
pub async fn foreign_groups(rules: &AwsRules, moto: &Upstream, body: &Value) -> Option<Verdict> {
    let (subnets, groups) = wire::awsvpc(body);
    if !rules.on(Rule::GroupsInVpc) || groups.is_empty() || subnets.is_empty() {
        return None;
    }
    let (subnets, found) = tokio::join!(
        prod_e::resources::subnet::find_all(moto.ec2(), &subnets),
        prod_e::resources::security_group::find_ids(moto.ec2(), &groups),
    );
    let vpc = subnets.ok()?.first()?.vpc_id.clone();
    let found = found.ok()?;
    let in_vpc = |id: &&String| found.iter().any(|g| &g.id == *id && g.vpc_id == vpc);
    let foreign = groups.iter().find(|id| !in_vpc(id))?;
    Some(Verdict::Refuse(Refusal::new(
        "InvalidParameterException",
        format!(
            "Security group {foreign} does not appear to belong to the same VPC as the input \
             subnets."
        ),
    )))
}
