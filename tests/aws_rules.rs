//! The proxy's AWS rules ([`crate::support::aws_rules`]), one test per rule: each makes its
//! calls with the SDK through a proxy of its own (one AWS account) and shows the rule refusing
//! what moto alone accepts, with AWS's exact error code, and the path AWS allows. Here: the
//! account and ECS helpers the tests share.

use aws_sdk_ecs::error::ProvideErrorMetadata;
use aws_sdk_ecs::operation::create_service::builders::CreateServiceFluentBuilder;
use aws_sdk_ecs::operation::register_task_definition::builders::RegisterTaskDefinitionFluentBuilder;
use aws_sdk_ecs::types::{ContainerDefinition, Service};
use prod_e::aws::Clients;

use crate::support::proxy::Proxy;
use crate::support::{clients, moto, unique};

mod cloudformation;
mod ecs;
mod elbv2;
mod fresh;
mod iam;
mod models;
mod one_off;
mod pause;
mod rollouts;
mod scaling;
mod strategy;

/// One AWS account: its proxy, clients through it, and clients straight to moto (setup).
struct Account {
    proxy: Proxy,
    aws: Clients,
    moto: Clients,
}

impl Account {
    async fn new() -> Account {
        let proxy = Proxy::start(moto::endpoint()).await;
        proxy.not_the_provider();
        let aws = clients(&proxy.endpoint).await;
        let moto = clients(moto::endpoint()).await;
        Account { proxy, aws, moto }
    }

    /// An account that can run ECS services (it has the service-linked role).
    async fn with_ecs_role() -> Account {
        let account = Account::new().await;
        account.proxy.rules.service_linked_role_exists(true);
        account
    }
}

/// (code, message) of a refused call.
fn refusal<T: std::fmt::Debug, E: ProvideErrorMetadata>(result: Result<T, E>) -> (String, String) {
    let err = result.expect_err("the call must be refused");
    let text = |t: Option<&str>| t.unwrap_or_default().to_string();
    (text(err.code()), text(err.message()))
}

fn error(code: &str, message: &str) -> (String, String) {
    (code.to_string(), message.to_string())
}

async fn cluster(c: &Clients) -> String {
    let name = format!("rules-{}", unique());
    c.ecs
        .create_cluster()
        .cluster_name(&name)
        .send()
        .await
        .expect("create cluster");
    name
}

fn register(c: &Clients, image: &str) -> RegisterTaskDefinitionFluentBuilder {
    let container = ContainerDefinition::builder()
        .name("web")
        .image(image)
        .memory(512)
        .essential(true)
        .build();
    c.ecs
        .register_task_definition()
        .family(format!("rules-{}", unique()))
        .container_definitions(container)
}

async fn task_definition(c: &Clients, image: &str) -> String {
    let out = register(c, image).send().await.expect("register");
    let made = out.task_definition().and_then(|t| t.task_definition_arn());
    made.expect("task definition arn").to_string()
}

/// A service `name` of one task (change anything before sending).
fn service(c: &Clients, cluster: &str, name: &str, td: &str) -> CreateServiceFluentBuilder {
    c.ecs
        .create_service()
        .cluster(cluster)
        .service_name(name)
        .task_definition(td)
        .desired_count(1)
}

async fn described(c: &Clients, cluster: &str, name: &str) -> Option<Service> {
    let out = c.ecs.describe_services().cluster(cluster).services(name);
    let out = out.send().await.expect("describe services");
    out.services().first().cloned()
}

async fn delete_service(c: &Clients, cluster: &str, name: &str) {
    let deleting = c
        .ecs
        .delete_service()
        .cluster(cluster)
        .service(name)
        .force(true);
    deleting.send().await.expect("delete service");
}
