//! The progress display: a bar on stderr with the step being run, shown only when
//! stderr is a terminal and `-q` was not given (quiet otherwise, so logs and pipes stay
//! clean), cleared when the run ends.

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
        if !crate::ui::progress_bar() {
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

/// A line on stderr per finished or failed step, for `-v` when stderr is not a terminal
/// (where there is no bar): what the Follower ran, as the Learner's lines show its calls.
#[derive(Debug)]
pub struct StepLines;

impl StepLines {
    /// The lines, when `-v` asks for them and no bar is drawn.
    pub fn for_stderr() -> Option<StepLines> {
        (crate::ui::progress_lines() && !crate::ui::progress_bar()).then_some(StepLines)
    }
}

impl Subscriber for StepLines {
    fn on(&self, event: &Event) {
        match event {
            Event::StepFinished {
                label, tool, ms, ..
            } => eprintln!("  step  {tool}  {label}  ok ({ms:.0} ms)"),
            Event::StepFailed {
                label, tool, error, ..
            } => eprintln!("  step  {tool}  {label}  error: {error}"),
            _ => {}
        }
    }
}
