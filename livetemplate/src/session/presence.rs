//! Who is on a topic: the list [`Context::track`](crate::Context::track)
//! builds, one entry per person however many tabs they have open, on every
//! instance of a cluster.
//!
//! Whenever the list of a topic changes (someone arrives, leaves, or a tab
//! tracks new meta), every connection subscribed to the topic whose
//! controller handles the action [`PRESENCE_ACTION`] runs it, with a
//! [`PresenceChange`] as its data. A tab that drops stays on the list
//! while it may still come back (the resume grace period); someone leaves
//! when their last tab is gone for good.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::cluster::Tracked;

/// The server action the runtime runs on a topic's subscribers when who
/// is on it changes; its data is a [`PresenceChange`].
pub const PRESENCE_ACTION: &str = "presence";

/// One person on a topic.
///
/// `M` is the meta given to [`Context::track`](crate::Context::track)
/// (any serde type; [`Value`] by default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Present<M = Value> {
    /// Who: the signed-in user's id, or the session group of someone not
    /// signed in (every tab of one browser).
    pub key: String,
    /// How many of their tabs track the topic, on every instance.
    pub tabs: u32,
    /// The meta their most recently tracked tab gave.
    pub meta: M,
}

/// The data of the [`PRESENCE_ACTION`] action: who is on a topic now, and
/// who arrived and left since the last one.
///
/// ```
/// # use livetemplate::{Actions, Controller, Present, PresenceChange};
/// # #[derive(Clone, serde::Serialize, serde::Deserialize)] struct Who { name: String, typing: bool }
/// #[derive(Clone, Default, serde::Serialize, serde::Deserialize)]
/// struct Room { here: Vec<Present<Who>> }
/// # struct Lobby;
/// impl Controller for Lobby {
///     type State = Room;
///     fn actions(actions: &mut Actions<Self>) {
///         actions.on_server("presence", |_, room, ctx| {
///             room.here = ctx.data::<PresenceChange<Who>>()?.here;
///             Ok(())
///         });
///     }
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceChange<M = Value> {
    /// The topic.
    pub topic: String,
    /// Everyone on it, by key.
    pub here: Vec<Present<M>>,
    /// Keys that were not on the list before this change.
    pub joined: Vec<String>,
    /// Keys that are no longer on it.
    pub left: Vec<String>,
}

/// One list from every instance's entries: tabs add up, the latest meta wins.
pub(crate) fn merge(entries: impl IntoIterator<Item = Tracked>) -> Vec<Present> {
    let mut by_key: BTreeMap<String, (Present, u64)> = BTreeMap::new();
    for entry in entries {
        match by_key.get_mut(&*entry.key) {
            Some((present, at)) => {
                present.tabs += entry.tabs;
                if entry.at > *at {
                    present.meta = entry.meta;
                    *at = entry.at;
                }
            }
            None => {
                let present = Present {
                    key: entry.key.to_string(),
                    tabs: entry.tabs,
                    meta: entry.meta,
                };
                by_key.insert(present.key.clone(), (present, entry.at));
            }
        }
    }
    by_key.into_values().map(|(present, _)| present).collect()
}

/// The change from `before` to `now`.
pub(crate) fn change(topic: &str, before: &[Present], now: Vec<Present>) -> PresenceChange {
    let had = |key: &str, list: &[Present]| list.iter().any(|p| p.key == key);
    PresenceChange {
        topic: topic.to_string(),
        joined: now
            .iter()
            .filter(|p| !had(&p.key, before))
            .map(|p| p.key.clone())
            .collect(),
        left: before
            .iter()
            .filter(|p| !had(&p.key, &now))
            .map(|p| p.key.clone())
            .collect(),
        here: now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(key: &str, tabs: u32, name: &str, at: u64) -> Tracked {
        Tracked {
            key: key.into(),
            tabs,
            meta: json!({ "name": name }),
            at,
        }
    }

    #[test]
    fn one_entry_per_person_with_their_tabs_and_latest_meta() {
        let here = merge([
            entry("bo", 1, "Bo", 5),
            entry("ana", 2, "Ana", 3),
            entry("ana", 1, "Ana (phone)", 9),
        ]);
        assert_eq!(
            here,
            vec![
                Present {
                    key: "ana".into(),
                    tabs: 3,
                    meta: json!({ "name": "Ana (phone)" })
                },
                Present {
                    key: "bo".into(),
                    tabs: 1,
                    meta: json!({ "name": "Bo" })
                },
            ]
        );
    }

    #[test]
    fn a_change_names_who_joined_and_who_left() {
        let before = merge([entry("ana", 1, "Ana", 1)]);
        let now = merge([entry("bo", 1, "Bo", 2)]);
        let change = change("room", &before, now);
        assert_eq!(change.joined, vec!["bo"]);
        assert_eq!(change.left, vec!["ana"]);
        assert_eq!(change.here.len(), 1);
    }
}
