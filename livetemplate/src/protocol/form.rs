//! A plain `<form method="POST">` body (urlencoded), sent without JavaScript.

use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

use super::FrameError;

/// The action and data of a urlencoded form. The action is `lvt-action`,
/// else `lvt-submitter`, else the one field with an empty value
/// (`<button name="save">` arrives as `save=`) — or, when inputs were left
/// empty too, the one such field that `answers` (an action of the page) —
/// else `submit`; the other
/// fields are the data; a name sent more than once (the ticked boxes of a
/// checkbox group) becomes a list of its values, as the client sends it.
/// Refuses a body, or a decoded field, that is not UTF-8 rather than hand
/// the handler replacement characters.
pub(crate) fn action(
    body: &[u8],
    answers: impl Fn(&str) -> bool,
) -> Result<(String, Map<String, Value>), FrameError> {
    Ok(action_of(fields(body)?, answers))
}

/// The action and data of a form's fields (urlencoded or multipart), named
/// as [`action`] says.
pub(crate) fn action_of(
    pairs: Vec<(String, String)>,
    answers: impl Fn(&str) -> bool,
) -> (String, Map<String, Value>) {
    let find = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let empty: Vec<&String> = pairs
        .iter()
        .filter(|(_, v)| v.is_empty())
        .map(|(k, _)| k)
        .collect();
    let only = |names: Vec<&String>| (names.len() == 1).then(|| names[0].clone());
    let action = find("lvt-action")
        .or_else(|| find("lvt-submitter"))
        .or_else(|| only(empty.clone()))
        .or_else(|| only(empty.iter().copied().filter(|k| answers(k)).collect()))
        .unwrap_or_else(|| "submit".to_string());
    let mut data = Map::new();
    for (k, v) in pairs {
        if k == "lvt-action" || k == "lvt-submitter" || k == action {
            continue;
        }
        match data.get_mut(&k) {
            Some(Value::Array(values)) => values.push(Value::String(v)),
            Some(first) => *first = Value::Array(vec![first.take(), Value::String(v)]),
            None => {
                data.insert(k, Value::String(v));
            }
        }
    }
    (action, data)
}

/// The fields of an `application/x-www-form-urlencoded` body, in order.
fn fields(body: &[u8]) -> Result<Vec<(String, String)>, FrameError> {
    let text = std::str::from_utf8(body).map_err(|_| FrameError::NotUtf8)?;
    let decode = |s: &str| {
        let spaced = s.replace('+', " ");
        percent_decode_str(&spaced)
            .decode_utf8()
            .map(|s| s.into_owned())
            .map_err(|_| FrameError::NotUtf8)
    };
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((decode(k)?, decode(v)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A page whose actions are `save` and `cancel`.
    fn action_of(body: &[u8]) -> Result<(String, Map<String, Value>), FrameError> {
        action(body, |name| name == "save" || name == "cancel")
    }

    #[test]
    fn inputs_left_empty_do_not_hide_the_button_that_was_pressed() {
        let (name, data) = action_of(b"name=&email=&save=").unwrap();
        assert_eq!(name, "save");
        assert_eq!(data["name"], "");
        assert_eq!(
            action_of(b"name=&save=&cancel=").unwrap().0,
            "submit",
            "two actions: no guess"
        );
    }

    #[test]
    fn the_action_is_named_the_way_browsers_send_forms() {
        assert_eq!(action_of(b"startTimer=").unwrap().0, "startTimer");
        let (name, data) = action_of(b"title=Hi+there&save=").unwrap();
        assert_eq!(name, "save");
        assert_eq!(data["title"], "Hi there");
        assert_eq!(action_of(b"lvt-action=go&x=").unwrap().0, "go");
        assert_eq!(action_of(b"a=1").unwrap().0, "submit");
        assert_eq!(
            action_of(b"a=&b=").unwrap().0,
            "submit",
            "two empty fields: no guess"
        );
        let (_, data) = action_of(b"q=%3Cb%3E+%26+caf%C3%A9").unwrap();
        assert_eq!(data["q"], "<b> & café");
    }

    #[test]
    fn a_name_sent_more_than_once_is_a_list() {
        let (name, data) = action_of(b"ids=1&ids=3&activate=&ids=4&note=x").unwrap();
        assert_eq!(name, "activate");
        assert_eq!(data["ids"], serde_json::json!(["1", "3", "4"]));
        assert_eq!(data["note"], "x");
        let (_, data) = action_of(b"ids=2&activate=").unwrap();
        assert_eq!(data["ids"], "2", "once is a single value");
    }

    #[test]
    fn bodies_that_are_not_utf8_are_refused() {
        assert_eq!(action_of(b"name=\xff").unwrap_err(), FrameError::NotUtf8);
        assert_eq!(action_of(b"name=%FF").unwrap_err(), FrameError::NotUtf8);
        assert_eq!(action_of(b"%C3=x").unwrap_err(), FrameError::NotUtf8);
    }
}
