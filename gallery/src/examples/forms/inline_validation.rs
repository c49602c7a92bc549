//! Inline Validation: a sign-up form that says what is wrong while the
//! person types, without a single submit.
//!
//! Most rules are the form's own HTML: `type="email"`, `required`,
//! `minlength`, `pattern` with its `title` as the message. The server
//! reads them from the template and checks each field as it changes
//! (the stock client sends bound fields as debounced `change` actions) and
//! the whole form on submit — also when it is posted without JavaScript.
//! The `change` handler adds what HTML cannot say: a username that is
//! taken, and password rules shown as a checklist. The password is sent
//! as typed (`lvt-on:input="change"`) but never kept or rendered back.
//! A submit the checks refuse goes through `change` too, so without
//! JavaScript the page after the redirect shows what was typed again.

use axum::Router;
use livetemplate::{ActionError, Actions, Context, Controller, LiveError};
use serde::{Deserialize, Serialize};

use crate::catalog::{Category, Example, Gallery};

/// Names already signed up, for the rule only the server can check.
const TAKEN: &[&str] = &["admin", "root", "ada", "grace", "alan"];

pub struct InlineValidation;

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct SignUpState {
    pub email: String,
    pub username: String,
    pub password: PasswordRules,
    /// Who just signed up, for the welcome line.
    pub welcome: Option<String>,
}

/// Which password rules the last keystroke met.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct PasswordRules {
    pub long_enough: bool,
    pub letters_and_digits: bool,
    pub not_username: bool,
}

impl PasswordRules {
    fn of(password: &str, username: &str) -> PasswordRules {
        let has = |f: fn(char) -> bool| password.chars().any(f);
        PasswordRules {
            long_enough: password.chars().count() >= 8,
            letters_and_digits: has(char::is_alphabetic) && has(|c| c.is_ascii_digit()),
            not_username: !password.is_empty()
                && (username.is_empty() || !password.to_lowercase().contains(username)),
        }
    }

    fn all(&self) -> bool {
        self.long_enough && self.letters_and_digits && self.not_username
    }
}

impl Controller for InlineValidation {
    type State = SignUpState;

    fn actions(actions: &mut Actions<Self>) {
        actions
            .on("change", Self::change)
            .on("register", Self::register);
    }
}

impl InlineValidation {
    /// One field, as it is typed (the template's checks have already run
    /// on it). What is kept stays on screen, even with an error beside it.
    fn change(&self, state: &mut SignUpState, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        state.welcome = None;
        if let Some(email) = ctx.get_string("email") {
            state.email = email;
        }
        if let Some(password) = ctx.get_string("password") {
            state.password = PasswordRules::of(&password, &state.username);
        }
        if let Some(username) = ctx.get_string("username") {
            state.username = username;
            if let Some(message) = taken(&state.username) {
                return Err(ActionError::field("username", message));
            }
        }
        Ok(())
    }

    /// Runs once the template's checks pass; then the server's own rules.
    fn register(
        &self,
        state: &mut SignUpState,
        ctx: &mut Context<Self>,
    ) -> Result<(), ActionError> {
        let username = ctx.get_string("username").unwrap_or_default();
        let password = ctx.get_string("password").unwrap_or_default();
        let mut fields = Vec::new();
        if let Some(message) = taken(&username) {
            fields.push(("username".to_string(), message));
        }
        if !PasswordRules::of(&password, &username).all() {
            fields.push((
                "password".into(),
                "Choose a password that meets all three rules.".into(),
            ));
        }
        if !fields.is_empty() {
            return Err(ActionError::Fields { fields });
        }
        // A new, empty form (the client clears its inputs after a success).
        *state = SignUpState {
            welcome: Some(username),
            ..SignUpState::default()
        };
        Ok(())
    }
}

/// Why `username` cannot be had, if it cannot.
fn taken(username: &str) -> Option<String> {
    TAKEN.contains(&username).then(|| {
        format!(
            "{username} is taken. How about {username}_{}?",
            username.len()
        )
    })
}

pub const EXAMPLE: Example = Example {
    category: Category::Forms,
    slug: "inline-validation",
    title: "Inline Validation",
    summary: "A sign-up form checked as you type. Email and username rules are the inputs' own HTML (type=\"email\", minlength, pattern), \
              read by the server from the template; the change handler adds a taken username and a password checklist. \
              Submitting checks everything again, with or without JavaScript.",
    try_it: "Type \"ann@\" as the email: the error appears beside it without submitting; finish it as \"ann@example.com\" and it goes away. \
             Try the username \"admin\" (taken) or \"Ann!\", and watch the password checklist tick as you type. \
             Create the account with everything right: a welcome line, and an empty form.",
    template: "forms/inline-validation.html",
    sign_in: false,
    source: crate::this_file!(),
    also: &[],
    routes,
};

/// The page, in the gallery's example layout at `/forms/inline-validation`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    gallery.show(
        &EXAMPLE,
        gallery.live.page(EXAMPLE.template, InlineValidation),
    )
}
