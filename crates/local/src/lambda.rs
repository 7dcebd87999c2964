//! One function process under the local [`RuntimeApi`]: started with the environment Lambda and
//! template.yaml would give it, invoked one event at a time, and read from /proc for its peak
//! memory and CPU time.

use crate::runtime_api::{Outcome, RuntimeApi, RuntimeApiError};
use crate::tables::TableNames;
use crate::template::Template;
use axum::body::Bytes;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// What to run: a program, its arguments, where, and with which extra environment.
#[derive(Debug, Clone)]
pub struct LambdaCommand {
    pub function_name: String,
    pub program: PathBuf,
    pub args: Vec<String>,
    pub cwd: Option<PathBuf>,
    pub env: Vec<(String, String)>,
    /// Where the function's own logs go: inherited (a terminal) or discarded.
    pub show_logs: bool,
}

impl LambdaCommand {
    /// A function binary of this workspace, with the environment template.yaml gives every
    /// function (`PRODUCTS_TABLE`, ... under `prefix`) and `DYNAMODB_ENDPOINT`.
    pub fn function(
        binary_dir: &std::path::Path,
        name: &str,
        template: &Template,
        prefix: &str,
        endpoint: &str,
    ) -> Self {
        Self {
            function_name: name.to_owned(),
            program: binary_dir.join(name),
            args: Vec::new(),
            cwd: None,
            env: function_environment(template, prefix, endpoint),
            show_logs: false,
        }
    }
}

/// The variables template.yaml sets for every function (its `Globals`), with table names under
/// `prefix`, plus `DYNAMODB_ENDPOINT`, which only a local run sets.
pub fn function_environment(
    template: &Template,
    prefix: &str,
    endpoint: &str,
) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = TableNames::for_template(template, prefix)
        .0
        .into_iter()
        .collect();
    env.push(("DYNAMODB_ENDPOINT".into(), endpoint.into()));
    // LoggingConfig: Lambda passes the format and application log level to the runtime this way.
    env.push(("AWS_LAMBDA_LOG_FORMAT".into(), "JSON".into()));
    let level = template
        .parameter_defaults
        .get("LogLevel")
        .cloned()
        .unwrap_or_else(|| "INFO".into());
    env.push(("AWS_LAMBDA_LOG_LEVEL".into(), level));
    env
}

#[derive(Debug, thiserror::Error)]
pub enum LambdaError {
    #[error(transparent)]
    Api(#[from] RuntimeApiError),
    #[error("cannot start {program}: {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
}

/// A running function process and its Runtime API.
pub struct LocalLambda {
    api: RuntimeApi,
    child: tokio::process::Child,
    pid: u32,
    started: Instant,
}

/// The memory Lambda gives our functions (template.yaml `MemorySize`).
pub const MEMORY_MB: u32 = 256;

impl LocalLambda {
    /// Starts the process; it runs its init and then asks the Runtime API for work.
    ///
    /// # Errors
    /// When the Runtime API cannot listen or the program cannot start.
    pub async fn start(command: &LambdaCommand) -> Result<Self, LambdaError> {
        let api = RuntimeApi::start(&command.function_name).await?;
        let mut process = tokio::process::Command::new(&command.program);
        process
            .args(&command.args)
            .env("AWS_LAMBDA_RUNTIME_API", api.address())
            .env("AWS_LAMBDA_FUNCTION_NAME", &command.function_name)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", MEMORY_MB.to_string())
            .env(
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{}", command.function_name),
            )
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "local")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .envs(command.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .kill_on_drop(true);
        if !command.show_logs {
            process.stdout(Stdio::null()).stderr(Stdio::null());
        }
        if let Some(cwd) = &command.cwd {
            process.current_dir(cwd);
        }
        let started = Instant::now();
        let child = process.spawn().map_err(|source| LambdaError::Spawn {
            program: command.program.display().to_string(),
            source,
        })?;
        let pid = child.id().unwrap_or_default();
        Ok(Self {
            api,
            child,
            pid,
            started,
        })
    }

    /// Waits for the end of init: the time from exec to the first `/next`.
    ///
    /// # Errors
    /// When the function fails its init or takes longer than `timeout`.
    pub async fn init_duration(&self, timeout: Duration) -> Result<Duration, LambdaError> {
        let ready = self.api.ready(timeout).await?;
        Ok(ready.saturating_duration_since(self.started))
    }

    /// One invocation, as Lambda makes it.
    ///
    /// # Errors
    /// When the function does not answer within `timeout`.
    pub async fn invoke(
        &self,
        event: impl Into<Bytes>,
        timeout: Duration,
    ) -> Result<Outcome, LambdaError> {
        Ok(self.api.invoke(event.into(), timeout).await?)
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Peak resident memory so far (`VmHWM`), in KiB.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        proc_status_kib(self.pid, "VmHWM:")
    }

    /// CPU time the process has used so far, every thread, in nanoseconds (`schedstat`).
    pub fn cpu_time(&self) -> Option<Duration> {
        cpu_time_of(self.pid)
    }

    /// Stops the process.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// A `/proc/<pid>/status` field in KiB.
pub fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    proc_status_kib_file(&format!("/proc/{pid}/status"), field)
}

/// A `Name:   1234 kB` field of a /proc file, in KiB.
pub fn proc_status_kib_file(path: &str, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(path).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Time on CPU of every thread of `pid`, summed from `/proc/<pid>/task/*/schedstat` (nanoseconds,
/// unlike `/proc/<pid>/stat`'s 10 ms ticks, so one invocation's share can be seen).
pub fn cpu_time_of(pid: u32) -> Option<Duration> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut total: u64 = 0;
    for task in tasks.flatten() {
        let text = std::fs::read_to_string(task.path().join("schedstat")).unwrap_or_default();
        total += text
            .split_whitespace()
            .next()
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0);
    }
    Some(Duration::from_nanos(total))
}
