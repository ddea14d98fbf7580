//! Goal dispatch: which stored program, if any, answers a goal.
pub mod template;
pub use template::{BindError, GoalTemplate, Segment, TemplateError, goal_words, normalize_goal};
