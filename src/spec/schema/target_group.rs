//! The properties of the target group the listener rule forwards to: its protocol, its
//! health check and how it spreads requests over the set's tasks
//! ([`crate::spec::balancing`]).

use super::{text, Default, Effect, Kind, Property};
use crate::spec::balancing::{self, Stickiness};
use crate::spec::health::{self, TargetHealthCheck};

/// The `HealthCheck` property.
pub const HEALTH_CHECK: Property = Property {
    name: "HealthCheck",
    kind: Kind::Object {
        fields: TargetHealthCheck::FIELDS,
        check: |o| health::target(&o.into()),
    },
    default: Default::Fields,
    effect: Effect::HealthCheck,
    doc: "the target group's health check: Path, IntervalSeconds, TimeoutSeconds, \
         HealthyThresholdCount, UnhealthyThresholdCount, Matcher (CloudFormation's keys), and \
         GrpcCode in place of Matcher with ProtocolVersion GRPC",
};
/// The `DeregistrationDelaySeconds` property.
pub const DEREGISTRATION_DELAY_SECONDS: Property = Property {
    name: "DeregistrationDelaySeconds",
    kind: Kind::Integer { min: 0, max: 3600 },
    default: Default::Integer(30),
    effect: Effect::TargetGroupAttributes,
    doc: "seconds a target leaving the group keeps its connections (default 30, AWS's 300: \
         requests up to 30 s finish; the ECS guide's 5 s suits only sub-second APIs)",
};
/// The `SlowStartSeconds` property.
pub const SLOW_START_SECONDS: Property = Property {
    name: "SlowStartSeconds",
    kind: Kind::Integer { min: 0, max: 900 },
    default: Default::Integer(0),
    effect: Effect::TargetGroupAttributes,
    doc: "seconds a new target's share of requests ramps up for (ELBv2's \
         slow_start.duration_seconds: 30–900, 0 off), for services that warm up (a JVM's JIT, \
         caches); changing it is in place",
};
/// The `TargetProtocol` property.
pub const TARGET_PROTOCOL: Property = Property {
    name: "TargetProtocol",
    kind: text(balancing::target_protocol, "^(HTTP|HTTPS)$"),
    default: Default::Text("HTTP"),
    effect: Effect::Replacement,
    doc: "how the load balancer reaches the tasks on ContainerPort, and checks their health: \
         HTTP, or HTTPS (TLS to the container, which may use a self-signed certificate: the \
         load balancer does not validate it)",
};
/// The `ProtocolVersion` property.
pub const PROTOCOL_VERSION: Property = Property {
    name: "ProtocolVersion",
    kind: text(balancing::protocol_version, "^(HTTP1|HTTP2|GRPC)$"),
    default: Default::Text("HTTP1"),
    effect: Effect::Replacement,
    doc: "the requests' protocol to the tasks (ELBv2's target group ProtocolVersion): HTTP1, \
         HTTP2, or GRPC (health checks then match HealthCheck's GrpcCode); HTTP2 and GRPC need \
         an HTTPS listener (preflight checks it)",
};
/// The `LoadBalancingAlgorithm` property.
pub const LOAD_BALANCING_ALGORITHM: Property = Property {
    name: "LoadBalancingAlgorithm",
    kind: text(
        balancing::algorithm,
        "^(round_robin|least_outstanding_requests|weighted_random)$",
    ),
    default: Default::Text("round_robin"),
    effect: Effect::TargetGroupAttributes,
    doc: "how the load balancer picks a task for each request (ELBv2's \
         load_balancing.algorithm.type): round_robin, least_outstanding_requests (for requests \
         of uneven cost) or weighted_random; only round_robin works with SlowStartSeconds, \
         weighted_random not with Stickiness; changing it is in place",
};
/// The `Stickiness` property.
pub const STICKINESS: Property = Property {
    name: "Stickiness",
    kind: Kind::Object {
        fields: Stickiness::FIELDS,
        check: |o| balancing::stickiness(&o.into()),
    },
    default: Default::Empty,
    effect: Effect::TargetGroupAttributes,
    doc: "sticky sessions (ELBv2's stickiness.* attributes; off by default): Type lb_cookie or \
         app_cookie, DurationSeconds, CookieName (app_cookie's); not with a native \
         DeploymentStrategy (two weighted target groups); changing it is in place",
};

/// This file's properties as fields of [`crate::spec::Spec`], `field: Type = CONST`, in the
/// README's order, handed on down the chain that `spec!` (in `crate::spec`) ends: a property
/// is its `CONST` above and its line here.
macro_rules! target_group_fields {
    ([$next:ident $(, $rest:ident)*] $($fields:tt)*) => {
        $next! { [$($rest),*] $($fields)*
            /// One of [`balancing::TARGET_PROTOCOLS`].
            target_protocol: String = TARGET_PROTOCOL,
            /// One of [`balancing::PROTOCOL_VERSIONS`].
            protocol_version: String = PROTOCOL_VERSION,
            /// Every field set: given or defaulted.
            health_check: TargetHealthCheck = HEALTH_CHECK,
            deregistration_delay_seconds: u32 = DEREGISTRATION_DELAY_SECONDS,
            slow_start_seconds: u32 = SLOW_START_SECONDS,
            /// One of [`balancing::ALGORITHMS`].
            load_balancing_algorithm: String = LOAD_BALANCING_ALGORITHM,
            /// `None`: off.
            stickiness: Option<Stickiness> = STICKINESS,
        }
    };
}
pub(crate) use target_group_fields;
