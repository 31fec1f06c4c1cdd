//! A fault-injecting HTTP proxy in front of moto: the AWS calls our code makes fail the ways AWS
//! calls fail. Each request draws from a generator seeded by (seed, arrival number), so a run's
//! fault rates repeat; which request gets which fault depends on arrival order under concurrency.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Probability of each fault per request (the rest pass through untouched).
#[derive(Debug, Clone, Copy)]
pub struct FaultRates {
    /// HTTP 500 before the request reaches moto.
    pub server_error: f64,
    /// HTTP 400 ThrottlingException before the request reaches moto.
    pub throttle: f64,
    /// The connection is closed without an answer before moto sees the request.
    pub reset_before: f64,
    /// Moto applies the request, then the connection is closed: the caller cannot know it worked.
    pub reset_after: f64,
    /// Moto applies the request and answers after the SDK's attempt timeout has passed.
    pub slow: f64,
}

#[derive(Debug, Default)]
pub struct FaultCounts {
    pub requests: AtomicU64,
    pub server_error: AtomicU64,
    pub throttle: AtomicU64,
    pub reset_before: AtomicU64,
    pub reset_after: AtomicU64,
    pub slow: AtomicU64,
}

impl FaultCounts {
    pub fn injected(&self) -> u64 {
        self.server_error.load(Ordering::Relaxed)
            + self.throttle.load(Ordering::Relaxed)
            + self.reset_before.load(Ordering::Relaxed)
            + self.reset_after.load(Ordering::Relaxed)
            + self.slow.load(Ordering::Relaxed)
    }

    pub fn summary(&self) -> String {
        format!(
            "{} requests; injected {}: http500 {}, throttling {}, reset before moto {}, reset after moto {}, slow past the SDK timeout {}",
            self.requests.load(Ordering::Relaxed),
            self.injected(),
            self.server_error.load(Ordering::Relaxed),
            self.throttle.load(Ordering::Relaxed),
            self.reset_before.load(Ordering::Relaxed),
            self.reset_after.load(Ordering::Relaxed),
            self.slow.load(Ordering::Relaxed),
        )
    }
}

#[derive(Debug, Clone, Copy)]
enum Fault {
    None,
    ServerError,
    Throttle,
    ResetBefore,
    ResetAfter,
    Slow,
}

/// Longer than `sdk_timeouts()`' 2 s attempt timeout.
const SLOW_ANSWER: Duration = Duration::from_millis(2_500);

struct Proxy {
    upstream: String,
    rates: FaultRates,
    seed: u64,
    arrivals: AtomicU64,
    counts: Arc<FaultCounts>,
    client: reqwest::Client,
}

#[derive(Debug, thiserror::Error)]
#[error("injected connection reset")]
struct InjectedReset;

impl Proxy {
    fn draw(&self) -> Fault {
        let n = self.arrivals.fetch_add(1, Ordering::Relaxed);
        let mut rng = StdRng::seed_from_u64(self.seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut p: f64 = rng.random();
        let r = self.rates;
        for (rate, fault) in [
            (r.server_error, Fault::ServerError),
            (r.throttle, Fault::Throttle),
            (r.reset_before, Fault::ResetBefore),
            (r.reset_after, Fault::ResetAfter),
            (r.slow, Fault::Slow),
        ] {
            if p < rate {
                return fault;
            }
            p -= rate;
        }
        Fault::None
    }

    async fn handle(
        &self,
        request: Request<Incoming>,
    ) -> Result<Response<Full<Bytes>>, InjectedReset> {
        self.counts.requests.fetch_add(1, Ordering::Relaxed);
        let fault = self.draw();
        let (parts, body) = request.into_parts();
        let body = body.collect().await.map_err(|_| InjectedReset)?.to_bytes();
        let counter = match fault {
            Fault::None => None,
            Fault::ServerError => Some(&self.counts.server_error),
            Fault::Throttle => Some(&self.counts.throttle),
            Fault::ResetBefore => Some(&self.counts.reset_before),
            Fault::ResetAfter => Some(&self.counts.reset_after),
            Fault::Slow => Some(&self.counts.slow),
        };
        if let Some(c) = counter {
            c.fetch_add(1, Ordering::Relaxed);
        }
        match fault {
            Fault::ServerError => return Ok(aws_error(500, "InternalServerError")),
            Fault::Throttle => return Ok(aws_error(400, "ThrottlingException")),
            Fault::ResetBefore => return Err(InjectedReset),
            _ => {}
        }
        let url = format!(
            "{}{}",
            self.upstream,
            parts
                .uri
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/")
        );
        let mut forward = self.client.request(parts.method, url).body(body);
        for (name, value) in &parts.headers {
            if name != hyper::header::HOST && name != hyper::header::CONTENT_LENGTH {
                forward = forward.header(name, value);
            }
        }
        let answer = forward.send().await.map_err(|_| InjectedReset)?;
        let status = answer.status();
        let headers = answer.headers().clone();
        let bytes = answer.bytes().await.map_err(|_| InjectedReset)?;
        match fault {
            Fault::ResetAfter => return Err(InjectedReset),
            Fault::Slow => tokio::time::sleep(SLOW_ANSWER).await,
            _ => {}
        }
        let mut response = Response::new(Full::new(bytes));
        *response.status_mut() = status;
        for (name, value) in &headers {
            if name != hyper::header::CONTENT_LENGTH && name != hyper::header::TRANSFER_ENCODING {
                response.headers_mut().insert(name, value.clone());
            }
        }
        Ok(response)
    }
}

/// An AWS JSON-protocol error, as DynamoDB and SQS send them.
fn aws_error(status: u16, code: &str) -> Response<Full<Bytes>> {
    let body = format!(r#"{{"__type":"{code}","message":"injected by the soak"}}"#);
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or_default();
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/x-amz-json-1.0"),
    );
    response.headers_mut().insert(
        "x-amzn-query-error",
        hyper::header::HeaderValue::from_str(&format!("{code};Sender"))
            .unwrap_or(hyper::header::HeaderValue::from_static("Error;Sender")),
    );
    response
}

/// Starts the proxy on a free loopback port and returns its endpoint.
pub async fn start(
    upstream: &str,
    rates: FaultRates,
    seed: u64,
    counts: Arc<FaultCounts>,
) -> std::io::Result<String> {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let endpoint = format!("http://{}", listener.local_addr()?);
    let proxy = Arc::new(Proxy {
        upstream: upstream.trim_end_matches('/').to_string(),
        rates,
        seed,
        arrivals: AtomicU64::new(0),
        counts,
        client: reqwest::Client::new(),
    });
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let proxy = proxy.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request| {
                    let proxy = proxy.clone();
                    async move { proxy.handle(request).await }
                });
                // An injected reset ends the connection without an answer, as a dropped TCP
                // connection does.
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(endpoint)
}
