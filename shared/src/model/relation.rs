//! How an event relates to its entity when its handler runs. Decided once, when the event's state
//! is written, and kept on its record if the handler does not finish, so that a retry is told what
//! processing in order told it.

/// How the event relates to its entity when the handler runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Relation {
    /// The event moved its entity's state: it is the latest the receiver has applied (or its kind
    /// has no moving state: draw entries, bids, consumer activity).
    Current,
    /// A newer event of the entity was applied first (a late retry, a redelivery after a failure,
    /// a replay): this event's facts were merged, its moving fields were not.
    Superseded {
        /// The event that holds the entity's state now, where the state item names it.
        by_event_id: Option<String>,
    },
}

impl Relation {
    /// As a record stores it: `current`, `superseded`, or `superseded:<event id>`.
    pub fn stored(&self) -> String {
        match self {
            Relation::Current => "current".to_string(),
            Relation::Superseded { by_event_id: None } => "superseded".to_string(),
            Relation::Superseded {
                by_event_id: Some(id),
            } => format!("superseded:{id}"),
        }
    }

    /// The stored form read back; anything else is `None` (decided again by the state write).
    pub fn from_stored(text: &str) -> Option<Relation> {
        match text {
            "current" => Some(Relation::Current),
            "superseded" => Some(Relation::Superseded { by_event_id: None }),
            other => other
                .strip_prefix("superseded:")
                .map(|id| Relation::Superseded {
                    by_event_id: Some(id.to_string()),
                }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_relation_reads_back_as_itself() {
        for relation in [
            Relation::Current,
            Relation::Superseded { by_event_id: None },
            Relation::Superseded {
                by_event_id: Some("evt:9".into()),
            },
        ] {
            assert_eq!(Relation::from_stored(&relation.stored()), Some(relation));
        }
        assert_eq!(Relation::from_stored("later"), None);
    }
}
