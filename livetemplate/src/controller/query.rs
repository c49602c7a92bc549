//! The page's query string as a typed value, one field at a time: a
//! bookmark with a stale or mistyped parameter still opens the page.

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::MountContext;

/// A query parameter that does not fit its field: which, what it held,
/// and why it did not fit.
///
/// The page still opens: the field keeps its default, and the page says
/// what was wrong (see [`MountContext::query_as`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("\"{value}\" is not a valid {field}: {reason}")]
pub struct QueryError {
    /// The parameter's name, as in the URL.
    pub field: String,
    /// The value it held, as in the URL (decoded).
    pub value: String,
    /// Why it does not fit (from the field's type: `invalid digit found in
    /// string`, ``unknown variant `x`, expected one of `a`, `b` ``).
    pub reason: String,
}

/// A query read into `T`: every parameter that fits is in `value`; each
/// one that does not is in `errors`, and its field kept its default.
#[derive(Debug, Clone)]
pub struct QueryFields<T> {
    /// The query as a `T`.
    pub value: T,
    /// The parameters that did not fit, by name.
    pub errors: Vec<QueryError>,
}

impl MountContext {
    /// The page's query read into `T`, parameter by parameter, the way
    /// axum's `Query` reads it (numbers, booleans, enums by variant name,
    /// `Option`s): a parameter that does not fit its field becomes a
    /// [`QueryError`] and the field keeps its default, so a mistyped or
    /// stale URL opens the page with a message rather than failing it.
    /// Unknown parameters are ignored, and an empty one (`?page=`, as a
    /// form sends an empty field) counts as missing.
    ///
    /// Give `T` `#[serde(default)]` (or a default per field): a parameter
    /// missing from the URL takes its default.
    ///
    /// ```
    /// use livetemplate::{ActionError, Actions, Controller, MountContext};
    /// use serde::{Deserialize, Serialize};
    ///
    /// #[derive(Default, Deserialize)]
    /// #[serde(default)]
    /// struct Filters {
    ///     page: u32,
    ///     sort: Sort,
    /// }
    ///
    /// #[derive(Clone, Copy, Default, Serialize, Deserialize)]
    /// #[serde(rename_all = "lowercase")]
    /// enum Sort { #[default] Name, Price }
    ///
    /// #[derive(Clone, Default, Serialize, Deserialize)]
    /// struct Shop { page: u32, sort: Sort, problems: Vec<String> }
    ///
    /// struct Catalog;
    /// impl Controller for Catalog {
    ///     type State = Shop;
    ///     fn actions(_: &mut Actions<Self>) {}
    ///     fn mount(&self, ctx: &MountContext) -> Result<Shop, ActionError> {
    ///         // `?page=2&sort=size`: page 2, sort by name, and a message about `sort`.
    ///         let query = ctx.query_as::<Filters>();
    ///         Ok(Shop {
    ///             page: query.value.page,
    ///             sort: query.value.sort,
    ///             problems: query.errors.iter().map(ToString::to_string).collect(),
    ///         })
    ///     }
    /// }
    /// ```
    pub fn query_as<T: DeserializeOwned + Default>(&self) -> QueryFields<T> {
        let mut pairs: Vec<(&str, &str)> = self
            .query
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        // The same URL gives its errors in the same order.
        pairs.sort_unstable();
        if let Ok(value) = from_pairs(&pairs) {
            return QueryFields {
                value,
                errors: Vec::new(),
            };
        }
        let mut errors = Vec::new();
        let mut fitting = Vec::new();
        for (field, value) in pairs {
            match from_pairs::<T>(&[(field, value)]) {
                Ok(_) => fitting.push((field, value)),
                Err(e) => errors.push(QueryError {
                    field: field.to_string(),
                    value: value.to_string(),
                    reason: e.to_string(),
                }),
            }
        }
        QueryFields {
            // Each fits alone; together they could still clash (a field
            // given twice under an alias): then nothing is taken.
            value: from_pairs(&fitting).unwrap_or_default(),
            errors,
        }
    }
}

fn from_pairs<T: DeserializeOwned>(
    pairs: &[(&str, &str)],
) -> Result<T, serde_urlencoded::de::Error> {
    let encoded = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    serde_urlencoded::from_str(&encoded)
}
