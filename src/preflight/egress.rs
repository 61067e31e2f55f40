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
    let Some(table) = table_of(subnet_id, net.route_tables) else {
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
    let needed = ways(net.image, net.also, net.endpoints, table);
    let label = |service: String| match service.as_str() {
        "s3" => "s3 (gateway, in the subnet's route table)".to_string(),
        _ => format!("{service} (interface, private DNS)"),
    };
    let unserved = needed.into_iter().filter(|(_, way)| *way == Way::Internet);
    let missing: Vec<String> = unserved.map(|(service, _)| label(service)).collect();
    (!missing.is_empty()).then(|| {
        format!(
            "tasks in subnet {subnet_id} have no internet egress ({why}) and the VPC lacks the \
             endpoints they need (private ECR, CloudWatch Logs, and their secrets' and ECS \
             Exec's services): {}",
            missing.join(", ")
        )
    })
}

/// How the tasks of one subnet reach one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Way {
    /// Over the internet (a NAT gateway, or a public IP).
    Internet,
    /// Through an interface endpoint, whose network interfaces are in the VPC and in `groups`.
    Endpoint {
        /// The endpoint's security groups.
        groups: Vec<String>,
    },
    /// Through a gateway endpoint in the subnet's route table, to the service's prefix list
    /// (`None` if the table's route to it was not read).
    PrefixList(Option<String>),
}

/// The route table of `subnet_id`: its explicit association, else the VPC's main table.
pub fn table_of<'a>(subnet_id: &str, tables: &'a [RouteTable]) -> Option<&'a RouteTable> {
    let explicit = tables
        .iter()
        .find(|t| t.subnet_ids.iter().any(|s| s == subnet_id));
    explicit.or_else(|| tables.iter().find(|t| t.main))
}

/// What tasks running `image` in a subnet using `table` reach to start, and how: the image's
/// registry (for private ECR `ecr.api`, `ecr.dkr` and S3, which holds the layers), then
/// CloudWatch Logs and the services `also`. An endpoint serves its own Region only: an image
/// in another Region's ECR goes over the internet, its layers too (AWS PrivateLink guide,
/// "Access AWS services through AWS PrivateLink"); an interface endpoint serves the service's
/// own host names only with private DNS on.
pub fn ways(
    image: &str,
    also: &[&str],
    endpoints: &[VpcEndpoint],
    table: &RouteTable,
) -> Vec<(String, Way)> {
    let interface = |suffix: String| {
        let found = endpoints.iter().find(|e| e.answers(&suffix));
        found.map_or(Way::Internet, |e| Way::Endpoint {
            groups: e.groups.clone(),
        })
    };
    let mut ways = match ecr_region(image) {
        Some(region) => vec![
            (
                "ecr.api".to_string(),
                interface(format!(".{region}.ecr.api")),
            ),
            (
                "ecr.dkr".to_string(),
                interface(format!(".{region}.ecr.dkr")),
            ),
            ("s3".to_string(), s3_way(endpoints, table, &region)),
        ],
        None => vec![(format!("the registry of {image}"), Way::Internet)],
    };
    let others = std::iter::once(&"logs").chain(also);
    ways.extend(others.map(|s| (s.to_string(), interface(format!(".{s}")))));
    ways
}

/// S3 of `region`: through its interface endpoint with private DNS (unless that answers only
/// for inbound resolver endpoints, which sends the VPC's own requests to the gateway: EC2 API
/// reference, `DnsOptions`), else its gateway endpoint in `table` (VPC User Guide, "Gateway
/// endpoints": the route's destination is the service's prefix list), else the internet.
fn s3_way(endpoints: &[VpcEndpoint], table: &RouteTable, region: &str) -> Way {
    let suffix = format!(".{region}.s3");
    if let Some(e) = endpoints
        .iter()
        .find(|e| e.answers(&suffix) && !e.dns_inbound_only)
    {
        return Way::Endpoint {
            groups: e.groups.clone(),
        };
    }
    let gateway = endpoints.iter().find(|e| {
        e.usable
            && e.gateway
            && e.service_name.ends_with(&suffix)
            && e.route_table_ids.contains(&table.id)
    });
    let route = |g: &VpcEndpoint| {
        let found = table.endpoint_routes.iter().find(|(_, to)| *to == g.id);
        found.map(|(list, _)| list.clone())
    };
    gateway.map_or(Way::Internet, |g| Way::PrefixList(route(g)))
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
