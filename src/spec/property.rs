//! The shape of one entry of the property table ([`super::schema`]): a property's type with
//! its validation, its default, and what an Update that changes it does.

/// A property's type, with its validation.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// A string accepted by `check`; `pattern` is its JSON Schema pattern (a hint for editors:
    /// `check` is the rule).
    Text {
        /// The rule; its message names what is wrong.
        check: fn(&str) -> Result<(), String>,
        /// The JSON Schema pattern, if the rule has one.
        pattern: Option<&'static str>,
    },
    /// A whole number in `min..=max` (a string of digits is accepted too).
    Integer {
        /// The least allowed.
        min: i64,
        /// The most allowed.
        max: i64,
    },
    /// One of these whole numbers.
    OneOf(&'static [i64]),
    /// `true` or `false` (or their strings).
    Boolean,
    /// A list of strings.
    Strings,
    /// A list of subnet ids (1–16), or a comma-separated string of them.
    Subnets,
    /// Values of a listener rule condition: a list of strings (or one string), each accepted
    /// by `check`, at most `max`.
    Values {
        /// The rule for one value.
        check: fn(&str) -> Result<(), String>,
        /// The most values allowed.
        max: usize,
    },
    /// An `http-header` condition: `{"HttpHeaderName": …, "Values": […]}`.
    HttpHeader,
    /// `query-string` matches: a list of `{"Key": …, "Value": …}` (`Key` optional).
    QueryString,
    /// A list of at most `max` objects of named fields, `check` judging the list as a whole.
    Objects {
        /// The fields of each object.
        fields: &'static [super::object::Field],
        /// The rule across items.
        check: fn(&[super::object::Object]) -> Result<(), String>,
        /// The most items allowed.
        max: usize,
    },
    /// An object of named fields ([`super::object`]), `check` judging it as a whole.
    Object {
        /// Its fields.
        fields: &'static [super::object::Field],
        /// The rule across fields.
        check: fn(&super::object::Object) -> Result<(), String>,
    },
    /// An IAM policy document: a JSON object, or a string holding one ([`super::policy`]).
    PolicyDocument,
    /// An overrides object ([`super::overrides`]): a JSON object, or a string holding one,
    /// that `check` accepts.
    Overrides {
        /// The rule.
        check: fn(&serde_json::Value) -> Result<(), String>,
    },
    /// A map of string to string whose keys `check_key` accepts; at most `max.0` entries
    /// (`max.1` says what they are and why, for the message).
    Map {
        /// The rule for keys.
        check_key: fn(&str) -> Result<(), String>,
        /// The rule for values.
        check_value: fn(&str) -> Result<(), String>,
        /// The most entries allowed, and what they are and why.
        max: Option<(usize, &'static str)>,
    },
}

/// The value a property has when the Properties leave it out (or give `""` or `null`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Default {
    /// No default: the property must be given.
    Required,
    /// This string.
    Text(&'static str),
    /// This number.
    Integer(i64),
    /// This boolean.
    Boolean(bool),
    /// An empty list or map.
    Empty,
    /// This list of strings.
    Texts(&'static [&'static str]),
    /// No value given: prod-e chooses one, as the text says.
    Chosen(&'static str),
    /// An object whose fields have their own defaults.
    Fields,
}

/// What an Update that changes the property does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// A new set of resources beside the old one (a new PhysicalResourceId).
    Replacement,
    /// A new task definition revision, and the service rolled onto it.
    TaskDefinition,
    /// The service's subnets / public IP (UpdateService).
    Network,
    /// The service's task count (UpdateService).
    DesiredCount,
    /// The security group's ingress source.
    SourceGroup,
    /// The tasks' security group's outbound rules.
    Egress,
    /// The target group's health check.
    HealthCheck,
    /// The target group's attributes (deregistration delay, slow start, routing algorithm,
    /// stickiness).
    TargetGroupAttributes,
    /// The service's deployment settings (UpdateService).
    Deployment,
    /// The deployment strategy and its settings: the alternate target group and ECS's role for
    /// it made (or removed), and UpdateService with the load balancer's advanced configuration.
    Strategy,
    /// The service's capacity provider strategy (UpdateService with a new deployment).
    Capacity,
    /// Secrets: the execution role's policy for them, and a new revision.
    Secrets,
    /// The secrets' KMS key: the execution role's policy only.
    SecretsKey,
    /// The task role's permissions (its managed and inline policies): no new deployment, as
    /// IAM evaluates a role's current policies on each request its tasks make.
    TaskRole,
    /// ECS Exec: the task role's inline policy and the service's setting (UpdateService with
    /// a new deployment: only new tasks take it).
    Exec,
    /// The cluster's Container Insights (UpdateCluster).
    Insights,
    /// The scalable target, its target tracking policies and scheduled actions (Application
    /// Auto Scaling).
    Scaling,
    /// The baseline CloudWatch alarms.
    Alarms,
    /// The listener rule's priority.
    Priority,
    /// The listener rule's conditions.
    Routing,
    /// The log group's retention.
    Retention,
    /// Every resource's tags.
    Tags,
    /// Nothing in AWS (how prod-e itself behaves).
    Behaviour,
}

/// One property of `Custom::ProdEService`.
#[derive(Debug, Clone, Copy)]
pub struct Property {
    /// The property name, as in the template.
    pub name: &'static str,
    /// Its type and validation.
    pub kind: Kind,
    /// Its value when not set.
    pub default: Default,
    /// What an Update that changes it does.
    pub effect: Effect,
    /// One line for the README and the JSON Schema.
    pub doc: &'static str,
}

impl Property {
    /// Whether a change needs a new set of resources.
    pub fn needs_replacement(&self) -> bool {
        self.effect == Effect::Replacement
    }
}
