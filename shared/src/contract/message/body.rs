//! How the signed bytes travel: raw when SQS takes every character, base64 otherwise.

use std::borrow::Cow;

use base64::Engine;

/// The value of the `body-encoding` attribute for a base64 body.
pub const BASE64_ENCODING: &str = "base64";

/// Whether SQS accepts `c` in a message body or attribute: #x9, #xA, #xD, #x20-#xD7FF,
/// #xE000-#xFFFD, #x10000-#x10FFFF.
pub fn sqs_allows(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Text SQS accepts as an attribute value: characters it refuses become U+FFFD. Attributes are for
/// people and logs; the processor decides everything from the body.
pub fn sqs_text(value: &str) -> Cow<'_, str> {
    if value.chars().all(sqs_allows) {
        Cow::Borrowed(value)
    } else {
        Cow::Owned(
            value
                .chars()
                .map(|c| if sqs_allows(c) { c } else { '\u{FFFD}' })
                .collect(),
        )
    }
}

/// How a body is carried on the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyEncoding {
    /// The signed bytes as they are (the usual case).
    Raw,
    /// Base64 of the signed bytes: they hold characters SQS refuses.
    Base64,
}

impl BodyEncoding {
    /// The attribute value, `None` for the raw body.
    pub fn attribute(self) -> Option<&'static str> {
        match self {
            BodyEncoding::Raw => None,
            BodyEncoding::Base64 => Some(BASE64_ENCODING),
        }
    }
}

/// The queue body for signed bytes that are valid UTF-8.
pub fn encode_body(text: String) -> (String, BodyEncoding) {
    if text.chars().all(sqs_allows) {
        (text, BodyEncoding::Raw)
    } else {
        let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
        (encoded, BodyEncoding::Base64)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BodyDecodeError {
    #[error("the body is marked base64 but is not valid base64")]
    InvalidBase64,
    #[error("unknown body encoding {0:?}")]
    UnknownEncoding(String),
}

/// The signed bytes back from a queue body and its `body-encoding` attribute.
pub fn decode_body<'a>(
    body: &'a str,
    encoding: Option<&str>,
) -> Result<Cow<'a, [u8]>, BodyDecodeError> {
    match encoding {
        None => Ok(Cow::Borrowed(body.as_bytes())),
        Some(BASE64_ENCODING) => base64::engine::general_purpose::STANDARD
            .decode(body.trim())
            .map(Cow::Owned)
            .map_err(|_| BodyDecodeError::InvalidBase64),
        Some(other) => Err(BodyDecodeError::UnknownEncoding(
            other.chars().take(32).collect(),
        )),
    }
}
