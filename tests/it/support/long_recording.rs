//! The long recording of the compile-scaling test and bench (`tests/it/limits_scaling.rs`,
//! `benches/frontend.rs`, which includes this file by path).

/// A recording of `steps` steps after one read: `text.replace` calls that each take the
/// previous result and rename its number, every other one passed through `text.trim`
/// (exact data flow, values inside text, one name per step), in the compact YAML a
/// generator would write (under the 8 MiB limit).
pub fn long_recording(steps: usize) -> String {
    let mut rec = String::from(
        "llmos_recording: 1\ngoal: \"process notes/todo.txt\"\n\
         model: anthropic:claude-sonnet-4-5\nstarted_at: 2026-11-25T09:00:00Z\n\
         usage: {input_tokens: 1, output_tokens: 1, llm_calls: 1, cost_usd: 0.0}\n\
         outcome: success\nsteps:\n\
         - {tool: fs.read, args: {path: notes/todo.txt}, result: a b}\n",
    );
    let (mut prev, mut last) = ("a b".to_string(), "b".to_string());
    for i in 0..steps {
        if i % 2 == 1 {
            rec.push_str(&format!(
                "- {{tool: text.trim, args: {{text: {prev}}}, result: {prev}}}\n"
            ));
        } else {
            let next = format!("a {i}");
            rec.push_str(&format!(
                "- {{tool: text.replace, args: {{text: {prev}, from: '{last}', to: '{i}'}}, \
                 result: {next}}}\n"
            ));
            (prev, last) = (next, i.to_string());
        }
    }
    rec.push_str(&format!("- {{tool: llm.final, args: {{text: {prev}}}}}\n"));
    rec
}
