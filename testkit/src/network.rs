//! The user's side of the stack: a VPC with two private subnets, an internal ALB, its
//! security group and an HTTP listener (what `Custom::ProdEService` deploys behind).

use aws_sdk_ec2::types::{Filter, Tag as Ec2Tag};
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, FixedResponseActionConfig, LoadBalancerSchemeEnum,
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
            let s = c
                .ec2
                .create_subnet()
                .vpc_id(&vpc_id)
                .cidr_block(cidr)
                .availability_zone(zone)
                .send()
                .await
                .expect("create subnet");
            subnet_ids.push(
                s.subnet()
                    .and_then(|s| s.subnet_id())
                    .expect("subnet id")
                    .to_string(),
            );
        }
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
        }
    }

    /// A second listener (port 8080) on the same ALB.
    pub async fn another_listener(&self, c: &Clients) -> String {
        let out = c
            .elb
            .describe_listeners()
            .listener_arns(&self.listener_arn)
            .send()
            .await
            .expect("describe listener");
        let alb = out.listeners()[0].load_balancer_arn().expect("alb arn");
        listener(c, alb, 8080).await
    }

    /// A second security group in the same VPC (to move the ALB's group in an Update).
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
        sg.group_id().expect("sg id").to_string()
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

/// An HTTP listener on `port` whose default action answers 404.
async fn listener(c: &Clients, load_balancer_arn: &str, port: i32) -> String {
    let out = c
        .elb
        .create_listener()
        .load_balancer_arn(load_balancer_arn)
        .protocol(ProtocolEnum::Http)
        .port(port)
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
