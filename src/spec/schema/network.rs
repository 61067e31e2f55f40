//! The properties of the network and the listener rule: where the tasks run and which
//! requests reach them.

use super::{text, Default, Effect, Kind, Property};
use crate::spec::object::typed;
use crate::spec::{checks, egress, routing};

/// The `VpcId` property.
pub const VPC_ID: Property = Property {
    name: "VpcId",
    kind: text(checks::vpc_id, "^vpc-[0-9A-Za-z]+$"),
    default: Default::Required,
    effect: Effect::Replacement,
    doc: "VPC of the tasks and target group",
};
/// The `SubnetIds` property.
pub const SUBNET_IDS: Property = Property {
    name: "SubnetIds",
    kind: Kind::Subnets,
    default: Default::Required,
    effect: Effect::Network,
    doc: "private subnets for the tasks (list, 1–16; a comma-separated string is accepted too)",
};
/// The `ListenerArn` property.
pub const LISTENER_ARN: Property = Property {
    name: "ListenerArn",
    kind: text(
        checks::listener_arn,
        "^arn:.+:elasticloadbalancing:.+:listener/.+$",
    ),
    default: Default::Required,
    effect: Effect::Replacement,
    doc: "the ALB listener that gets our rule",
};
/// The `LoadBalancerSecurityGroupId` property.
pub const LOAD_BALANCER_SECURITY_GROUP_ID: Property = Property {
    name: "LoadBalancerSecurityGroupId",
    kind: text(checks::security_group_id, "^sg-[0-9A-Za-z]+$"),
    default: Default::Required,
    effect: Effect::SourceGroup,
    doc: "the ALB's security group, the only allowed source",
};
/// The `LoadBalancerEgress` property.
pub const LOAD_BALANCER_EGRESS: Property = Property {
    name: "LoadBalancerEgress",
    kind: text(checks::load_balancer_egress, "^managed$"),
    default: Default::Empty,
    effect: Effect::SourceGroup,
    doc: "`managed`: prod-e adds the outbound rule from LoadBalancerSecurityGroupId to the \
         tasks' group on ContainerPort (tagged, removed with the service); not set: one of the \
         load balancer's groups must allow that traffic out already (preflight checks it)",
};
/// The `SecurityGroupIds` property.
pub const SECURITY_GROUP_IDS: Property = Property {
    name: "SecurityGroupIds",
    kind: Kind::Values {
        check: checks::security_group_id,
        max: MAX_SECURITY_GROUP_IDS,
    },
    default: Default::Empty,
    effect: Effect::Network,
    doc: "existing security groups of VpcId the tasks join beside prod-e's own (a database's \
         client group, say); ECS allows 5 in all",
};
/// The `Egress` property.
pub const EGRESS: Property = Property {
    name: "Egress",
    kind: Kind::Objects {
        fields: egress::EgressItem::FIELDS,
        check: |items| egress::rules(&typed(items)),
        max: egress::MAX_RULES,
    },
    default: Default::Empty,
    effect: Effect::Egress,
    doc: "the outbound rules of the tasks' security group, replacing EC2's allow-all default: \
         a list of {IpProtocol, FromPort, ToPort, and one of CidrIp, DestinationPrefixListId, \
         DestinationSecurityGroupId} as in CloudFormation (empty: all traffic out); preflight \
         refuses rules that leave the tasks no way to their image, S3, CloudWatch Logs or \
         their secrets on TCP 443",
};
/// The most groups `SecurityGroupIds` may name: ECS takes 5 security groups per
/// `awsvpcConfiguration` (ECS API reference, `AwsVpcConfiguration`), and prod-e's own is one.
pub const MAX_SECURITY_GROUP_IDS: usize = 4;
/// The `AssignPublicIp` property.
pub const ASSIGN_PUBLIC_IP: Property = Property {
    name: "AssignPublicIp",
    kind: Kind::Boolean,
    default: Default::Boolean(false),
    effect: Effect::Network,
    doc: "public IP on task ENIs",
};
/// The `RulePriority` property.
pub const RULE_PRIORITY: Property = Property {
    name: "RulePriority",
    kind: Kind::Integer { min: 1, max: 50000 },
    default: Default::Chosen(
        "a free priority from 1000–50000 derived from the stack and logical id, kept for the \
         resource's life",
    ),
    effect: Effect::Priority,
    doc: "listener rule priority (lower is evaluated first); reported as ListenerRulePriority",
};
/// The `PathPatterns` property (alias `PathPattern`).
pub const PATH_PATTERNS: Property = Property {
    name: "PathPatterns",
    kind: Kind::Values {
        check: checks::path_pattern,
        max: routing::MAX_VALUES_PER_CONDITION,
    },
    default: Default::Texts(&["/*"]),
    effect: Effect::Routing,
    doc: "listener rule path patterns, any of which matches (each 1–128 characters; the old \
         name `PathPattern` is accepted)",
};
/// The `HostHeaders` property.
pub const HOST_HEADERS: Property = Property {
    name: "HostHeaders",
    kind: Kind::Values {
        check: checks::host_header,
        max: routing::MAX_VALUES_PER_CONDITION,
    },
    default: Default::Empty,
    effect: Effect::Routing,
    doc: "listener rule host names, any of which matches (empty: any host)",
};
/// The `HttpHeader` property.
pub const HTTP_HEADER: Property = Property {
    name: "HttpHeader",
    kind: Kind::HttpHeader,
    default: Default::Empty,
    effect: Effect::Routing,
    doc: "listener rule header condition, `{\"HttpHeaderName\": …, \"Values\": […]}`",
};
/// The `QueryString` property.
pub const QUERY_STRING: Property = Property {
    name: "QueryString",
    kind: Kind::QueryString,
    default: Default::Empty,
    effect: Effect::Routing,
    doc: "listener rule query-string condition, a list of `{\"Key\": …, \"Value\": …}` \
         (Key optional), any of which matches",
};
/// The `TestHostHeaders` property.
pub const TEST_HOST_HEADERS: Property = Property {
    name: "TestHostHeaders",
    kind: Kind::Values {
        check: checks::host_header,
        max: routing::MAX_VALUES_PER_CONDITION,
    },
    default: Default::Empty,
    effect: Effect::Strategy,
    doc: "with BLUE_GREEN, CANARY or LINEAR: host names of a test listener rule (the listener \
         rule's conditions with these in place of HostHeaders) that ECS points at the new \
         revision in each deployment before production traffic moves (ECS's \
         testListenerRule); with TestPathPatterns also empty, no test rule",
};
/// The `TestPathPatterns` property.
pub const TEST_PATH_PATTERNS: Property = Property {
    name: "TestPathPatterns",
    kind: Kind::Values {
        check: checks::path_pattern,
        max: routing::MAX_VALUES_PER_CONDITION,
    },
    default: Default::Empty,
    effect: Effect::Strategy,
    doc: "with BLUE_GREEN, CANARY or LINEAR: path patterns of the test listener rule, in place \
         of PathPatterns (see TestHostHeaders)",
};
/// The `ShadowedRuleArns` property.
pub const SHADOWED_RULE_ARNS: Property = Property {
    name: "ShadowedRuleArns",
    kind: Kind::Values {
        check: checks::listener_rule_arn,
        max: MAX_SHADOWED_RULES,
    },
    default: Default::Empty,
    effect: Effect::Behaviour,
    doc: "other owners' listener rules this rule may match first and so take traffic from \
         (empty: any such rule refuses the Create, the replacement or the Update, naming it)",
};
/// The most rules `ShadowedRuleArns` may name (ALB's default quota of rules per load balancer
/// is 100).
pub const MAX_SHADOWED_RULES: usize = 100;
/// The `AllowSingleAz` property.
pub const ALLOW_SINGLE_AZ: Property = Property {
    name: "AllowSingleAz",
    kind: Kind::Boolean,
    default: Default::Boolean(false),
    effect: Effect::Behaviour,
    doc: "accept SubnetIds in one Availability Zone (development stacks only: one zone's \
         outage stops the service)",
};

/// This file's properties as fields of [`crate::spec::Spec`], `field: Type = CONST`, in the
/// README's order, handed on down the chain that `spec!` (in `crate::spec`) ends: a property
/// is its `CONST` above and its line here.
macro_rules! network_fields {
    ([$next:ident $(, $rest:ident)*] $($fields:tt)*) => {
        $next! { [$($rest),*] $($fields)*
            vpc_id: String = VPC_ID,
            subnet_ids: Vec<String> = SUBNET_IDS,
            listener_arn: String = LISTENER_ARN,
            load_balancer_security_group_id: String = LOAD_BALANCER_SECURITY_GROUP_ID,
            /// Whether prod-e makes the load balancer's outbound
            /// rule to the tasks.
            load_balancer_egress: bool = LOAD_BALANCER_EGRESS,
            /// Groups the tasks join beside prod-e's own.
            security_group_ids: Vec<String> = SECURITY_GROUP_IDS,
            /// The tasks' group's outbound rules (empty: all traffic out).
            egress: Vec<EgressItem> = EGRESS,
            assign_public_ip: bool = ASSIGN_PUBLIC_IP,
            allow_single_az: bool = ALLOW_SINGLE_AZ,
            /// `None`: prod-e chooses a free one.
            rule_priority: Option<u32> = RULE_PRIORITY,
            path_patterns: Vec<String> = PATH_PATTERNS,
            host_headers: Vec<String> = HOST_HEADERS,
            http_header: Option<HttpHeader> = HTTP_HEADER,
            query_string: Vec<QueryStringValue> = QUERY_STRING,
            test_host_headers: Vec<String> = TEST_HOST_HEADERS,
            test_path_patterns: Vec<String> = TEST_PATH_PATTERNS,
            shadowed_rule_arns: Vec<String> = SHADOWED_RULE_ARNS,
        }
    };
}
pub(crate) use network_fields;
