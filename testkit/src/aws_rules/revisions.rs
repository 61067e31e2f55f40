//! Rule 9 of the AWS rules, what [`super::super::rollout`] presents: which task definitions'
//! tasks crash, and which revisions each service was asked to run. A task crashes when its
//! essential container runs its image's default command and that is an interactive REPL
//! (`node`, `python`, …: with no terminal it exits at once; prefixes `docker.io/`, `library/`,
//! `public.ecr.aws/docker/library/` and any tag allowed), or when a test marked the image.
//! A service's revisions are CreateService's task definition, then each new one an
//! UpdateService names; the latest decides its [`Course`].

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::super::{ACCOUNT, REGION};
use super::wire::text;

/// Task definitions and the revisions of each service, as ECS would run them.
#[derive(Debug, Default)]
pub struct Revisions {
    /// Task definition ARN → its essential container.
    containers: HashMap<String, Container>,
    /// Task definition family → its latest revision's ARN.
    latest: HashMap<String, String>,
    /// Images (without registry prefix) a test marked as crashing.
    crashing: HashSet<String>,
    /// Service ARN → the task definitions it was asked to run.
    services: HashMap<String, Asked>,
}

/// The essential container of a task definition.
#[derive(Debug, Clone)]
struct Container {
    image: String,
    /// Whether it runs the image's own command (no `command`, no `entryPoint`).
    default_command: bool,
}

#[derive(Debug, Default)]
struct Asked {
    /// Task definition ARNs, oldest first.
    arns: Vec<String>,
    /// DescribeServices reads since the latest was asked for.
    reads: u32,
    /// The revision the circuit breaker last rolled back from.
    rolled_back: Option<(usize, String)>,
    /// Reads that still list that FAILED deployment after a newer UpdateService.
    lingering: u32,
}

/// How many reads after an UpdateService a deployment the circuit breaker failed is still
/// listed (ACTIVE, rolloutState FAILED): ECS drops it only once the new deployment has
/// replaced the tasks of the rollback.
const FAILED_LISTED_FOR: u32 = 2;

/// What ECS shows of a service's revisions now (a revision is (index, task definition ARN)).
pub enum Course {
    /// Runs its latest revision, if the proxy saw it, after the one before; `failed` is an
    /// earlier deployment the circuit breaker failed that is still listed.
    Runs {
        latest: Option<(usize, String)>,
        previous: Option<(usize, String)>,
        failed: Option<(usize, String)>,
    },
    /// Its revision crashes and there is none to go back to: the deployment failed.
    Failed((usize, String)),
    /// The latest crashed; the circuit breaker goes back to `to` (`done` from the 2nd read).
    RollsBack {
        to: (usize, String),
        from: (usize, String),
        done: bool,
    },
}

impl Revisions {
    /// Marks `image` ("repo:tag") as crashing.
    pub fn crash_image(&mut self, image: &str) {
        self.crashing.insert(unprefixed(image).to_string());
    }

    /// Reads an ECS call moto carried out (`asked` the request, `answer` moto's answer).
    pub fn observe(&mut self, action: &str, asked: &Value, answer: &Value) {
        match action {
            "RegisterTaskDefinition" => self.registered(asked, &answer["taskDefinition"]),
            "CreateService" => self.created(&answer["service"]),
            "UpdateService" => {
                if let Some(named) = asked["taskDefinition"].as_str() {
                    self.updated(&answer["service"], named);
                }
            }
            _ => {}
        }
    }

    fn registered(&mut self, asked: &Value, made: &Value) {
        let arn = text(&made["taskDefinitionArn"]);
        let containers = asked["containerDefinitions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let essential = containers
            .iter()
            .find(|c| c["essential"] != false)
            .or(containers.first());
        let unset = |v: &Value| v.as_array().is_none_or(Vec::is_empty);
        if let Some(c) = essential {
            let container = Container {
                image: text(&c["image"]),
                default_command: unset(&c["command"]) && unset(&c["entryPoint"]),
            };
            self.containers.insert(arn.clone(), container);
        }
        self.latest.insert(text(&made["family"]), arn);
    }

    /// A new service: its first revision.
    fn created(&mut self, service: &Value) {
        let first = Asked {
            arns: vec![self.resolve(&text(&service["taskDefinition"]))],
            ..Asked::default()
        };
        self.services.insert(text(&service["serviceArn"]), first);
    }

    /// An UpdateService naming a task definition: a new revision unless it is the latest.
    fn updated(&mut self, service: &Value, named: &str) {
        let named = self.resolve(named);
        let revisions = self
            .services
            .entry(text(&service["serviceArn"]))
            .or_default();
        if revisions.arns.last() != Some(&named) {
            revisions.arns.push(named);
            revisions.reads = 0;
            if revisions.rolled_back.is_some() {
                revisions.lingering = FAILED_LISTED_FOR;
            }
        }
    }

    /// A task definition's ARN from an ARN, `family:revision` or `family` (its latest).
    fn resolve(&self, named: &str) -> String {
        match named {
            arn if arn.starts_with("arn:") => arn.to_string(),
            revision if revision.contains(':') => {
                format!("arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{revision}")
            }
            family => self.latest.get(family).cloned().unwrap_or(family.into()),
        }
    }

    /// Whether `task_definition`'s image crashes whatever command it is given (a one-off
    /// task's overridden command included).
    pub fn image_crashes(&self, task_definition: &str) -> bool {
        let image = self.image(task_definition);
        image.is_some_and(|image| self.crashing.contains(image))
    }

    /// The image ("repo:tag") of `task_definition`'s essential container, if it was seen.
    pub fn image(&self, task_definition: &str) -> Option<&str> {
        let container = self.containers.get(task_definition);
        container.map(|c| unprefixed(&c.image))
    }

    /// Whether tasks of `task_definition` crash.
    pub fn crashes(&self, task_definition: &str) -> bool {
        self.containers.get(task_definition).is_some_and(|c| {
            (c.default_command && interactive(&c.image))
                || self.crashing.contains(unprefixed(&c.image))
        })
    }

    /// What ECS shows of the service's revisions now (a DescribeServices read).
    pub fn course(&mut self, service: &str) -> Course {
        let arns = self.services.get(service).map(|r| r.arns.clone());
        let Some(arns) = arns.filter(|a| !a.is_empty()) else {
            let (latest, previous, failed) = (None, None, None);
            return Course::Runs {
                latest,
                previous,
                failed,
            };
        };
        let n = arns.len() - 1;
        let revision = |i: usize| (i, arns[i].clone());
        if !self.crashes(&arns[n]) {
            let previous = n.checked_sub(1).map(revision);
            let latest = Some(revision(n));
            let failed = self.services.get_mut(service).and_then(still_listed);
            return Course::Runs {
                latest,
                previous,
                failed,
            };
        }
        let Some(to) = arns[..n].iter().rposition(|a| !self.crashes(a)) else {
            return Course::Failed(revision(n));
        };
        let mut reads = 0;
        if let Some(r) = self.services.get_mut(service) {
            r.reads += 1;
            reads = r.reads;
            r.rolled_back = Some(revision(n));
        }
        let (to, from, done) = (revision(to), revision(n), reads > 1);
        Course::RollsBack { to, from, done }
    }
}

/// The failed deployment a read still lists (counting the read), if any.
fn still_listed(asked: &mut Asked) -> Option<(usize, String)> {
    if asked.lingering == 0 {
        return None;
    }
    asked.lingering -= 1;
    asked.rolled_back.clone()
}

/// Images whose default command is an interactive REPL (it exits at once without a terminal).
const INTERACTIVE: [&str; 9] = [
    "node", "python", "pypy", "ruby", "openjdk", "erlang", "elixir", "haskell", "julia",
];

/// The image without a Docker Hub registry or `library/` prefix.
fn unprefixed(image: &str) -> &str {
    let registries = [
        "public.ecr.aws/docker/library/",
        "registry-1.docker.io/",
        "index.docker.io/",
        "docker.io/",
    ];
    let image = registries
        .iter()
        .find_map(|r| image.strip_prefix(r))
        .unwrap_or(image);
    image.strip_prefix("library/").unwrap_or(image)
}

fn interactive(image: &str) -> bool {
    let image = unprefixed(image);
    let image = image.split('@').next().unwrap_or(image);
    let repository = match image.rfind(':') {
        Some(i) if !image[i..].contains('/') => &image[..i],
        _ => image,
    };
    INTERACTIVE.contains(&repository)
}
