//! Forms: the checks a template's fields ask for, on submit and as a
//! person types (`change`).

use std::sync::Arc;

use serde_json::{Map, Value};

use super::{Dispatch, Outcome, Update, View};
use crate::controller::{action_key, ActionError, Caller, Context, Controller, Effects, Link};

/// What a `change` handler made of a field: its state and effects (or why
/// it failed), and its verdict on the field; `None` without a handler.
type Kept<S> = Option<(Result<(S, Effects), ActionError>, Option<ActionError>)>;

/// The action the client sends as a person types in a bound field.
pub(crate) const CHANGE: &str = "change";

impl<C: Controller> Dispatch<C> {
    /// What the first frame tells the client it may send: `change` when a
    /// handler takes it or the template's fields ask for checks.
    pub(crate) fn capabilities(&self) -> Vec<&'static str> {
        let change = self.actions.get(CHANGE, Caller::Client).is_some() || !self.forms.is_empty();
        if change {
            vec![CHANGE]
        } else {
            Vec::new()
        }
    }

    /// Whether `action` from a client is a field changing as a person
    /// types, for this page.
    pub(super) fn is_change(&self, action: &str) -> bool {
        action_key(action) == CHANGE
            && (self.actions.get(CHANGE, Caller::Client).is_some() || !self.forms.is_empty())
    }

    /// The checks of a submit of `action`, as the error the page shows, if
    /// any field fails (the handler then does not run).
    pub(super) fn form_error(
        &self,
        action: &str,
        data: &Map<String, Value>,
    ) -> Option<ActionError> {
        let errors = self.forms.check_submit(action, data);
        (!errors.is_empty()).then(|| ActionError::Fields {
            fields: errors
                .into_iter()
                .map(|(field, message)| (field, message.as_str().unwrap_or_default().to_string()))
                .collect(),
        })
    }

    /// A field changed as a person types: its check (the others' errors
    /// stay as they were: a field not yet touched shows nothing), then the
    /// controller's `change` handler if it has one. The handler's state is
    /// taken even when a check fails, so what the person typed is kept;
    /// its own field errors join the checks' — and keep what it changed
    /// too (`s.username = name; taken(&name)?` keeps the name on screen
    /// with its error). A general error or a panic leaves the state as it was.
    pub(super) fn change(
        &self,
        view: &mut View<C>,
        data: Arc<Map<String, Value>>,
        link: &Arc<Link>,
    ) -> Outcome {
        let mut errors = view.errors.clone();
        errors.remove("_general");
        for (field, verdict) in self.forms.check_fields(&data) {
            match verdict {
                Some(message) => errors.insert(field.to_string(), message.into()),
                None => errors.remove(field),
            };
        }
        let outcome = self.keep_typed(&view.state, data, link);
        let (next, effects) = match outcome {
            Some((Ok((next, effects)), verdict)) => {
                if let Some(e) = verdict {
                    errors.extend(e.to_map());
                }
                (Some(next), Some(effects))
            }
            Some((Err(e), _)) => {
                errors.extend(e.to_map());
                (None, None)
            }
            None => (None, None),
        };
        self.metrics.action_done(errors.is_empty());
        let Some(next) = next else {
            // Nothing to take: show the verdicts on the state as it is.
            view.errors = errors;
            let update = self.refresh(view).unwrap_or_else(|e| {
                tracing::error!(error = %e, "render failed after change");
                Value::Object(Map::new())
            });
            return Outcome {
                update: Update::Value(update),
                effects,
            };
        };
        let mut effects = effects.unwrap_or_default();
        let flash = std::mem::take(&mut effects.flash);
        match self.accept_with(view, next, errors, flash, &link.identity.group) {
            Ok(update) => Outcome {
                update: Update::Value(update),
                effects: Some(effects),
            },
            Err(e) => self.fail(view, CHANGE, e),
        }
    }

    /// A submit its checks refused: its handler does not run, but the
    /// `change` handler (if there is one) takes what was typed, so the page
    /// shows it again beside the errors — also the page a plain form post
    /// is redirected to. Its own field errors are added where the checks
    /// found none.
    pub(super) fn refuse(
        &self,
        view: &mut View<C>,
        action: &str,
        error: ActionError,
        data: Arc<Map<String, Value>>,
        link: &Arc<Link>,
    ) -> Outcome {
        let Some((Ok((next, _)), verdict)) = self.keep_typed(&view.state, data, link) else {
            return self.fail(view, action, error);
        };
        let mut errors = error.to_map();
        for (field, message) in verdict.map(|v| v.to_map()).unwrap_or_default() {
            errors.entry(field).or_insert(message);
        }
        self.metrics.action_done(false);
        match self.accept_with(view, next, errors, Map::new(), &link.identity.group) {
            Ok(update) => Outcome {
                update: Update::Value(update),
                effects: None,
            },
            Err(e) => self.fail(view, action, e),
        }
    }

    /// Runs the controller's `change` handler on `data`, if it has one. A
    /// field error is a verdict on what was typed, not a failure of the
    /// handler: what it kept stays, and the error comes back beside it.
    fn keep_typed(
        &self,
        state: &C::State,
        data: Arc<Map<String, Value>>,
        link: &Arc<Link>,
    ) -> Kept<C::State> {
        let handler = self.actions.get(CHANGE, Caller::Client)?;
        let ctx = Context::new(CHANGE.into(), data, link);
        let mut verdict = None;
        let outcome = self.invoke(state, ctx, |c, state, ctx| {
            match handler(c, state, ctx) {
                Err(e @ ActionError::Fields { .. }) => verdict = Some(e),
                other => other?,
            }
            Ok(())
        });
        Some((outcome, verdict))
    }
}
