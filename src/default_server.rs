//! What the default container runs: with the default image and no `Command`, a minimal HTTP
//! server in plain Node (no packages) instead of the image's own command, which for `node`
//! images is the interactive REPL — it exits at once without a terminal, so the tasks would
//! never become healthy and the circuit breaker would fail the deployment.

use crate::spec::Spec;

/// The image used when the properties name none: Docker Hub's `node:16` as ECR Public mirrors
/// it (`docker/library`), which has no per-IP pull limit for anonymous pulls on AWS (Docker
/// Hub's anonymous pulls are limited per source IP, and every task behind one NAT gateway
/// shares one; ECR User Guide, "Amazon ECR Public").
pub const DEFAULT_IMAGE: &str = "public.ecr.aws/docker/library/node:16";
/// The default image before it moved to ECR Public: a stack that names it explicitly (as the
/// older sample events did) still runs the default server.
pub const FORMER_DEFAULT_IMAGE: &str = "node:16";

/// The environment variable the default server's port is given in.
pub const PORT_VARIABLE: &str = "PORT";

/// The server: answers 200 with a short text on every path (the health-check path included)
/// on `$PORT` (80 if unset), and stops at once on SIGTERM, as ECS sends when a task stops.
pub const SCRIPT: &str = "const http = require('http'); \
const port = Number(process.env.PORT) || 80; \
http.createServer((req, res) => { \
res.writeHead(200, {'content-type': 'text/plain'}); \
res.end('prod-e default container: ' + req.url + '\\n'); \
}).listen(port, () => console.log('listening on port ' + port)); \
process.on('SIGTERM', () => process.exit(0));";

/// Whether the container runs the default server: the default image (or the former one), with
/// neither `Command` nor `EntryPoint`.
pub fn runs_default_server(spec: &Spec) -> bool {
    [DEFAULT_IMAGE, FORMER_DEFAULT_IMAGE].contains(&spec.image.as_str())
        && spec.command.is_empty()
        && spec.entry_point.is_empty()
}

/// The container's command: `node -e` [`SCRIPT`] for the default server, else the user's
/// `Command` (empty: the image's own).
pub fn command(spec: &Spec) -> Vec<String> {
    match runs_default_server(spec) {
        true => ["node", "-e", SCRIPT].map(str::to_string).to_vec(),
        false => spec.command.clone(),
    }
}

/// The container's environment: the user's `Environment`, plus, for the default server,
/// `PORT` = ContainerPort unless the user set it.
pub fn environment(spec: &Spec) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = spec
        .environment
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if runs_default_server(spec) && !spec.environment.contains_key(PORT_VARIABLE) {
        all.push((PORT_VARIABLE.to_string(), spec.container_port.to_string()));
    }
    all
}
