//! What is kept at rest. Before a body is stored anywhere (the archived `rawEvent`, conflict copies,
//! the quarantine), credentials are replaced by `"[redacted]"`, and so are contact details unless
//! the brand opted in (`STORE_PERSONAL_DATA=true`). The payload hash is always taken from the
//! original, so duplicates and conflicts are still recognised.
//!
//! Fields are found by name at any depth, whatever the spelling (`admissionToken`, `claim_token`,
//! `PAYMENT-TOKEN`, `claimTokens`, `payment\u0054oken`). A body that is not JSON is redacted by a
//! lexical scan for `"name": value` pairs (strings, scalars, whole objects and arrays), so a
//! truncated or broken body does not keep its tokens either. A JSON body kept byte for byte (nothing
//! to redact in its parsed form) still goes through the lexical scan: a duplicate key
//! (`{"paymentToken":"tok","paymentToken":null}`) parses to its last value, but its bytes keep the
//! first.

use serde_json::Value;

/// JSON's string delimiter and escape, as bytes.
const QUOTE: u8 = 0x22;
const BACKSLASH: u8 = 0x5c;

/// What replaces a redacted value.
pub const REDACTED: &str = "[redacted]";
/// [`REDACTED`] as a JSON string, as the lexical scan writes it.
const REDACTED_STRING: &str = "\"[redacted]\"";

/// The contact fields the state table keeps of a consumer, and only with the opt-in (removed again on
/// `consumer.deleted`).
pub const CONTACT_FIELDS: [&str; 3] = ["email", "phone", "fullName"];

/// Whether personal data may be stored: the one home of `STORE_PERSONAL_DATA`, for the archive, the
/// quarantine and the state table alike.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retention {
    pub store_personal_data: bool,
}

/// The field name lower-cased with `_`, `-` and spaces removed.
fn normalised(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Credentials: never stored.
fn is_credential(name: &str) -> bool {
    const EXACT: &[&str] = &[
        "authorization",
        "cardnumber",
        "card",
        "cards",
        "creditcard",
        "paymentcard",
        "pan",
        "cvc",
        "cvv",
        "iban",
        "signature",
        "signatures",
    ];
    const PARTS: &[&str] = &["secret", "password", "apikey", "accesskey", "privatekey"];
    name.ends_with("token")
        || name.ends_with("tokens")
        || PARTS.iter().any(|part| name.contains(part))
        || EXACT.contains(&name)
}

/// Contact details and other personal data: stored only with the opt-in.
fn is_personal(name: &str) -> bool {
    const EXACT: &[&str] = &[
        "email",
        "emailaddress",
        "phone",
        "phonenumber",
        "mobile",
        "fullname",
        "firstname",
        "lastname",
        "displayname",
        "address",
        "streetaddress",
        "billingaddress",
        "shippingaddress",
        "postalcode",
        "zipcode",
        "dateofbirth",
        "birthdate",
        "ipaddress",
        "ip",
    ];
    EXACT.contains(&name)
}

impl Retention {
    fn redacts(self, field: &str) -> bool {
        let name = normalised(field);
        is_credential(&name) || (!self.store_personal_data && is_personal(&name))
    }

    /// The body as it may be stored: byte for byte when there is nothing to redact; otherwise JSON
    /// re-serialised with the redacted values, and anything else scanned lexically. Bytes that are
    /// not UTF-8 are kept only as far as they are text. A string that holds JSON or quoted pairs
    /// (`"upstream said {\"accessToken\": \"…\"}"`) is redacted inside too, and written back.
    pub fn redact_body(self, body: &[u8]) -> String {
        self.redact_at(body, 0)
    }

    /// [`Retention::redact_body`] for a body found `depth` strings deep.
    fn redact_at(self, body: &[u8], depth: u8) -> String {
        if let Ok(mut value) = serde_json::from_slice::<Value>(body) {
            if self.redact_value(&mut value, depth) {
                return value.to_string();
            }
        }
        // Byte for byte where the scan finds nothing either (duplicate keys, see the module docs).
        let text = String::from_utf8_lossy(body);
        self.redact_text(&text, depth)
            .unwrap_or_else(|| over_budget(body))
    }

    /// Redacts in place; true when anything was redacted.
    fn redact_value(self, value: &mut Value, depth: u8) -> bool {
        match value {
            Value::Object(map) => {
                let mut changed = false;
                for (name, field) in map.iter_mut() {
                    if self.redacts(name) {
                        if !field.is_null() && *field != Value::String(REDACTED.into()) {
                            *field = Value::String(REDACTED.into());
                            changed = true;
                        }
                    } else {
                        changed |= self.redact_value(field, depth);
                    }
                }
                changed
            }
            Value::Array(items) => {
                // Every item, not `any`: redaction must not stop at the first change.
                let mut changed = false;
                for item in items {
                    changed |= self.redact_value(item, depth);
                }
                changed
            }
            // A string holding JSON, or text with quoted pairs: redacted as a body of its own.
            Value::String(text) if depth < MAX_STRING_DEPTH && text.contains('"') => {
                let redacted = self.redact_at(text.as_bytes(), depth + 1);
                let changed = redacted != *text;
                *text = redacted;
                changed
            }
            _ => false,
        }
    }

    /// Replaces the value after every quoted sensitive name and its colon in text that is not JSON,
    /// and redacts inside every quoted stretch that holds escaped quotes (a JSON-encoded string).
    /// Every unescaped quote is tried as the start of a name (not only those a left-to-right pairing
    /// of quotes would give), so an odd quote earlier in a broken body cannot hide a pair from the
    /// scan. Linear: each stretch between two unescaped quotes is read a bounded number of times;
    /// `None` past the work budget (a safety net: then the body is not kept, see `over_budget`).
    fn redact_text(self, text: &str, depth: u8) -> Option<String> {
        let budget = WORK_PER_BYTE * text.len() + 4096;
        let mut work = 0usize;
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        let mut from = 0;
        while let Some(open) = next_quote(text, from) {
            let Some(close) = closing_quote(&text[open + 1..]).map(|c| open + 1 + c) else {
                break;
            };
            work += close - open;
            let value = text[close + 1..]
                .trim_start()
                .strip_prefix(':')
                .map(str::trim_start)
                .filter(|_| self.redacts(&unescaped(&text[open + 1..close])));
            let Some(value) = value else {
                // Not a name: the stretch may be a string holding escaped JSON.
                let inside = &text[open + 1..close];
                if depth < MAX_STRING_DEPTH && inside.contains("\\\"") {
                    work += inside.len();
                    if let Some(encoded) = self.redact_inside(inside, depth) {
                        out.push_str(&text[copied..open + 1]);
                        out.push_str(&encoded);
                        copied = close;
                    }
                }
                if work > budget {
                    return None;
                }
                from = close;
                continue;
            };
            let start = text.len() - value.len();
            let end = start + value_len(value);
            work += end - close;
            if work > budget {
                return None;
            }
            out.push_str(&text[copied..start]);
            out.push_str(REDACTED_STRING);
            copied = end;
            // In broken text the quote that closed a string value may open the next name: scan it.
            from = if text[..end].ends_with('\x22') {
                end - 1
            } else {
                end
            };
        }
        out.push_str(&text[copied..]);
        Some(out)
    }

    /// The quoted stretch `inside` (escaped, as written) redacted as a body of its own and escaped
    /// again; `None` when nothing in it is redacted.
    fn redact_inside(self, inside: &str, depth: u8) -> Option<String> {
        let decoded = match unescaped(inside) {
            std::borrow::Cow::Owned(decoded) => decoded,
            // Not a valid JSON string (a cut one): its escaped quotes read as quotes.
            std::borrow::Cow::Borrowed(raw) => raw.replace("\\\"", "\""),
        };
        let redacted = self.redact_at(decoded.as_bytes(), depth + 1);
        if redacted == decoded {
            return None;
        }
        let encoded = Value::String(redacted).to_string();
        Some(encoded[1..encoded.len() - 1].to_string())
    }
}

/// How many strings deep redaction follows JSON held in strings (each level doubles the escapes,
/// so a body of 384 KiB holds fewer than 19 levels).
const MAX_STRING_DEPTH: u8 = 8;
/// The scan's work budget: steps per byte of text.
const WORK_PER_BYTE: usize = 64;

/// What is kept of a body the scan could not finish within its budget: nothing of it but its size
/// and digest (never a body with its credentials possibly in place).
fn over_budget(body: &[u8]) -> String {
    use sha2::Digest;
    tracing::warn!(
        bytes = body.len(),
        "body not redacted within its work budget: kept as a placeholder"
    );
    serde_json::json!({
        "redacted": REDACTED,
        "reason": "redaction_work_budget",
        "bytes": body.len(),
        "sha256": hex::encode(sha2::Sha256::digest(body)),
    })
    .to_string()
}

/// The first quote at or after `from` that no backslash escapes.
fn next_quote(text: &str, mut from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    loop {
        let at = from + text[from..].find('\x22')?;
        let backslashes = bytes[..at]
            .iter()
            .rev()
            .take_while(|&&b| b == BACKSLASH)
            .count();
        if backslashes % 2 == 0 {
            return Some(at);
        }
        from = at + 1;
    }
}

/// The length of the JSON value `value` starts with: a string to its closing quote, an object or
/// array to its closing bracket, a scalar to the next delimiter; all of it when it is cut short.
fn value_len(value: &str) -> usize {
    if let Some(inner) = value.strip_prefix('"') {
        closing_quote(inner).map_or(value.len(), |c| c + 2)
    } else if value.starts_with(['{', '[']) {
        closing_bracket(value).map_or(value.len(), |c| c + 1)
    } else {
        // A JSON scalar (number, true, false, null) holds no quote, bracket or colon: stopping at
        // them keeps a pair that follows broken text in reach of the scan.
        value
            .find(|c: char| {
                matches!(c, ',' | '}' | ']' | '\x22' | '{' | '[' | ':') || c.is_whitespace()
            })
            .unwrap_or(value.len())
    }
}

/// A JSON string's text with its escapes read (`payment\u0054oken` is `paymentToken`); as written
/// when it is not a valid JSON string.
fn unescaped(raw: &str) -> std::borrow::Cow<'_, str> {
    if !raw.contains('\\') {
        return std::borrow::Cow::Borrowed(raw);
    }
    serde_json::from_str::<String>(&format!("\"{raw}\""))
        .map(std::borrow::Cow::Owned)
        .unwrap_or(std::borrow::Cow::Borrowed(raw))
}

/// The index of the bracket that closes the object or array `s` starts with (strings skipped).
fn closing_bracket(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, b) in s.bytes().enumerate() {
        if in_string {
            match b {
                BACKSLASH if !escaped => escaped = true,
                QUOTE if !escaped => in_string = false,
                _ => escaped = false,
            }
            continue;
        }
        match b {
            QUOTE => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// The index of the first unescaped `"` in `s`.
fn closing_quote(s: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, b) in s.bytes().enumerate() {
        match b {
            BACKSLASH if !escaped => escaped = true,
            QUOTE if !escaped => return Some(i),
            _ => escaped = false,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"{"id":"evt_1","type":"queue.consumer_admitted","created":1,
        "data":{"consumerId":"con_1","admissionToken":"tok_A","claim_token":"tok_C",
        "payment":{"paymentToken":"tok_P","amount":"10.00"},
        "consumer":{"email":"ada@example.com","phone":"+4412345","fullName":"Ada L"},
        "winners":[{"consumerId":"con_2","claimToken":"tok_W"}]}}"#;

    #[test]
    fn credentials_are_always_redacted_at_any_depth() {
        for retention in [
            Retention::default(),
            Retention {
                store_personal_data: true,
            },
        ] {
            let stored = retention.redact_body(BODY.as_bytes());
            for token in ["tok_A", "tok_C", "tok_P", "tok_W"] {
                assert!(!stored.contains(token), "{token} kept: {stored}");
            }
            let value: Value = serde_json::from_str(&stored).unwrap();
            assert_eq!(value["data"]["consumerId"], "con_1");
            assert_eq!(value["data"]["payment"]["amount"], "10.00");
            assert_eq!(value["data"]["admissionToken"], REDACTED);
        }
    }

    /// A credential inside a JSON-encoded string (an upstream's error text) is redacted where it
    /// is, in a JSON body and in a broken one; a string without one is kept as written.
    #[test]
    fn credentials_inside_strings_are_redacted() {
        let body =
            r#"{"data":{"lastError":"upstream said {\"accessToken\": \"tok_IN\"}","n":"a \"b\""}}"#;
        let stored = Retention::default().redact_body(body.as_bytes());
        assert!(!stored.contains("tok_IN"), "{stored}");
        let value: Value = serde_json::from_str(&stored).unwrap();
        assert!(value["data"]["lastError"]
            .as_str()
            .unwrap()
            .contains("accessToken"));
        assert_eq!(value["data"]["n"], "a \"b\"");
        let cut = &body[..body.len() - 12];
        let stored = Retention::default().redact_body(cut.as_bytes());
        assert!(!stored.contains("tok_IN"), "{stored}");
        let twice =
            serde_json::json!({ "e": serde_json::json!({ "e": body }).to_string() }).to_string();
        assert!(!Retention::default()
            .redact_body(twice.as_bytes())
            .contains("tok_IN"));
    }

    #[test]
    fn a_body_with_nothing_to_redact_is_kept_byte_for_byte() {
        let body = br#"{ "id":"e", "type":"order.paid", "data":{"b":1,"a":[{"x":null}]} }"#;
        assert_eq!(Retention::default().redact_body(body).as_bytes(), body);
    }

    #[test]
    fn contact_details_are_kept_only_with_the_opt_in() {
        let stored = Retention::default().redact_body(BODY.as_bytes());
        for personal in ["ada@example.com", "+4412345", "Ada L"] {
            assert!(!stored.contains(personal), "{personal} kept: {stored}");
        }
        let opted_in = Retention {
            store_personal_data: true,
        }
        .redact_body(BODY.as_bytes());
        assert!(opted_in.contains("ada@example.com"));
    }

    #[test]
    fn a_body_that_is_not_json_is_redacted_lexically() {
        let truncated = &BODY[..BODY.find("tok_W").unwrap() + 3];
        let stored = Retention::default().redact_body(truncated.as_bytes());
        for kept in ["tok_", "\":\"tok", "ada@example.com"] {
            assert!(!stored.contains(kept), "{kept} kept: {stored}");
        }
        assert!(stored.contains("con_1"));
        let stored = Retention::default().redact_body(br#"x {"secret": 12345, "x": "y""#);
        assert!(!stored.contains("12345"), "{stored}");
        assert!(stored.contains(r#""x": "y""#), "{stored}");
        let escaped = r#"{"note":"a \"token\": here", "emailToken": "x\"y", "k": 1"#;
        let stored = Retention::default().redact_body(escaped.as_bytes());
        assert!(!stored.contains("x\\\"y"), "{stored}");
        assert!(stored.contains(r#""k": 1"#), "{stored}");
    }
}
