//! The user's side of the stack: a VPC with two private subnets in two zones whose default
//! route goes to a NAT gateway (in a public subnet behind an internet gateway), an internal
//! ALB in both zones, its security group and an HTTP listener (what `Custom::ProdEService`
//! deploys behind, and what preflight checks).

use aws_sdk_ec2::types::{Filter, Tag as Ec2Tag};
use aws_sdk_elasticloadbalancingv2::operation::create_listener::builders::CreateListenerFluentBuilder;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, Certificate, FixedResponseActionConfig, LoadBalancerSchemeEnum,
    LoadBalancerTypeEnum, ProtocolEnum,
};
use prod_e::aws::Clients;

use super::unique;

#[derive(Debug, Clone)]
pub struct Network {
    pub vpc_id: String,
    pub subnet_ids: Vec<String>,
    pub alb_security_group_id: String,
    pub listener_arn: String,
    /// The route table of the private subnets (default route to the NAT gateway).
    pub private_route_table_id: String,
    pub load_balancer_arn: String,
}

impl Network {
    pub async fn create(c: &Clients) -> Network {
        let vpc = c
            .ec2
            .create_vpc()
            .cidr_block("10.20.0.0/16")
            .send()
            .await
            .expect("create vpc");
        let vpc_id = vpc
            .vpc()
            .and_then(|v| v.vpc_id())
            .expect("vpc id")
            .to_string();
        let mut subnet_ids = Vec::new();
        for (cidr, zone) in [
            ("10.20.1.0/24", "us-east-1a"),
            ("10.20.2.0/24", "us-east-1b"),
        ] {
            subnet_ids.push(subnet(c, &vpc_id, cidr, zone).await);
        }
        let private_route_table_id = egress(c, &vpc_id, &subnet_ids).await;
        let sg = c
            .ec2
            .create_security_group()
            .group_name(format!("alb-{}", unique()))
            .description("test ALB")
            .vpc_id(&vpc_id)
            .send()
            .await
            .expect("create alb sg");
        let alb_security_group_id = sg.group_id().expect("sg id").to_string();
        let lb = c
            .elb
            .create_load_balancer()
            .name(format!("alb-{}", unique()))
            .set_subnets(Some(subnet_ids.clone()))
            .security_groups(&alb_security_group_id)
            .scheme(LoadBalancerSchemeEnum::Internal)
            .r#type(LoadBalancerTypeEnum::Application)
            .send()
            .await
            .expect("create alb");
        let load_balancer_arn = lb.load_balancers()[0]
            .load_balancer_arn()
            .expect("alb arn")
            .to_string();
        let listener_arn = listener(c, &load_balancer_arn, 80).await;
        Network {
            vpc_id,
            subnet_ids,
            alb_security_group_id,
            listener_arn,
            private_route_table_id,
            load_balancer_arn,
        }
    }

    /// A new subnet in `zone` (CIDR `10.20.<n>.0/24`) with no route table of its own: it uses
    /// the VPC's main table, which has no default route (no internet egress).
    pub async fn isolated_subnet(&self, c: &Clients, n: u8, zone: &str) -> String {
        subnet(c, &self.vpc_id, &format!("10.20.{n}.0/24"), zone).await
    }

    /// A new subnet in `zone` (CIDR `10.20.<n>.0/24`) routed like the others (NAT egress).
    pub async fn private_subnet(&self, c: &Clients, n: u8, zone: &str) -> String {
        let id = self.isolated_subnet(c, n, zone).await;
        associate(c, &self.private_route_table_id, &id).await;
        id
    }

    /// A second listener (port 8080) on the same ALB.
    pub async fn another_listener(&self, c: &Clients) -> String {
        listener(c, &self.load_balancer_arn, 8080).await
    }

    /// An HTTPS listener (port 443) on the same ALB, with an IAM server certificate's ARN
    /// (moto registers an ACM one in ACM, which the test world does not otherwise use).
    pub async fn https_listener(&self, c: &Clients) -> String {
        let certificate = Certificate::builder()
            .certificate_arn("arn:aws:iam::123456789012:server-certificate/prod-e-test")
            .build();
        let created = c.elb.create_listener().certificates(certificate);
        let created = created.protocol(ProtocolEnum::Https).port(443);
        listener_from(created, &self.load_balancer_arn).await
    }

    /// A second security group in the same VPC, attached to the ALB beside the first (an
    /// operator moving the ALB to a new group, which an Update then follows).
    pub async fn another_security_group(&self, c: &Clients) -> String {
        let sg = c
            .ec2
            .create_security_group()
            .group_name(format!("alb2-{}", unique()))
            .description("second ALB group")
            .vpc_id(&self.vpc_id)
            .tag_specifications(
                aws_sdk_ec2::types::TagSpecification::builder()
                    .resource_type(aws_sdk_ec2::types::ResourceType::SecurityGroup)
                    .tags(Ec2Tag::builder().key("purpose").value("test").build())
                    .build(),
            )
            .send()
            .await
            .expect("create sg");
        let id = sg.group_id().expect("sg id").to_string();
        c.elb
            .set_security_groups()
            .load_balancer_arn(&self.load_balancer_arn)
            .security_groups(&self.alb_security_group_id)
            .security_groups(&id)
            .send()
            .await
            .expect("attach the second group to the ALB");
        id
    }

    /// Security groups in this VPC with `name`.
    pub async fn security_groups_named(&self, c: &Clients, name: &str) -> usize {
        let out = c
            .ec2
            .describe_security_groups()
            .filters(
                Filter::builder()
                    .name("vpc-id")
                    .values(&self.vpc_id)
                    .build(),
            )
            .filters(Filter::builder().name("group-name").values(name).build())
            .send()
            .await
            .expect("describe sgs");
        out.security_groups().len()
    }
}

async fn subnet(c: &Clients, vpc_id: &str, cidr: &str, zone: &str) -> String {
    let s = c
        .ec2
        .create_subnet()
        .vpc_id(vpc_id)
        .cidr_block(cidr)
        .availability_zone(zone)
        .send()
        .await
        .expect("create subnet");
    s.subnet()
        .and_then(|s| s.subnet_id())
        .expect("subnet id")
        .to_string()
}

/// Internet egress for `private` subnets: an internet gateway, a public subnet routed to it
/// with a NAT gateway in it, and a route table sending the private subnets' `0.0.0.0/0` to
/// the NAT gateway. Returns that route table's id.
async fn egress(c: &Clients, vpc_id: &str, private: &[String]) -> String {
    let ec2 = &c.ec2;
    let igw = ec2
        .create_internet_gateway()
        .send()
        .await
        .expect("create igw");
    let igw_id = igw
        .internet_gateway()
        .and_then(|g| g.internet_gateway_id())
        .expect("igw id");
    ec2.attach_internet_gateway()
        .internet_gateway_id(igw_id)
        .vpc_id(vpc_id)
        .send()
        .await
        .expect("attach igw");
    let public = subnet(c, vpc_id, "10.20.100.0/24", "us-east-1a").await;
    let public_table = route_table(c, vpc_id).await;
    ec2.create_route()
        .route_table_id(&public_table)
        .destination_cidr_block("0.0.0.0/0")
        .gateway_id(igw_id)
        .send()
        .await
        .expect("route to igw");
    associate(c, &public_table, &public).await;
    let eip = ec2
        .allocate_address()
        .domain(aws_sdk_ec2::types::DomainType::Vpc)
        .send()
        .await
        .expect("allocate eip");
    let nat = ec2
        .create_nat_gateway()
        .subnet_id(&public)
        .allocation_id(eip.allocation_id().expect("allocation id"))
        .send()
        .await
        .expect("create nat");
    let nat_id = nat
        .nat_gateway()
        .and_then(|n| n.nat_gateway_id())
        .expect("nat id");
    let private_table = route_table(c, vpc_id).await;
    ec2.create_route()
        .route_table_id(&private_table)
        .destination_cidr_block("0.0.0.0/0")
        .nat_gateway_id(nat_id)
        .send()
        .await
        .expect("route to nat");
    for s in private {
        associate(c, &private_table, s).await;
    }
    private_table
}

async fn route_table(c: &Clients, vpc_id: &str) -> String {
    let out = c
        .ec2
        .create_route_table()
        .vpc_id(vpc_id)
        .send()
        .await
        .expect("create route table");
    out.route_table()
        .and_then(|t| t.route_table_id())
        .expect("route table id")
        .to_string()
}

async fn associate(c: &Clients, table: &str, subnet: &str) {
    c.ec2
        .associate_route_table()
        .route_table_id(table)
        .subnet_id(subnet)
        .send()
        .await
        .expect("associate route table");
}

/// An HTTP listener on `port` whose default action answers 404.
async fn listener(c: &Clients, load_balancer_arn: &str, port: i32) -> String {
    let created = c.elb.create_listener().protocol(ProtocolEnum::Http);
    listener_from(created.port(port), load_balancer_arn).await
}

/// The listener `created` makes on `load_balancer_arn`, its default action answering 404.
async fn listener_from(created: CreateListenerFluentBuilder, load_balancer_arn: &str) -> String {
    let out = created
        .load_balancer_arn(load_balancer_arn)
        .default_actions(
            Action::builder()
                .r#type(ActionTypeEnum::FixedResponse)
                .fixed_response_config(
                    FixedResponseActionConfig::builder()
                        .status_code("404")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("create listener");
    out.listeners()[0]
        .listener_arn()
        .expect("listener arn")
        .to_string()
}
