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
    /// not UTF-8 are kept only as far as they are text.
    pub fn redact_body(self, body: &[u8]) -> String {
        if let Ok(mut value) = serde_json::from_slice::<Value>(body) {
            if self.redact_value(&mut value) {
                return value.to_string();
            }
        }
        // Byte for byte where the scan finds nothing either (duplicate keys, see the module docs).
        self.redact_text(&String::from_utf8_lossy(body))
    }

    /// Redacts in place; true when anything was redacted.
    fn redact_value(self, value: &mut Value) -> bool {
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
                        changed |= self.redact_value(field);
                    }
                }
                changed
            }
            Value::Array(items) => {
                // Every item, not `any`: redaction must not stop at the first change.
                let mut changed = false;
                for item in items {
                    changed |= self.redact_value(item);
                }
                changed
            }
            _ => false,
        }
    }

    /// Replaces the value after every quoted sensitive name and its colon in text that is not JSON.
    /// Every quote is tried as the start of a name (not only those a left-to-right pairing of quotes
    /// would give), so an odd quote earlier in a broken body cannot hide a pair from the scan.
    fn redact_text(self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        let mut from = 0;
        while let Some(open) = text[from..].find('\x22').map(|o| from + o) {
            let Some(close) = closing_quote(&text[open + 1..]).map(|c| open + 1 + c) else {
                break;
            };
            let value = text[close + 1..]
                .trim_start()
                .strip_prefix(':')
                .map(str::trim_start)
                .filter(|_| self.redacts(&unescaped(&text[open + 1..close])));
            let Some(value) = value else {
                from = open + 1;
                continue;
            };
            let start = text.len() - value.len();
            let end = start + value_len(value);
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
        out
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
