//! A plain `<form method="POST">` body (urlencoded), sent without JavaScript.

use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

use super::FrameError;

/// The action and data of a urlencoded form. The action is `lvt-action`,
/// else `lvt-submitter`, else the one field with an empty value
/// (`<button name="save">` arrives as `save=`), else `submit`; the other
/// fields are the data. Refuses a body, or a decoded field, that is not UTF-8
/// rather than hand the handler replacement characters.
pub(crate) fn action(body: &[u8]) -> Result<(String, Map<String, Value>), FrameError> {
    Ok(action_of(fields(body)?))
}

/// The action and data of a form's fields (urlencoded or multipart), named
/// as [`action`] says.
pub(crate) fn action_of(pairs: Vec<(String, String)>) -> (String, Map<String, Value>) {
    let find = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let action = find("lvt-action")
        .or_else(|| find("lvt-submitter"))
        .or_else(|| {
            let mut empty = pairs.iter().filter(|(_, v)| v.is_empty());
            match (empty.next(), empty.next()) {
                (Some((name, _)), None) => Some(name.clone()),
                _ => None,
            }
        })
        .unwrap_or_else(|| "submit".to_string());
    let mut data = Map::new();
    for (k, v) in pairs {
        if k != "lvt-action" && k != "lvt-submitter" && k != action {
            data.insert(k, Value::String(v));
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

    #[test]
    fn the_action_is_named_the_way_browsers_send_forms() {
        assert_eq!(action(b"startTimer=").unwrap().0, "startTimer");
        let (name, data) = action(b"title=Hi+there&save=").unwrap();
        assert_eq!(name, "save");
        assert_eq!(data["title"], "Hi there");
        assert_eq!(action(b"lvt-action=go&x=").unwrap().0, "go");
        assert_eq!(action(b"a=1").unwrap().0, "submit");
        assert_eq!(
            action(b"a=&b=").unwrap().0,
            "submit",
            "two empty fields: no guess"
        );
        let (_, data) = action(b"q=%3Cb%3E+%26+caf%C3%A9").unwrap();
        assert_eq!(data["q"], "<b> & café");
    }

    #[test]
    fn bodies_that_are_not_utf8_are_refused() {
        assert_eq!(action(b"name=\xff").unwrap_err(), FrameError::NotUtf8);
        assert_eq!(action(b"name=%FF").unwrap_err(), FrameError::NotUtf8);
        assert_eq!(action(b"%C3=x").unwrap_err(), FrameError::NotUtf8);
    }
}
