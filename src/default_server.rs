//! What the default container runs: with the default image and no `Command`, a minimal HTTP
//! server in plain Node (no packages) instead of the image's own command, which for `node`
//! images is the interactive REPL — it exits at once without a terminal, so the tasks would
//! never become healthy and the circuit breaker would fail the deployment.

use crate::spec::Spec;

/// The image used when the properties name none.
pub const DEFAULT_IMAGE: &str = "node:16";

/// The environment variable the container's port is given in (when the user sets none).
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

/// The container's command: the user's `Command`; else, for the default image without an
/// `EntryPoint`, `node -e` [`SCRIPT`]; else none (the image's own).
pub fn command(spec: &Spec) -> Vec<String> {
    if !spec.command.is_empty() || spec.image != DEFAULT_IMAGE || !spec.entry_point.is_empty() {
        return spec.command.clone();
    }
    ["node", "-e", SCRIPT].map(str::to_string).to_vec()
}

/// The container's environment: the user's `Environment`, plus `PORT` = ContainerPort unless
/// the user set it.
pub fn environment(spec: &Spec) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = spec
        .environment
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !spec.environment.contains_key(PORT_VARIABLE) {
        all.push((PORT_VARIABLE.to_string(), spec.container_port.to_string()));
    }
    all
}
