//! Ingest errors and their one mapping to HTTP status and a stable JSON body.

use lambda_http::http::{header, StatusCode};
use lambda_http::{Body, Response};

use crate::contract::envelope::EnvelopeError;
use crate::contract::signature::SignatureError;
use crate::ports::QueueError;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("only POST is accepted")]
    MethodNotAllowed,
    #[error("the request body is marked base64 but is not valid base64")]
    InvalidBase64,
    #[error("the request body exceeds {limit} bytes")]
    TooLarge { limit: usize },
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// A body that parsed yet is not UTF-8 (JSON always is, so this cannot happen; a typed 400
    /// rather than a panic if it ever did). Unusable events are quarantined and answered 202.
    #[error(transparent)]
    Envelope(EnvelopeError),
    #[error("the event queue is unavailable")]
    QueueUnavailable(#[source] QueueError),
    #[error("the quarantine queue is unavailable")]
    QuarantineUnavailable(#[source] QueueError),
    /// The same signed bytes are being kept by another invocation at this moment.
    #[error("the same delivery is being kept by another request")]
    KeptElsewhere,
}

impl IngestError {
    /// Never 410: it would make Fanfare stop retrying and may disable the endpoint.
    pub fn status(&self) -> StatusCode {
        match self {
            IngestError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            IngestError::InvalidBase64 | IngestError::Envelope(_) => StatusCode::BAD_REQUEST,
            IngestError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            IngestError::Signature(_) => StatusCode::UNAUTHORIZED,
            IngestError::QueueUnavailable(_)
            | IngestError::QuarantineUnavailable(_)
            | IngestError::KeptElsewhere => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            IngestError::MethodNotAllowed => "method_not_allowed",
            IngestError::InvalidBase64 => "invalid_base64",
            IngestError::TooLarge { .. } => "payload_too_large",
            IngestError::Signature(e) => e.code(),
            IngestError::Envelope(e) => e.code(),
            IngestError::QueueUnavailable(_)
            | IngestError::QuarantineUnavailable(_)
            | IngestError::KeptElsewhere => "temporarily_unavailable",
        }
    }

    /// Text for the caller: the error's own words for client errors, a generic line for ours.
    pub fn public_message(&self) -> String {
        match self {
            IngestError::QueueUnavailable(_)
            | IngestError::QuarantineUnavailable(_)
            | IngestError::KeptElsewhere => {
                "the event could not be stored; please retry".to_string()
            }
            other => other.to_string(),
        }
    }

    pub fn into_response(self) -> Response<Body> {
        let body = serde_json::json!({ "error": self.code(), "message": self.public_message() });
        let mut builder = Response::builder()
            .status(self.status())
            .header(header::CONTENT_TYPE, "application/json");
        if matches!(self, IngestError::MethodNotAllowed) {
            builder = builder.header(header::ALLOW, "POST");
        }
        builder
            .body(Body::Text(body.to_string()))
            .unwrap_or_else(|_| Response::new(Body::Empty))
    }
}

pub(crate) fn json_response(status: StatusCode, body: String) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::Text(body))
        .unwrap_or_else(|_| Response::new(Body::Empty))
}
