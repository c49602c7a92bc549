//! Validation a template's forms ask for, read from their own HTML.
//!
//! `<input name="email" type="email" required>` says what a browser checks
//! before it submits; the server checks the same, so a client that does
//! not (a script, an old browser, a form with `novalidate` so that the
//! server's messages show) cannot get past it — on the WebSocket, over HTTP
//! and in a plain form post alike. What is read: `required`,
//! `type=email|url|number`, `min`/`max` (numbers), `minlength`/`maxlength`,
//! `pattern` (its `title` is the message), and `formnovalidate` on a
//! submit button. Only literal attributes count; one a template expression
//! or block decides is not known ahead and is not checked.

use std::collections::HashMap;

use regex::Regex;
use serde_json::{Map, Value};

use super::markup::{tags, Tag};

/// What one field must be.
#[derive(Debug, Clone, Default)]
pub(crate) struct Rule {
    required: bool,
    kind: Kind,
    min: Option<f64>,
    max: Option<f64>,
    min_length: Option<usize>,
    max_length: Option<usize>,
    /// The pattern, anchored as HTML anchors it, and the message (`title`).
    pattern: Option<(Regex, Option<String>)>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
enum Kind {
    #[default]
    Text,
    Email,
    Url,
    Number,
    /// A checkbox: absent from a post when unchecked.
    Checkbox,
}

/// One form of a template: the actions that submit it and its fields.
#[derive(Debug, Default)]
struct Form {
    /// Action names a submit of this form is sent as.
    actions: Vec<String>,
    /// Submit buttons with `formnovalidate`: their actions are not checked.
    unchecked: Vec<String>,
    fields: Vec<(String, Rule)>,
}

/// The validation rules of a page's template (and what it includes).
#[derive(Debug, Default)]
pub(crate) struct FormRules {
    forms: Vec<Form>,
    /// Every checked field by name, for `change` (the first written wins).
    fields: HashMap<String, Rule>,
}

impl FormRules {
    /// Reads the rules written in `source`.
    pub(crate) fn infer(source: &str) -> FormRules {
        let mut rules = FormRules::default();
        let mut form: Option<Form> = None;
        for tag in tags(source) {
            match tag.name.to_ascii_lowercase().as_str() {
                "form" => {
                    let mut f = Form::default();
                    if let Some(a) = tag.attr("lvt-form:action").filter(|a| !a.is_empty()) {
                        f.actions.push(a.to_string());
                    } else if let Some(n) = tag.attr("name").filter(|n| !n.is_empty()) {
                        f.actions.push(n.to_string());
                    } else {
                        f.actions.push("submit".to_string());
                    }
                    rules.close(form.replace(f));
                }
                "/form" => rules.close(form.take()),
                "button" | "input" if is_submit(&tag) => {
                    if let (Some(f), Some(name)) = (form.as_mut(), tag.attr("name")) {
                        // A named submit button names the action, unless
                        // the form names it itself.
                        if tag.flag("formnovalidate") {
                            f.unchecked.push(name.to_string());
                        }
                        if !f.actions.iter().any(|a| a == name) {
                            f.actions.push(name.to_string());
                        }
                    }
                }
                "input" | "textarea" | "select" => {
                    let Some((name, rule)) = field(&tag) else {
                        continue;
                    };
                    rules.fields.entry(name.clone()).or_insert(rule.clone());
                    if let Some(f) = form.as_mut() {
                        f.fields.push((name, rule));
                    }
                }
                _ => {}
            }
        }
        rules.close(form);
        rules
    }

    fn close(&mut self, form: Option<Form>) {
        if let Some(f) = form.filter(|f| !f.fields.is_empty()) {
            self.forms.push(f);
        }
    }

    /// Whether the template asks for any check (the client then sends
    /// `change` as a person types).
    pub(crate) fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The errors of a submit of `action` with `data`, by field: every
    /// field of the forms that submit as `action` and are present in `data`
    /// (a field a condition did not render is absent, and not checked), and
    /// required checkboxes left unchecked.
    pub(crate) fn check_submit(
        &self,
        action: &str,
        data: &Map<String, Value>,
    ) -> Map<String, Value> {
        let mut errors = Map::new();
        for form in self
            .forms
            .iter()
            .filter(|f| f.actions.iter().any(|a| a == action))
        {
            if form.unchecked.iter().any(|a| a == action) {
                continue;
            }
            for (name, rule) in &form.fields {
                let value = data.get(name);
                if value.is_none() && rule.kind != Kind::Checkbox {
                    continue;
                }
                if let Some(message) = rule.check(value) {
                    errors.entry(name.clone()).or_insert(Value::String(message));
                }
            }
        }
        errors
    }

    /// The verdict on each field in `data` that has a rule, as a person
    /// types (`change`): its message, or `None` when it is fine now.
    pub(crate) fn check_fields<'a>(
        &'a self,
        data: &'a Map<String, Value>,
    ) -> impl Iterator<Item = (&'a str, Option<String>)> + 'a {
        data.iter().filter_map(|(name, value)| {
            let rule = self.fields.get(name)?;
            Some((name.as_str(), rule.check(Some(value))))
        })
    }
}

fn is_submit(tag: &Tag<'_>) -> bool {
    let kind = tag.attr("type").map(str::to_ascii_lowercase);
    match tag.name.to_ascii_lowercase().as_str() {
        "button" => matches!(kind.as_deref(), None | Some("submit")),
        _ => matches!(kind.as_deref(), Some("submit" | "image")),
    }
}

/// A field's name and rule, if it has a literal name and anything to check.
fn field(tag: &Tag<'_>) -> Option<(String, Rule)> {
    let name = tag.attr("name").filter(|n| !n.is_empty())?;
    let element = tag.name.to_ascii_lowercase();
    let kind = match (
        element.as_str(),
        tag.attr("type").map(str::to_ascii_lowercase),
    ) {
        ("input", Some(t)) => match t.as_str() {
            "email" => Kind::Email,
            "url" => Kind::Url,
            "number" | "range" => Kind::Number,
            "checkbox" => Kind::Checkbox,
            "text" | "search" | "tel" | "password" => Kind::Text,
            // Hidden, submit, file, dates, radio…: not checked here.
            _ => return None,
        },
        _ => Kind::Text,
    };
    if tag.has_blocks() {
        // Attributes a block may add or remove are not taken at their word.
        return None;
    }
    let number = |attr: &str| tag.attr(attr).and_then(|v| v.trim().parse::<f64>().ok());
    let count = |attr: &str| tag.attr(attr).and_then(|v| v.trim().parse::<usize>().ok());
    let pattern = tag.attr("pattern").and_then(|p| {
        // HTML matches the whole value; a pattern Rust's regex cannot read
        // is left to the browser.
        let anchored = Regex::new(&format!("^(?:{p})$")).ok()?;
        Some((anchored, tag.attr("title").map(str::to_string)))
    });
    let rule = Rule {
        required: tag.flag("required"),
        kind,
        min: number("min").filter(|_| kind == Kind::Number),
        max: number("max").filter(|_| kind == Kind::Number),
        min_length: count("minlength"),
        max_length: count("maxlength"),
        pattern,
    };
    let checks_something = rule.required
        || matches!(kind, Kind::Email | Kind::Url | Kind::Number)
        || rule.min_length.is_some()
        || rule.max_length.is_some()
        || rule.pattern.is_some();
    checks_something.then(|| (name.to_string(), rule))
}

impl Rule {
    /// The message for `value`, or `None` if it is fine. An empty value
    /// fails only `required`, as in a browser.
    fn check(&self, value: Option<&Value>) -> Option<String> {
        if self.kind == Kind::Checkbox {
            let on = value.is_some_and(|v| {
                !matches!(v, Value::Null | Value::Bool(false)) && !text(v).is_empty()
            });
            return (self.required && !on).then(|| "Check this box to continue.".to_string());
        }
        let value = value.map(text).unwrap_or_default();
        if value.trim().is_empty() {
            return self.required.then(|| "This field is required.".to_string());
        }
        match self.kind {
            Kind::Email if !is_email(&value) => {
                return Some("Enter an email address, like name@example.com.".into())
            }
            Kind::Url if !is_url(&value) => {
                return Some("Enter a full web address, like https://example.com.".into())
            }
            Kind::Number => match value.trim().parse::<f64>() {
                Ok(n) if n.is_finite() => {
                    if let Some(min) = self.min.filter(|min| n < *min) {
                        return Some(format!("Enter {} or more.", number(min)));
                    }
                    if let Some(max) = self.max.filter(|max| n > *max) {
                        return Some(format!("Enter {} or less.", number(max)));
                    }
                }
                _ => return Some("Enter a number.".into()),
            },
            _ => {}
        }
        let length = value.chars().count();
        if let Some(min) = self.min_length.filter(|min| length < *min) {
            return Some(format!("Use at least {min} characters (now {length})."));
        }
        if let Some(max) = self.max_length.filter(|max| length > *max) {
            return Some(format!("Use at most {max} characters (now {length})."));
        }
        if let Some((pattern, title)) = &self.pattern {
            if !pattern.is_match(&value) {
                return Some(
                    title
                        .clone()
                        .unwrap_or_else(|| "Use the format asked for.".into()),
                );
            }
        }
        None
    }
}

/// A posted value as the text a person typed (the client sends numbers
/// and booleans it recognises as JSON numbers and booleans).
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `3` rather than `3.0` in messages.
fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{n:.0}")
    } else {
        n.to_string()
    }
}

/// A "valid email address" as the HTML standard defines it for
/// `type=email`: a local part of allowed characters, `@`, and a domain of
/// dot-separated labels (letters, digits, inner hyphens, at most 63 each).
fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".!#$%&'*+/=?^_`{|}~-".contains(c));
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    local_ok && domain.split('.').all(label_ok)
}

/// An absolute URL, as `type=url` asks.
fn is_url(value: &str) -> bool {
    url::Url::parse(value.trim()).is_ok()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const SIGN_UP: &str = r#"
        <form lvt-form:action="save" novalidate>
          <input name="email" type="email" value="{{ email }}" required>
          <input name="username" value="{{ username }}" required minlength="3" maxlength="20"
                 pattern="[a-z0-9_]+" title="Lower-case letters, digits and _ only.">
          <input name="age" type="number" min="13" max="120">
          <input name="terms" type="checkbox" required>
          <input name="code" {% if strict %}required{% endif %}>
          <input name="{{ dynamic }}" required>
          <button>Save</button>
          <button name="draft" formnovalidate>Save a draft</button>
        </form>
        <form name="search"><input type="search" name="q" maxlength="5"></form>"#;

    fn data(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn a_submit_is_checked_as_its_form_says() {
        let rules = FormRules::infer(SIGN_UP);
        let errors = rules.check_submit(
            "save",
            &data(json!({ "email": "not-an-email", "username": "Ab", "age": 7 })),
        );
        assert_eq!(
            errors["email"],
            "Enter an email address, like name@example.com."
        );
        assert_eq!(errors["username"], "Use at least 3 characters (now 2).");
        assert_eq!(errors["age"], "Enter 13 or more.");
        assert_eq!(errors["terms"], "Check this box to continue.");
        assert_eq!(errors.len(), 4, "nothing else: {errors:?}");

        let fine =
            json!({ "email": "ann@example.com", "username": "ann_1", "age": "30", "terms": "on" });
        assert!(rules.check_submit("save", &data(fine)).is_empty());
        let pattern =
            rules.check_submit("save", &data(json!({ "username": "Ann!", "terms": true })));
        assert_eq!(
            pattern["username"],
            "Lower-case letters, digits and _ only."
        );
    }

    #[test]
    fn formnovalidate_other_forms_and_unknown_actions_are_not_checked() {
        let rules = FormRules::infer(SIGN_UP);
        let bad = data(json!({ "email": "x", "q": "toolong" }));
        assert!(
            rules.check_submit("draft", &bad).is_empty(),
            "formnovalidate"
        );
        assert!(
            rules.check_submit("toggle", &bad).is_empty(),
            "not a form's action"
        );
        let search = rules.check_submit("search", &bad);
        assert_eq!(search["q"], "Use at most 5 characters (now 7).");
        assert!(!search.contains_key("email"), "another form's field");
    }

    #[test]
    fn as_a_person_types_only_the_changed_field_is_judged() {
        let rules = FormRules::infer(SIGN_UP);
        let typed = data(json!({ "email": "ann@" }));
        let verdicts: Vec<_> = rules.check_fields(&typed).collect();
        assert_eq!(
            verdicts,
            [(
                "email",
                Some("Enter an email address, like name@example.com.".into())
            )]
        );
        let fixed = data(json!({ "email": "ann@example.com", "unknown": "x" }));
        assert_eq!(
            rules.check_fields(&fixed).collect::<Vec<_>>(),
            [("email", None)]
        );
    }

    #[test]
    fn what_templates_decide_is_not_checked() {
        let rules = FormRules::infer(SIGN_UP);
        let errors = rules.check_submit("save", &data(json!({ "code": "" })));
        assert!(!errors.contains_key("code"), "required under a block");
        assert!(FormRules::infer("<input name=\"a\">").is_empty());
        assert!(FormRules::infer("<p>no forms</p>").is_empty());
    }

    #[test]
    fn emails_and_urls_as_browsers_judge_them() {
        for ok in ["a@b", "first.last+tag@example.co.uk", "x@localhost"] {
            assert!(is_email(ok), "{ok}");
        }
        for bad in ["a", "@b", "a@", "a@b..c", "a b@c", "a@-b.c", "a@b@c"] {
            assert!(!is_email(bad), "{bad}");
        }
        assert!(is_url("https://example.com/x"));
        assert!(!is_url("example.com"));
    }
}
