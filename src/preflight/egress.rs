//! Whether tasks in a subnet can pull their image and write their logs: the subnet's route
//! table (its explicit association, else the VPC's main table) must send `0.0.0.0/0` to a
//! NAT gateway or another gateway that is not an internet gateway, or to an internet gateway
//! with `AssignPublicIp`; without either, an image in private ECR needs the VPC endpoints
//! `ecr.api`, `ecr.dkr`, the S3 gateway (in the subnet's route table) and `logs`, and the
//! tasks those of their secrets' services and, with ECS Exec, `ssmmessages`.
//!
//! Sources: ECS Developer Guide, "Fargate platform version migration" (the endpoints platform
//! 1.4.0 needs); ECR User Guide, "Amazon ECR interface VPC endpoints" (image layers are in
//! S3; `logs` for the awslogs driver); AWS Knowledge Center, "ecs-fargate-pull-container-error"
//! ("The NAT gateway or internet gateway must be the target of the default route"); EC2
//! DescribeRouteTables reference (implicit association with the main table).

use crate::resources::role::ecr_repository;
use crate::resources::route_table::RouteTable;
use crate::resources::vpc_endpoint::VpcEndpoint;

/// What the tasks of one subnet need to know about the network.
pub struct Network<'a> {
    /// The VPC's route tables.
    pub route_tables: &'a [RouteTable],
    /// The VPC's endpoints.
    pub endpoints: &'a [VpcEndpoint],
    /// Whether task ENIs get public IPs (`AssignPublicIp`).
    pub public_ip: bool,
    /// The container image.
    pub image: &'a str,
    /// Further interface endpoints the tasks need without egress (`secretsmanager`, `ssm`,
    /// `kms` for the container's secrets).
    pub also: &'a [&'static str],
}

/// Why tasks in `subnet_id` cannot reach the image registry and CloudWatch Logs, if they
/// cannot.
pub fn problem(subnet_id: &str, net: &Network) -> Option<String> {
    let explicit = net
        .route_tables
        .iter()
        .find(|t| t.subnet_ids.iter().any(|s| s == subnet_id));
    let Some(table) = explicit.or_else(|| net.route_tables.iter().find(|t| t.main)) else {
        return Some(format!("subnet {subnet_id} has no route table"));
    };
    let route = table.default_route.as_ref().filter(|r| r.active);
    let target = route.map(|r| r.target.as_str()).unwrap_or_default();
    if target.starts_with("igw-") && net.public_ip {
        return None;
    }
    if !target.is_empty() && !target.starts_with("igw-") && !target.starts_with("pcx-") {
        return None;
    }
    let why = match target {
        "" => format!("route table {} has no active route for 0.0.0.0/0", table.id),
        igw if igw.starts_with("igw-") => format!(
            "route table {} sends 0.0.0.0/0 to internet gateway {igw}, which tasks without a \
             public IP cannot use (AssignPublicIp is false)",
            table.id
        ),
        other => format!(
            "route table {} sends 0.0.0.0/0 to {other}, which is not a way to the internet",
            table.id
        ),
    };
    if !is_private_ecr(net.image) {
        return Some(format!(
            "tasks in subnet {subnet_id} cannot pull {} (not in private ECR): {why}; route \
             0.0.0.0/0 to a NAT gateway",
            net.image
        ));
    }
    let missing = missing_endpoints(&table.id, net.endpoints, net.also);
    (!missing.is_empty()).then(|| {
        format!(
            "tasks in subnet {subnet_id} have no internet egress ({why}) and the VPC lacks the \
             endpoints they need (private ECR, CloudWatch Logs, and their secrets' and ECS \
             Exec's services): {}",
            missing.join(", ")
        )
    })
}

/// The endpoints a subnet using route table `table_id` lacks for private ECR, Logs and `also`.
/// An interface endpoint serves the service's own host names only with private DNS on.
fn missing_endpoints(table_id: &str, endpoints: &[VpcEndpoint], also: &[&str]) -> Vec<String> {
    let interface = |service: &str| {
        let suffix = format!(".{service}");
        endpoints
            .iter()
            .any(|e| e.usable && !e.gateway && e.private_dns && e.service_name.ends_with(&suffix))
    };
    let s3 = interface("s3")
        || endpoints.iter().any(|e| {
            e.usable
                && e.gateway
                && e.service_name.ends_with(".s3")
                && e.route_table_ids.iter().any(|t| t == table_id)
        });
    let mut missing: Vec<String> = ["ecr.api", "ecr.dkr"]
        .iter()
        .filter(|s| !interface(s))
        .map(|s| format!("{s} (interface, private DNS)"))
        .collect();
    if !s3 {
        missing.push("s3 (gateway, in the subnet's route table)".to_string());
    }
    missing.extend(
        std::iter::once(&"logs")
            .chain(also)
            .filter(|s| !interface(s))
            .map(|s| format!("{s} (interface, private DNS)")),
    );
    missing
}

/// The Region of `image`'s private ECR registry, if it is in one ([`ecr_repository`]).
pub fn ecr_region(image: &str) -> Option<String> {
    let arn = ecr_repository(image)?;
    arn.split(':').nth(3).map(str::to_string)
}

/// Whether `image` is in a private ECR registry ([`ecr_repository`]).
pub fn is_private_ecr(image: &str) -> bool {
    ecr_repository(image).is_some()
}
