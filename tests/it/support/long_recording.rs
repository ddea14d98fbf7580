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

/// A recording of `steps` steps after one read: `json.parse` of a record written as text,
/// then `text.upper` of its name, in turn. The parsed records make thousands of distinct
/// numbers and names known (an id per record), and every JSON text is searched for them:
/// number texts where nearly every prefix is itself a known value, the shape that made the
/// automata of the data flow quadratic to build.
pub fn long_json_recording(steps: usize) -> String {
    let mut rec = String::from(
        "llmos_recording: 1\ngoal: \"process notes/todo.txt\"\n\
         model: anthropic:claude-sonnet-4-5\noutcome: success\nsteps:\n\
         - {tool: fs.read, args: {path: notes/todo.txt}, result: a b}\n",
    );
    let mut last = String::from("a b");
    for i in 0..steps / 2 {
        rec.push_str(&format!(
            "- {{tool: json.parse, args: {{text: '{{\"id\": {i}, \"name\": \"n{i}\", \"tags\": [\"a{i}\", \"b\"]}}'}}, \
             result: {{id: {i}, name: n{i}, tags: [a{i}, b]}}}}\n\
             - {{tool: text.upper, args: {{text: n{i}}}, result: N{i}}}\n"
        ));
        last = format!("N{i}");
    }
    rec.push_str(&format!("- {{tool: llm.final, args: {{text: {last}}}}}\n"));
    rec
}
