//! The self-check (`--smoke`): the page script in the window drives the
//! gallery like a person would and reports each step here; the app passes
//! once two timer ticks showed in the window's DOM, or fails with the last
//! step reached.

use std::sync::Mutex;
use std::time::Duration;

use serde::Deserialize;
use tokio::sync::Notify;

/// One step the page reports (`POST /_desktop/smoke`).
#[derive(Debug, Deserialize)]
#[serde(tag = "stage", rename_all = "kebab-case")]
pub enum Report {
    /// Reached a step; `detail` says what was seen.
    Step {
        step: String,
        detail: Option<String>,
    },
    /// Two ticks showed; `ticks` are the values seen, in order.
    Passed { ticks: Vec<String> },
    /// Something the check needs is not there.
    Failed { reason: String },
}

/// The check's progress, shared by the bridge route and the app.
#[derive(Default)]
pub struct Smoke {
    progress: Mutex<Progress>,
    changed: Notify,
}

#[derive(Default)]
struct Progress {
    last_step: Option<String>,
    verdict: Option<Result<String, String>>,
}

impl Smoke {
    /// Takes a report from the page; the first verdict stands.
    pub fn report(&self, report: Report) {
        let mut progress = self.progress.lock().unwrap_or_else(|p| p.into_inner());
        if progress.verdict.is_some() {
            return;
        }
        match report {
            Report::Step { step, detail } => {
                eprintln!(
                    "smoke: {step}{}",
                    detail.map(|d| format!(": {d}")).unwrap_or_default()
                );
                progress.last_step = Some(step);
            }
            Report::Passed { ticks } => {
                progress.verdict = Some(Ok(format!(
                    "ticks {} showed in the window",
                    ticks.join(", ")
                )));
            }
            Report::Failed { reason } => progress.verdict = Some(Err(reason)),
        }
        drop(progress);
        self.changed.notify_waiters();
    }

    /// Waits for the verdict; after `within`, fails naming the last step.
    pub async fn verdict(&self, within: Duration) -> Result<String, String> {
        let decided = async {
            loop {
                let changed = self.changed.notified();
                if let Some(verdict) = self.progress().verdict.clone() {
                    return verdict;
                }
                changed.await;
            }
        };
        match tokio::time::timeout(within, decided).await {
            Ok(verdict) => verdict,
            Err(_) => Err(match self.progress().last_step.clone() {
                None => format!(
                    "the gallery did not load in the window within {} s (no report from the page)",
                    within.as_secs()
                ),
                Some(step) => format!(
                    "stuck after \"{step}\": nothing further within {} s",
                    within.as_secs()
                ),
            }),
        }
    }

    fn progress(&self) -> std::sync::MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_first_verdict_stands() {
        let smoke = Smoke::default();
        smoke.report(Report::Passed {
            ticks: vec!["1".into(), "2".into()],
        });
        smoke.report(Report::Failed {
            reason: "late".into(),
        });
        assert_eq!(
            smoke.verdict(Duration::from_secs(1)).await,
            Ok("ticks 1, 2 showed in the window".to_string())
        );
    }

    #[tokio::test(start_paused = true)]
    async fn no_verdict_names_the_last_step() {
        let smoke = Smoke::default();
        let silent = smoke.verdict(Duration::from_secs(60)).await.unwrap_err();
        assert!(silent.contains("did not load"), "{silent}");
        smoke.report(Report::Step {
            step: "timer started".into(),
            detail: None,
        });
        let stuck = smoke.verdict(Duration::from_secs(60)).await.unwrap_err();
        assert!(stuck.contains("stuck after \"timer started\""), "{stuck}");
    }

    #[test]
    fn reports_parse_from_the_page_json() {
        let step: Report =
            serde_json::from_str(r#"{"stage":"step","step":"index","detail":"3 categories"}"#)
                .unwrap();
        assert!(matches!(step, Report::Step { .. }));
        let failed: Report = serde_json::from_str(r#"{"stage":"failed","reason":"x"}"#).unwrap();
        assert!(matches!(failed, Report::Failed { .. }));
    }
}
