//! A local Lambda Runtime API: the four endpoints a function's runtime loop talks to
//! (`/2018-06-01/runtime/invocation/next`, `.../{id}/response`, `.../{id}/error` and
//! `/runtime/init/error`), served on 127.0.0.1 so a real function binary runs here as Lambda
//! would run it, one invocation at a time.
//!
//! Ours rather than cargo-lambda's emulator: it starts in-process in milliseconds, needs no
//! network and no watcher, lets the caller stamp the moment a process first asks for work (init
//! time) and read the process's own counters, and is the same code under `make invoke`, the
//! runtime-loop test and `make bench`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use axum::Router;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot, watch};

/// How an invocation ended, as the function reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `POST .../response`: the handler's answer.
    Response(Bytes),
    /// `POST .../error`: the runtime reported a handler error.
    Error { error_type: String, body: Bytes },
}

impl Outcome {
    /// The body the function sent, whichever way it ended.
    pub fn body(&self) -> &Bytes {
        match self {
            Self::Response(body) | Self::Error { body, .. } => body,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RuntimeApiError {
    #[error("cannot listen on 127.0.0.1: {0}")]
    Bind(#[source] std::io::Error),
    #[error("the function reported an init error: {0}")]
    Init(String),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("the Runtime API stopped")]
    Stopped,
}

struct Pending {
    id: String,
    event: Bytes,
    deadline: Duration,
    reply: oneshot::Sender<Outcome>,
}

struct Shared {
    queue: tokio::sync::Mutex<mpsc::UnboundedReceiver<Pending>>,
    in_flight: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
    /// When the function first asked for work, i.e. its init finished.
    first_next: watch::Sender<Option<Instant>>,
    init_error: watch::Sender<Option<String>>,
    function_arn: String,
}

/// A running Runtime API for one function process.
pub struct RuntimeApi {
    addr: SocketAddr,
    queue: mpsc::UnboundedSender<Pending>,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
    next_id: std::sync::atomic::AtomicU64,
}

impl RuntimeApi {
    /// Serves the Runtime API on an ephemeral loopback port, with TCP_NODELAY on every connection
    /// (without it each warm invocation waits about 40 ms on a delayed ACK).
    ///
    /// # Errors
    /// When no loopback port can be bound.
    pub async fn start(function_name: &str) -> Result<Self, RuntimeApiError> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(RuntimeApiError::Bind)?;
        let addr = listener.local_addr().map_err(RuntimeApiError::Bind)?;
        let (queue, receiver) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            queue: tokio::sync::Mutex::new(receiver),
            in_flight: Mutex::new(HashMap::new()),
            first_next: watch::channel(None).0,
            init_error: watch::channel(None).0,
            function_arn: format!("arn:aws:lambda:us-east-1:000000000000:function:{function_name}"),
        });
        let router = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(Arc::clone(&shared));
        let listener = listener.tap_io(|tcp| {
            if let Err(err) = tcp.set_nodelay(true) {
                tracing::warn!(error = %err, "cannot set TCP_NODELAY");
            }
        });
        let server = tokio::spawn(async move {
            if let Err(err) = axum::serve(listener, router).await {
                tracing::error!(error = %err, "the Runtime API stopped");
            }
        });
        Ok(Self {
            addr,
            queue,
            shared,
            server,
            next_id: std::sync::atomic::AtomicU64::new(1),
        })
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// Waits until the function first asks for an event (its init is done) and returns when
    /// that was.
    ///
    /// # Errors
    /// When the function reports an init error, or does not ask within `timeout`.
    pub async fn ready(&self, timeout: Duration) -> Result<Instant, RuntimeApiError> {
        let mut first = self.shared.first_next.subscribe();
        let mut init_error = self.shared.init_error.subscribe();
        let wait = async {
            loop {
                if let Some(at) = *first.borrow_and_update() {
                    return Ok(at);
                }
                if let Some(why) = init_error.borrow_and_update().clone() {
                    return Err(RuntimeApiError::Init(why));
                }
                tokio::select! {
                    changed = first.changed() => changed.map_err(|_| RuntimeApiError::Stopped)?,
                    changed = init_error.changed() => changed.map_err(|_| RuntimeApiError::Stopped)?,
                }
            }
        };
        tokio::time::timeout(timeout, wait)
            .await
            .map_err(|_| RuntimeApiError::Timeout(timeout))?
    }

    /// Hands `event` to the function and waits for its answer.
    ///
    /// # Errors
    /// When no answer comes within `timeout`, or the function failed its init.
    pub async fn invoke(
        &self,
        event: Bytes,
        timeout: Duration,
    ) -> Result<Outcome, RuntimeApiError> {
        if let Some(why) = self.shared.init_error.borrow().clone() {
            return Err(RuntimeApiError::Init(why));
        }
        let n = self
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Pending {
                id: format!("{:08x}-0000-4000-8000-{n:012x}", std::process::id()),
                event,
                deadline: timeout,
                reply,
            })
            .map_err(|_| RuntimeApiError::Stopped)?;
        tokio::time::timeout(timeout, answer)
            .await
            .map_err(|_| RuntimeApiError::Timeout(timeout))?
            .map_err(|_| RuntimeApiError::Stopped)
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn next(State(shared): State<Arc<Shared>>) -> Response {
    shared.first_next.send_if_modified(|first| {
        let unset = first.is_none();
        if unset {
            *first = Some(Instant::now());
        }
        unset
    });
    let Some(pending) = shared.queue.lock().await.recv().await else {
        return StatusCode::GONE.into_response();
    };
    let deadline = chrono::Utc::now()
        + chrono::Duration::from_std(pending.deadline).unwrap_or(chrono::Duration::seconds(3));
    shared
        .in_flight
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(pending.id.clone(), pending.reply);
    (
        [
            ("lambda-runtime-aws-request-id", pending.id),
            (
                "lambda-runtime-deadline-ms",
                deadline.timestamp_millis().to_string(),
            ),
            (
                "lambda-runtime-invoked-function-arn",
                shared.function_arn.clone(),
            ),
            (
                "lambda-runtime-trace-id",
                "Root=1-00000000-000000000000000000000000;Sampled=0".to_owned(),
            ),
            ("content-type", "application/json".to_owned()),
        ],
        pending.event,
    )
        .into_response()
}

fn complete(shared: &Shared, id: &str, outcome: Outcome) -> Response {
    let reply = shared
        .in_flight
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(id);
    match reply {
        Some(reply) => {
            // The invoker may have timed out and gone; the function's answer is then dropped.
            let _ = reply.send(outcome);
            (StatusCode::ACCEPTED, r#"{"status":"OK"}"#).into_response()
        }
        None => (
            StatusCode::BAD_REQUEST,
            r#"{"errorType":"InvalidRequestID","errorMessage":"no such invocation"}"#,
        )
            .into_response(),
    }
}

async fn response(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    complete(&shared, &id, Outcome::Response(body))
}

fn error_type(headers: &HeaderMap) -> String {
    headers
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("Unhandled")
        .to_owned()
}

async fn error(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let error_type = error_type(&headers);
    complete(&shared, &id, Outcome::Error { error_type, body })
}

async fn init_error(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let why = format!(
        "{}: {}",
        error_type(&headers),
        String::from_utf8_lossy(&body)
    );
    shared.init_error.send_replace(Some(why));
    (StatusCode::ACCEPTED, r#"{"status":"OK"}"#).into_response()
}
