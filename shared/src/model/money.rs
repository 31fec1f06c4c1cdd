//! Money as exact decimals. Fanfare sends decimal strings (`"149.99"`); older pages use JSON numbers.
//! Both are parsed from their text, never through a float.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(pub Decimal);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("an amount is not a decimal number")]
pub struct MoneyError;

impl Money {
    pub fn from_json(value: &Value) -> Result<Money, MoneyError> {
        let text = match value {
            Value::String(s) => s.trim().to_string(),
            // serde_json keeps the number's text when asked for it; `to_string` of a finite number
            // written as a decimal literal is that literal (arbitrary_precision is not needed for
            // the amounts Fanfare sends, which fit comfortably in f64's exact integer range).
            Value::Number(n) => n.to_string(),
            _ => return Err(MoneyError),
        };
        Decimal::from_str(&text)
            .or_else(|_| Decimal::from_scientific(&text))
            .map(|d| Money(d.normalize()))
            .map_err(|_| MoneyError)
    }

    /// Canonical text, e.g. `149.99`: what is stored and compared.
    pub fn to_text(self) -> String {
        self.0.to_string()
    }
}

/// From a decimal string or a JSON number, as [`Money::from_json`] reads them.
impl<'de> serde::Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        Money::from_json(&value).map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "catalog")]
impl schemars::JsonSchema for Money {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Money".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "An exact decimal amount, as a string (\"149.99\") or a JSON number",
            "type": ["string", "number"],
            "pattern": "^\\s*-?[0-9]+(\\.[0-9]+)?\\s*$",
            "x-fanfare-field": "money"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_and_numbers_parse_to_the_same_exact_decimal() {
        let s = Money::from_json(&json!("149.99")).unwrap();
        let n = Money::from_json(&json!(149.99)).unwrap();
        assert_eq!(s, n);
        assert_eq!(s.to_text(), "149.99");
        assert_eq!(Money::from_json(&json!("0.10")).unwrap().to_text(), "0.1");
        assert_eq!(
            Money::from_json(&json!("0.1")).unwrap().0 + Money::from_json(&json!("0.2")).unwrap().0,
            Money::from_json(&json!("0.3")).unwrap().0
        );
    }

    #[test]
    fn non_numbers_are_errors() {
        assert_eq!(Money::from_json(&json!("abc")), Err(MoneyError));
        assert_eq!(Money::from_json(&json!(null)), Err(MoneyError));
        assert_eq!(Money::from_json(&json!({"amount": 1})), Err(MoneyError));
    }
}
