//! A sign-up form checked as the person types, with no validation code:
//! the checks are the form's own HTML (`type="email"`, `required`,
//! `minlength`…), run by the server on every submit — live, over HTTP, or
//! posted without JavaScript — and on each field as it changes. The one
//! rule HTML cannot say (a name that is taken) is the `change` handler's.
//!
//! ```sh
//! cargo run -p livetemplate --example signup            # http://127.0.0.1:8431
//! ```

use livetemplate::{ActionError, Actions, Context, Controller, LiveTemplate, Templates};
use serde::{Deserialize, Serialize};

const PAGE: &str = r#"<h1>Sign up</h1>
<form lvt-form:action="save" method="post" novalidate>
  <input type="hidden" name="lvt-action" value="save">
  <label>Email <input name="email" type="email" value="{{ email }}" required></label>
  <p class="error" id="email-error">{{ lvt.errors.email }}</p>
  <label>Username <input name="username" value="{{ username }}" required minlength="3" maxlength="20"
         pattern="[a-z0-9_]+" title="Lower-case letters, digits and _ only."></label>
  <p class="error" id="username-error">{{ lvt.errors.username }}</p>
  <button>Sign up</button>
</form>
{% if saved %}<p role="status">Welcome, {{ username }}!</p>{% endif %}"#;

struct SignUp;

#[derive(Clone, Default, Serialize, Deserialize)]
struct Form {
    email: String,
    username: String,
    saved: bool,
}

impl Controller for SignUp {
    type State = Form;

    fn actions(actions: &mut Actions<Self>) {
        actions
            .on("change", SignUp::change)
            .on("save", SignUp::save);
    }
}

impl SignUp {
    /// A field as it is typed: kept, so the page shows what was typed.
    fn change(&self, form: &mut Form, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        if let Some(email) = ctx.get_string("email") {
            form.email = email;
        }
        if let Some(username) = ctx.get_string("username") {
            form.username = username;
            taken(&form.username)?;
        }
        Ok(())
    }

    /// Runs only when the form's own checks pass.
    fn save(&self, form: &mut Form, ctx: &mut Context<Self>) -> Result<(), ActionError> {
        form.email = ctx.get_string("email").unwrap_or_default();
        form.username = ctx.get_string("username").unwrap_or_default();
        taken(&form.username)?;
        form.saved = true;
        Ok(())
    }
}

fn taken(username: &str) -> Result<(), ActionError> {
    match username {
        "admin" | "root" => Err(ActionError::field("username", "That name is taken.")),
        _ => Ok(()),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let addr = match (args.next().as_deref(), args.next()) {
        (Some("--addr"), Some(addr)) => addr,
        _ => "127.0.0.1:8431".to_string(),
    };
    let live = LiveTemplate::new(Templates::from_fn(|name| {
        (name == "signup.html").then(|| PAGE.to_string())
    }));
    let app = axum::Router::new()
        .route("/", live.page("signup.html", SignUp).build()?)
        .merge(live.routes());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    // Slow clients are cut off; Ctrl-C or SIGTERM stops it within the grace period.
    live.serve(listener, app)
        .with_graceful_shutdown(livetemplate::shutdown_signal())
        .await?;
    Ok(())
}
