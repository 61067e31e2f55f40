//! The one error type of provisioning, and an SDK call's result turned into it, named with
//! what was being done ([`Doing`], [`Every`]); the named checks on AWS error codes live in
//! [`checks`] (re-exported here).

mod checks;
pub use checks::*;

use aws_smithy_async::future::pagination_stream::PaginationStream;
use std::fmt;

/// A provisioning failure, phrased for a CloudFormation `Reason`.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// An AWS API call failed: `doing` reads "creating ECS cluster (prod-e-cluster)".
    Aws {
        /// What was being done.
        doing: String,
        /// AWS's error code, if the answer had one.
        code: Option<String>,
        /// AWS's message (or the SDK's, without one).
        message: String,
    },
    /// A resource with one of our names exists but carries no ownership tag of ours.
    NotOurs {
        /// What kind of resource.
        kind: &'static str,
        /// Its name or id.
        name: String,
    },
    /// A resource this deployment needs is gone (e.g. deleted out of band before an Update).
    Missing {
        /// What kind of resource.
        kind: &'static str,
        /// Its name or id.
        name: String,
    },
    /// An AWS answer lacked a field its API reference always sends (an id or ARN).
    Incomplete {
        /// What kind of resource.
        kind: &'static str,
        /// The missing field, as the API reference names it.
        field: &'static str,
    },
    /// A wait or retry ran out of its bound.
    GaveUp {
        /// What was being done.
        doing: String,
        /// How many tries of what.
        after: String,
    },
    /// The ECS deployment circuit breaker or a deployment alarm stopped a rollout (and rolled
    /// it back).
    DeploymentFailed {
        /// The service's name.
        service: String,
        /// The service's latest events, newest first.
        events: Vec<String>,
        /// With deployment alarms on, those that went into ALARM (empty: not known); `None`
        /// without deployment alarms (the circuit breaker stopped it).
        alarms: Option<Vec<String>>,
        /// With lifecycle hooks, those that failed, `<arn> (<status> at <stage>)` (empty: not
        /// known); `None` without hooks.
        hooks: Option<Vec<String>>,
    },
    /// ECS has not been able to place or start the service's tasks for too long
    /// ([`crate::resources::service::PLACEMENT_FAILURE_BOUND`]).
    Unplaceable {
        /// The service's name.
        service: String,
        /// For how long, in seconds.
        seconds: u64,
        /// The service event that says why.
        event: String,
    },
    /// Someone else (CloudFormation's Delete or rollback, an operator) is removing the set
    /// under this operation's wait: the service it waits for is DRAINING, or the set's Delete
    /// stopped the one-off task it waits for.
    BeingRemoved {
        /// What shows it, e.g. "ECS service (web) is being deleted (DRAINING)".
        what: String,
    },
    /// A wait reached the time this invocation had for it; the work goes on in the next one.
    Pending {
        /// What is still awaited.
        waiting_for: String,
    },
    /// CloudFormation no longer waits for this operation (it cancelled it, gave up on it or
    /// rolls it back): the work stops and what it made is removed.
    Abandoned {
        /// What CloudFormation reports instead, e.g. "stack resource (Service) is
        /// DELETE_IN_PROGRESS".
        reason: String,
    },
    /// Several independent steps failed; each is reported.
    Several(Vec<Error>),
    /// Preflight found problems that would keep the deployment from ever becoming healthy;
    /// nothing was written.
    Preflight {
        /// Every problem found, each naming the resource and what is wrong.
        problems: Vec<String>,
    },
    /// A one-off task of a new revision (`MigrationCommand`, `SmokeChecks`) did not exit 0:
    /// nothing of the new revision was deployed, or its deployment was rolled back.
    OneOffFailed {
        /// The property whose task it was.
        property: &'static str,
        /// How it ended: "exited with code 3 (task …; log stream …)".
        outcome: String,
    },
    /// A wait of an in-place Update that comes before its writes (its migration task): the
    /// writes are still to do when it goes on in the next invocation.
    BeforeWrites(Box<Error>),
    /// A deployment alarm of a replacement's new set went into ALARM during its bake, and the
    /// traffic went back to the set it replaces.
    BakeFailed {
        /// The alarm's name.
        alarm: String,
    },
}

/// How an [`Error::BeingRemoved`] reads, after what shows it.
const BEING_REMOVED: &str = "under the wait: another operation is removing the set";

/// How an [`Error::BakeFailed`] reads, after the alarm's name.
const BAKE_FAILED: &str = "went into ALARM during the replacement's bake: the traffic went \
                           back to the set it replaces, in one ModifyRule";

/// How an [`Error::Abandoned`] reads, before what CloudFormation shows.
const ABANDONED: &str = "CloudFormation no longer waits for this operation";

/// A provisioning result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Aws {
                doing,
                code: Some(code),
                message,
            } => write!(f, "{doing}: {code}: {message}"),
            Error::Aws {
                doing,
                code: None,
                message,
            } => write!(f, "{doing}: {message}"),
            Error::NotOurs { kind, name } => write!(
                f,
                "{kind} {name} already exists and is not owned by this resource \
                 (its prod-e:physical-id, prod-e:stack-id and prod-e:logical-id tags are \
                 not this one's); it was left untouched"
            ),
            Error::Missing { kind, name } => write!(f, "{kind} {name} no longer exists"),
            Error::Incomplete { kind, field } => {
                write!(f, "AWS answered without the {field} of the {kind}")
            }
            Error::GaveUp { doing, after } => write!(f, "{doing}: gave up after {after}"),
            Error::Pending { waiting_for } => write!(f, "still waiting for {waiting_for}"),
            Error::Unplaceable {
                service,
                seconds,
                event,
            } => write!(
                f,
                "ECS has not placed or started the tasks of ECS service ({service}) for \
                 {seconds} s: {event}"
            ),
            Error::BeingRemoved { what } => write!(f, "{what} {BEING_REMOVED}"),
            Error::Abandoned { reason } => write!(f, "{ABANDONED}: {reason}"),
            Error::DeploymentFailed {
                service,
                events,
                alarms,
                hooks,
            } => deployment_failed(f, service, events, (alarms.as_deref(), hooks.as_deref())),
            Error::BakeFailed { alarm } => write!(f, "deployment alarm {alarm} {BAKE_FAILED}"),
            Error::OneOffFailed { property, outcome } => write!(f, "{property} {outcome}"),
            Error::BeforeWrites(error) => error.fmt(f),
            Error::Preflight { problems } => write!(
                f,
                "preflight found {} problem(s), nothing was written: {}",
                problems.len(),
                problems.join("; ")
            ),
            Error::Several(errors) => {
                let all: Vec<String> = errors.iter().map(Error::to_string).collect();
                write!(f, "{}", all.join("; "))
            }
        }
    }
}

/// [`Error::DeploymentFailed`]'s text: who rolled the deployment back, and the latest events.
fn deployment_failed(
    f: &mut fmt::Formatter<'_>,
    service: &str,
    events: &[String],
    (alarms, hooks): (Option<&[String]>, Option<&[String]>),
) -> fmt::Result {
    let by = rolled_back_by(alarms, hooks);
    let events = match events.is_empty() {
        true => "none".to_string(),
        false => events.join(" | "),
    };
    write!(
        f,
        "the deployment of ECS service ({service}) failed and {by} rolled it back; latest \
         service events: {events}"
    )
}

/// Who rolled a deployment back: ECS on the hooks and alarms named, else any of those that
/// were on, or the circuit breaker.
fn rolled_back_by(alarms: Option<&[String]>, hooks: Option<&[String]>) -> String {
    let named = |kind: &str, names: Option<&[String]>| {
        let names = names.filter(|n| !n.is_empty())?;
        Some(format!("{kind}(s) {}", names.join(", ")))
    };
    let causes: Vec<String> = [
        named("lifecycle hook", hooks),
        named("deployment alarm", alarms),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !causes.is_empty() {
        return format!("ECS, on {},", causes.join(" and "));
    }
    let maybe = [
        hooks.map(|_| "a lifecycle hook"),
        alarms.map(|_| "a deployment alarm"),
    ];
    let mut maybe: Vec<&str> = maybe.into_iter().flatten().collect();
    maybe.push("the circuit breaker");
    maybe.join(" or ")
}

impl std::error::Error for Error {}

/// An SDK call's result as prod-e's: its error named with what was being done
/// ([`Error::aws`]).
pub trait Doing<T> {
    /// The output, or the error named with `doing`.
    fn doing(self, doing: impl Into<String>) -> Result<T>;
    /// `()` (the output is not needed), or the error named with `doing`.
    fn done(self, doing: impl Into<String>) -> Result<()>;
}

impl<T, E> Doing<T> for std::result::Result<T, E>
where
    E: aws_sdk_ecs::error::ProvideErrorMetadata + std::error::Error,
{
    fn doing(self, doing: impl Into<String>) -> Result<T> {
        self.map_err(|e| Error::aws(doing, e))
    }

    fn done(self, doing: impl Into<String>) -> Result<()> {
        self.map(|_| ()).map_err(|e| Error::aws(doing, e))
    }
}

/// A paginated SDK listing (the stream of a paginator's items) read whole.
pub trait Every<T> {
    /// Every item, or the first error named with `doing`.
    fn every(self, doing: impl Into<String>) -> impl std::future::Future<Output = Result<Vec<T>>>;
}

impl<T, E> Every<T> for PaginationStream<std::result::Result<T, E>>
where
    E: aws_sdk_ecs::error::ProvideErrorMetadata + std::error::Error,
{
    async fn every(self, doing: impl Into<String>) -> Result<Vec<T>> {
        self.try_collect().await.doing(doing)
    }
}

impl Error {
    /// Wraps an SDK error with what we were doing when it happened.
    pub fn aws<E>(doing: impl Into<String>, err: E) -> Self
    where
        E: aws_sdk_ecs::error::ProvideErrorMetadata + std::error::Error,
    {
        let message = match err.message() {
            Some(m) => m.to_string(),
            None => aws_sdk_ecs::error::DisplayErrorContext(&err).to_string(),
        };
        Error::Aws {
            doing: doing.into(),
            code: err.code().map(str::to_string),
            message,
        }
    }

    /// What is still being waited for, if this error is nothing but unfinished waits (a real
    /// failure beside a wait makes the whole a failure).
    pub fn pending(&self) -> Option<Vec<String>> {
        match self {
            Error::Pending { waiting_for } => Some(vec![waiting_for.clone()]),
            Error::BeforeWrites(error) => error.pending(),
            Error::Several(errors) => errors.iter().try_fold(Vec::new(), |mut all, e| {
                all.extend(e.pending()?);
                Some(all)
            }),
            _ => None,
        }
    }

    /// The errors among `results`, as one error (`None` if all succeeded).
    pub fn all(errors: impl IntoIterator<Item = Option<Error>>) -> Option<Error> {
        let mut errors: Vec<Error> = errors.into_iter().flatten().collect();
        match errors.len() {
            0 => None,
            1 => errors.pop(),
            _ => Some(Error::Several(errors)),
        }
    }

    /// The AWS error code, if this is an AWS error that carried one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Aws { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    fn code_is(&self, codes: &[&str]) -> bool {
        self.code().is_some_and(|c| codes.contains(&c))
    }

    fn message_has(&self, needle: &str) -> bool {
        matches!(self, Error::Aws { message, .. } if message.contains(needle))
    }
}

/// The results of steps run together (`tokio::join!`) as one: every output, or every failure
/// ([`Error::all`]). `let (a, b) = tokio::join!(x, y).all_ok()?;`
pub trait AllOk {
    /// The outputs, in order.
    type Output;
    /// Every output if all succeeded, else all the errors as one.
    fn all_ok(self) -> Result<Self::Output>;
}

macro_rules! all_ok {
    ($($t:ident $r:ident),+) => {
        impl<$($t),+> AllOk for ($(Result<$t>,)+) {
            type Output = ($($t,)+);
            fn all_ok(self) -> Result<Self::Output> {
                let ($($r,)+) = self;
                match Error::all([$($r.as_ref().err().cloned()),+]) {
                    Some(err) => Err(err),
                    None => Ok(($($r?,)+)),
                }
            }
        }
    };
}

impl<T> AllOk for Vec<Result<T>> {
    type Output = Vec<T>;
    fn all_ok(self) -> Result<Vec<T>> {
        match Error::all(self.iter().map(|r| r.as_ref().err().cloned())) {
            Some(err) => Err(err),
            None => self.into_iter().collect(),
        }
    }
}

all_ok!(A a, B b);
all_ok!(A a, B b, C c);
all_ok!(A a, B b, C c, D d);
all_ok!(A a, B b, C c, D d, E e);
all_ok!(A a, B b, C c, D d, E e, F f);
all_ok!(A a, B b, C c, D d, E e, F f, G g);
all_ok!(A a, B b, C c, D d, E e, F f, G g, H h);
all_ok!(A a, B b, C c, D d, E e, F f, G g, H h, I i);

#[cfg(test)]
mod tests {
    use super::rolled_back_by;

    #[test]
    fn a_rollback_names_what_ecs_named_else_what_could_have() {
        let (hook, alarm) = (
            vec!["h (FAILED at PRE_SCALE_UP)".to_string()],
            vec!["a".into()],
        );
        assert_eq!(
            rolled_back_by(Some(&alarm), Some(&hook)),
            "ECS, on lifecycle hook(s) h (FAILED at PRE_SCALE_UP) and deployment alarm(s) a,"
        );
        assert_eq!(
            rolled_back_by(Some(&[]), Some(&[])),
            "a lifecycle hook or a deployment alarm or the circuit breaker"
        );
        assert_eq!(rolled_back_by(None, None), "the circuit breaker");
    }
}
