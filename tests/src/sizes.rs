//! DynamoDB's billing rules: an item's size, and the write units a write of it costs.

/// An item's size as DynamoDB bills it: each attribute's name plus its value (strings and binaries
/// by their bytes, numbers at one byte per two significant digits plus one, booleans and nulls one
/// byte, sets their members, lists and maps 3 bytes plus one per element).
pub fn item_size(
    item: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

fn number_size(n: &str) -> usize {
    let digits: String = n.chars().filter(char::is_ascii_digit).collect();
    let significant = digits
        .trim_start_matches('0')
        .trim_end_matches('0')
        .len()
        .max(1);
    significant.div_ceil(2) + 1
}

fn value_size(value: &aws_sdk_dynamodb::types::AttributeValue) -> usize {
    use aws_sdk_dynamodb::types::AttributeValue as V;
    match value {
        V::S(s) => s.len(),
        V::N(n) => number_size(n),
        V::B(b) => b.as_ref().len(),
        V::Bool(_) | V::Null(_) => 1,
        V::Ss(items) => items.iter().map(String::len).sum(),
        V::Ns(items) => items.iter().map(|n| number_size(n)).sum(),
        V::Bs(items) => items.iter().map(|b| b.as_ref().len()).sum(),
        V::L(items) => 3 + items.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        V::M(map) => {
            3 + map
                .iter()
                .map(|(k, v)| 1 + k.len() + value_size(v))
                .sum::<usize>()
        }
        _ => 0,
    }
}

/// A state item of the in-memory store, sized by the same rules (its key attributes included).
pub fn state_item_size(
    pk: &str,
    sk: &str,
    item: &std::collections::BTreeMap<String, fanfare_shared::ports::state::Attr>,
) -> usize {
    use fanfare_shared::ports::state::{fields, Attr};
    let key = fields::PK.len() + pk.len() + fields::SK.len() + sk.len();
    key + item
        .iter()
        .map(|(name, value)| {
            name.len()
                + match value {
                    Attr::S(s) => s.len(),
                    Attr::N(n) => number_size(n),
                    Attr::Bool(_) => 1,
                }
        })
        .sum::<usize>()
}

/// Write units for a write of an item of `bytes` (1 per started KB).
pub fn write_units(bytes: usize) -> usize {
    bytes.div_ceil(1024).max(1)
}
