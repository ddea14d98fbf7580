//! The progress display: a bar on stderr with the step being run, shown only when
//! stderr is a terminal (quiet otherwise, so logs and pipes stay clean), cleared when
//! the run ends.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressStyle};

use super::events::{Event, Subscriber};

/// A progress bar over a run's tool steps.
#[derive(Debug)]
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A display on stderr, or `None` when stderr is not a terminal.
    pub fn for_stderr() -> Option<Progress> {
        if !std::io::stderr().is_terminal() {
            return None;
        }
        // Cleared however it ends: a refused run, whose bar never started, draws nothing.
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr())
            .with_finish(ProgressFinish::AndClear);
        let style = ProgressStyle::with_template("{spinner} [{pos}/{len}] {elapsed} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        Some(Progress { bar })
    }
}

impl Subscriber for Progress {
    fn on(&self, event: &Event) {
        match event {
            Event::RunStarted { name, tool_ops, .. } => {
                self.bar.set_length(tool_ops.len() as u64);
                self.bar.set_message(name.clone());
                self.bar.enable_steady_tick(Duration::from_millis(120));
            }
            Event::StepStarted { label, tool, .. } => {
                self.bar.set_message(format!("{label} {tool}"));
            }
            Event::StepFinished { .. } => self.bar.inc(1),
            Event::LlmCall {
                slot,
                model,
                input_tokens,
                output_tokens,
                cost_usd,
                ..
            } => self.bar.println(format!(
                "llm {model} for slot `{slot}`: {input_tokens} in, {output_tokens} out, ${cost_usd:.4}"
            )),
            Event::RunFinished { .. } => self.bar.finish_and_clear(),
            _ => {}
        }
    }
}
