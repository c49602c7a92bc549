//! Readiness: whether this instance can serve its pages now, for a load
//! balancer's or an orchestrator's probe.

use super::LiveTemplate;

/// Why [`LiveTemplate::ready`] says the instance should not get traffic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotReady {
    /// A built page's template (or layout) can no longer be loaded.
    #[error("template {0:?} of a live page cannot be loaded")]
    TemplateMissing(String),
    /// The runtime has a [bus](crate::Builder::bus) and its link is down:
    /// pushes would not reach the other instances' tabs.
    #[error("the link to the bus ({bus}) is down")]
    BusDown {
        /// Where the bus goes.
        bus: String,
    },
}

impl LiveTemplate {
    /// `Ok` when every live page's template loads and, with a
    /// [bus](crate::Builder::bus), its link is up; for a readiness probe.
    ///
    /// ```
    /// use livetemplate::{LiveTemplate, Templates};
    /// let live = LiveTemplate::new(Templates::from_fn(|_| Some("<p>hi</p>".into())));
    /// assert_eq!(live.ready(), Ok(()));
    /// ```
    pub fn ready(&self) -> Result<(), NotReady> {
        let templates = crate::lock::lock(&self.inner.page_templates).clone();
        if let Some(missing) = templates
            .into_iter()
            .find(|name| self.inner.templates.source(name).is_none())
        {
            return Err(NotReady::TemplateMissing(missing));
        }
        if self.inner.bus.is_some() {
            let status = self.sessions().cluster();
            if !status.connected {
                return Err(NotReady::BusDown {
                    bus: status.bus.unwrap_or_default(),
                });
            }
        }
        Ok(())
    }
}
