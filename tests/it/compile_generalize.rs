//! Learned programs generalize by evidence (issue 12), through the binary: each case is a
//! recording under `tests/cases/recordings/`, imported with `llmos traces import`, then
//! new goals of the same shape run in Follower mode on new files. A goal that only looks
//! the same must not be served; a recording that does not show how its answer follows
//! from the goal is kept literal, with a note that says why.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

struct Ws {
    dir: tempfile::TempDir,
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Ws {
    fn new(files: &[(&str, &str)]) -> Ws {
        let ws = Ws {
            dir: tempfile::tempdir().unwrap(),
        };
        for (path, text) in files {
            ws.write(path, text);
        }
        ws
    }

    fn write(&self, path: &str, text: &str) {
        let p = self.dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(path)).unwrap()
    }

    fn llmos(&self, args: &[&str]) -> Run {
        let out = Command::cargo_bin("llmos")
            .unwrap()
            .current_dir(self.dir.path())
            .env_remove("LLMOS_HOME")
            .env_remove("ANTHROPIC_API_KEY")
            .env_remove("OPENAI_API_KEY")
            .args(args)
            .output()
            .unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Imports a case recording; the lines `traces import` printed.
    fn import(&self, case: &str) -> String {
        let run = self.llmos(&["traces", "import", &case_path(case).display().to_string()]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.stderr
    }

    /// Runs a goal in Follower mode: its output, or the error.
    fn follow(&self, goal: &str) -> Result<String, String> {
        self.follow_with(goal, &[])
    }

    fn follow_with(&self, goal: &str, extra: &[&str]) -> Result<String, String> {
        let mut args = vec!["run", goal, "--mode", "follower"];
        args.extend_from_slice(extra);
        let run = self.llmos(&args);
        if run.code == 0 {
            Ok(run.stdout.trim_end().to_owned())
        } else {
            Err(run.stderr)
        }
    }
}

fn case_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cases/recordings")
        .join(name)
}

fn emit(case: &str) -> (String, String) {
    let ws = Ws::new(&[]);
    let run = ws.llmos(&[
        "compile",
        &case_path(case).display().to_string(),
        "--emit",
        "llt",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    (run.stdout, run.stderr)
}

#[test]
fn a_word_inside_a_json_path_is_a_param() {
    let (src, _) = emit("column_sum.yaml");
    assert!(
        src.contains("goal \"sum the {column} column of {input}\""),
        "{src}"
    );
    assert!(src.contains("path: \"{column}.sum\""), "{src}");
    let ws = Ws::new(&[("shop/items.csv", "item,price,qty\na,10,1\nb,32.5,4\n")]);
    ws.import("column_sum.yaml");
    assert_eq!(
        ws.follow("sum the price column of shop/items.csv"),
        Ok("The price column of shop/items.csv sums to 42.5.".to_owned())
    );
    assert_eq!(
        ws.follow("sum the qty column of shop/items.csv"),
        Ok("The qty column of shop/items.csv sums to 5.".to_owned())
    );
    // A column the file does not have fails; it never answers with another column.
    assert!(
        ws.follow("sum the weight column of shop/items.csv")
            .is_err()
    );
}

#[test]
fn a_level_inside_a_regex_is_linked_through_its_case() {
    let (src, _) = emit("level_lines.yaml");
    assert!(src.contains("text.upper(text: word)"), "{src}");
    let ws = Ws::new(&[(
        "logs/web.log",
        "WARN slow\nINFO ok\nWARN slower\nWARN x\nERROR y\n",
    )]);
    ws.import("level_lines.yaml");
    assert_eq!(
        ws.follow("count the warn lines in logs/web.log"),
        Ok("There are 3 warn lines in logs/web.log.".to_owned())
    );
    assert_eq!(
        ws.follow("count the error lines in logs/web.log"),
        Ok("There are 1 error lines in logs/web.log.".to_owned())
    );
}

#[test]
fn a_value_passed_regex_escaped_is_linked_through_text_regex_escape() {
    let (src, _) = emit("domain_lines.yaml");
    assert!(src.contains("text.regex_escape(text: word)"), "{src}");
    let ws = Ws::new(&[("web.log", "GET a.b.com/x\nGET aXbXcom/y\nGET a.b.com/z\n")]);
    ws.import("domain_lines.yaml");
    assert_eq!(
        ws.follow("find the lines mentioning 'a.b.com' in web.log"),
        Ok("GET a.b.com/x\nGET a.b.com/z".to_owned()),
        "the dots match only dots"
    );
}

#[test]
fn an_extension_and_a_folder_inside_a_glob_are_params() {
    let (src, _) = emit("glob_extension.yaml");
    assert!(
        src.contains("fs.glob(pattern: \"{dir}/**/*{ext}\")"),
        "{src}"
    );
    let ws = Ws::new(&[
        ("docs/a.md", "x"),
        ("docs/sub/b.md", "y"),
        ("docs/c.txt", "z"),
    ]);
    ws.import("glob_extension.yaml");
    assert_eq!(
        ws.follow("list the .md files in docs"),
        Ok("docs/a.md\ndocs/sub/b.md".to_owned())
    );
}

#[test]
fn text_passed_without_its_trailing_newline_is_linked_through_a_trim() {
    let (src, _) = emit("trimmed_text.yaml");
    assert!(src.contains("text.trim_end(text: text)"), "{src}");
    let ws = Ws::new(&[("b.txt", "one two three\nfour\n")]);
    ws.import("trimmed_text.yaml");
    assert_eq!(
        ws.follow("count the words in b.txt"),
        Ok("b.txt has 4 words.".to_owned())
    );
}

#[test]
fn an_object_equal_to_a_parsed_text_is_linked_through_json_parse() {
    let (src, _) = emit("json_field.yaml");
    assert!(src.contains("json.parse(text: text)"), "{src}");
    assert!(
        src.contains("goal \"get the {field} field from {input}\""),
        "{src}"
    );
    let ws = Ws::new(&[("app.json", "{\"name\": \"shop\", \"version\": \"3.1\"}")]);
    ws.import("json_field.yaml");
    assert_eq!(
        ws.follow("get the name field from app.json"),
        Ok("The name is shop.".to_owned())
    );
}

#[test]
fn a_float_written_with_two_decimals_is_linked_through_format_number() {
    let (src, _) = emit("mean_rounded.yaml");
    assert!(
        src.contains("text.format_number(value: stats.price.mean, decimals: 2)"),
        "{src}"
    );
    let ws = Ws::new(&[("data/more.csv", "item,price\nx,1\ny,2\nz,2\n")]);
    ws.import("mean_rounded.yaml");
    assert_eq!(
        ws.follow("give the mean of the price column in data/more.csv"),
        Ok("The mean price is 1.67.".to_owned())
    );
}

#[test]
fn values_joined_by_short_glue_are_an_interpolation_not_a_slot() {
    let (src, _) = emit("report_glue.yaml");
    assert!(!src.contains("ask"), "{src}");
    assert!(
        src.contains("content: \"lines: {count}\\nwords: {count_2}\\n\""),
        "{src}"
    );
    let ws = Ws::new(&[("long.txt", "a\nb c\nd e f\n")]);
    ws.import("report_glue.yaml");
    assert_eq!(
        ws.follow("write the line and word counts of long.txt to out/counts.txt"),
        Ok("Wrote out/counts.txt.".to_owned())
    );
    assert_eq!(ws.read("out/counts.txt"), "lines: 3\nwords: 6\n");
}

#[test]
fn an_answer_the_llm_worked_out_keeps_the_program_literal() {
    let (src, notes) = emit("head_count.yaml");
    assert!(
        notes.contains("kept the literal program (it serves this exact goal only)")
            && notes.contains("the final answer holds the number `2`, which no step computes"),
        "{notes}"
    );
    assert!(
        src.contains("goal \"how many lines of logs/app.log mention timeout\""),
        "{src}"
    );
    let ws = Ws::new(&[("logs/other.log", "timeout\n")]);
    let imported = ws.import("head_count.yaml");
    assert!(imported.contains("kept the literal program"), "{imported}");
    assert!(
        ws.follow("how many lines of logs/other.log mention timeout")
            .is_err(),
        "a new file is not answered with the old count"
    );
    // The literal program holds what it read to the recording: the exact goal is
    // answered while the file is as it was, and stops once the file changed.
    assert!(src.contains("hash.blake3(text: text)"), "{src}");
    ws.write("logs/app.log", "timeout a\nok\ntimeout b\n");
    assert_eq!(
        ws.follow("how many lines of logs/app.log mention timeout"),
        Ok("2 lines mention timeout.".to_owned())
    );
    ws.write("logs/app.log", "timeout a\n");
    let err = ws
        .follow("how many lines of logs/app.log mention timeout")
        .unwrap_err();
    assert!(err.contains("expect failed"), "{err}");
}

#[test]
fn an_element_picked_by_position_keeps_the_program_literal() {
    // "The last one is cy@z.org.": the address is `list.last` of the matches (the goal
    // asks for the last), but "one" is a count no step computes: literal.
    let (_, notes) = emit("picked_element.yaml");
    assert!(
        notes.contains("kept the literal program")
            && notes.contains("the final answer says `one`, which no step computes"),
        "{notes}"
    );
    let ws = Ws::new(&[("people.txt", "a@b.c, d@e.f")]);
    ws.import("picked_element.yaml");
    assert!(
        ws.follow("give the last email address in people.txt")
            .is_err()
    );
}

#[test]
fn prose_about_a_goal_word_is_a_slot() {
    let (src, _) = emit("haiku.yaml");
    assert!(
        src.contains("goal \"write a haiku about {topic} to {output}\""),
        "{src}"
    );
    assert!(src.contains("let content: str = ask"), "{src}");
    assert!(
        src.contains("fs.write(path: output, content: content)"),
        "{src}"
    );
    assert!(
        src.contains("this task: write a haiku about {topic} to {output}\n"),
        "{src}"
    );
}

#[test]
fn names_of_params_steps_and_slots_never_collide() {
    let (src, _) = emit("needle.yaml");
    assert!(src.contains("param text: str"), "{src}");
    assert!(src.contains("let text_2 = fs.read(path: input)"), "{src}");
    assert!(src.contains("let content: str = ask"), "{src}");
}

#[test]
fn a_recording_that_passes_on_an_error_is_refused() {
    let ws = Ws::new(&[]);
    let run = ws.llmos(&[
        "compile",
        &case_path("error_passed_on.yaml").display().to_string(),
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(
            "step 2 (`fs.write`): its `content` argument holds the error of the failed step 1"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn a_path_inside_a_longer_path_is_a_param_of_its_own() {
    let (src, _) = emit("copy_into_folder.yaml");
    assert!(src.contains("goal \"copy {input} to {output}\""), "{src}");
    let ws = Ws::new(&[("a.txt", "alpha\n")]);
    ws.import("copy_into_folder.yaml");
    assert_eq!(
        ws.follow("copy a.txt to old/a-copy.txt"),
        Ok("Copied a.txt to old/a-copy.txt.".to_owned())
    );
    assert_eq!(ws.read("old/a-copy.txt"), "alpha\n");
}

#[test]
fn a_date_in_a_question_is_a_param() {
    let (src, _) = emit("date_lines.yaml");
    assert!(
        src.contains("goal \"which lines of {input} are from {"),
        "{src}"
    );
    let ws = Ws::new(&[("b.log", "2026-12-24 eve\n2026-12-25 day\n")]);
    ws.import("date_lines.yaml");
    assert_eq!(
        ws.follow("which lines of b.log are from 2026-12-25?"),
        Ok("2026-12-25 day".to_owned())
    );
}

#[test]
fn numbers_inside_a_command_and_its_trimmed_output() {
    let (src, _) = emit("sed_range.yaml");
    assert!(src.contains("\"{n},{n_2}p\""), "{src}");
    assert!(src.contains("text.trim_end(text: run.stdout)"), "{src}");
}

#[test]
fn calls_over_every_element_of_a_list_are_a_loop() {
    let (src, _) = emit("concat_files.yaml");
    assert!(
        src.contains("let texts = for file in files { fs.read(path: file) }"),
        "{src}"
    );
    assert!(
        src.contains("text.join(items: texts, sep: \"\\n\")"),
        "{src}"
    );
    let ws = Ws::new(&[
        ("three/1.txt", "a"),
        ("three/2.txt", "b"),
        ("three/3.txt", "c"),
        ("one/x.txt", "solo"),
    ]);
    ws.import("concat_files.yaml");
    assert_eq!(
        ws.follow("concatenate the .txt files in three into abc.txt"),
        Ok("Wrote abc.txt.".to_owned())
    );
    assert_eq!(ws.read("abc.txt"), "a\nb\nc", "a third file is not dropped");
    assert_eq!(
        ws.follow("concatenate the .txt files in one into solo.txt"),
        Ok("Wrote solo.txt.".to_owned())
    );
    assert_eq!(ws.read("solo.txt"), "solo", "a single file works");
}

#[test]
fn a_constant_after_a_result_nothing_uses_holds_for_the_value_seen() {
    let (src, _) = emit("exists.yaml");
    assert!(src.contains("expect exists == true"), "{src}");
    let ws = Ws::new(&[("notes.txt", "x")]);
    ws.import("exists.yaml");
    assert_eq!(ws.follow("does notes.txt exist?"), Ok("yes".to_owned()));
    let err = ws.follow("does missing.txt exist?").unwrap_err();
    assert!(
        err.contains("expect failed"),
        "never a confident \"yes\": {err}"
    );
}

#[test]
fn an_element_at_a_position_the_goal_states_holds_for_any_list_that_has_it() {
    // "the first file": element 0 is what the goal asks for, in a list of any length.
    let (src, _) = emit("first_entry.yaml");
    assert!(
        src.contains("expect list.len(items: entries) >= 1"),
        "{src}"
    );
    assert!(src.contains("fs.read(path: entries[0])"), "{src}");
    let ws = Ws::new(&[
        ("mail/m1.txt", "first"),
        ("mail/m2.txt", "second"),
        ("box3/a", "1"),
        ("box3/b", "2"),
        ("box3/c", "3"),
    ]);
    ws.import("first_entry.yaml");
    assert_eq!(
        ws.follow("show the first file in mail"),
        Ok("first".to_owned())
    );
    assert_eq!(ws.follow("show the first file in box3"), Ok("1".to_owned()));
    std::fs::create_dir_all(ws.dir.path().join("empty")).unwrap();
    let err = ws.follow("show the first file in empty").unwrap_err();
    assert!(err.contains("expect failed"), "{err}");
}

#[test]
fn an_element_picked_by_position_holds_for_a_list_of_the_recorded_length() {
    // "the newest file" read element 1: the goal states no position, so the exact
    // length holds the program.
    let (src, _) = emit("second_entry.yaml");
    assert!(
        src.contains("expect list.len(items: entries) == 2"),
        "{src}"
    );
    let ws = Ws::new(&[("box3/a", "1"), ("box3/b", "2"), ("box3/c", "3")]);
    ws.import("second_entry.yaml");
    let err = ws.follow("show the newest file in box3").unwrap_err();
    assert!(err.contains("expect failed"), "{err}");
}

#[test]
fn a_command_holds_for_the_status_and_output_seen() {
    let (src, _) = emit("rename.yaml");
    assert!(src.contains("expect run.status == 0"), "{src}");
    let ws = Ws::new(&[("a.txt", "x")]);
    ws.import("rename.yaml");
    assert_eq!(
        ws.follow_with("rename a.txt to b.txt", &["--allow", "exec"]),
        Ok("Renamed a.txt to b.txt.".to_owned())
    );
    assert_eq!(ws.read("b.txt"), "x");
    // `mv` fails on a missing file: the program stops instead of saying it renamed it.
    let err = ws
        .follow_with("rename nope.txt to c.txt", &["--allow", "exec"])
        .unwrap_err();
    assert!(err.contains("expect failed"), "{err}");
}

/// The program a corpus family's recording compiles to (`tests/learning/NAME/`).
fn emit_family(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/learning")
        .join(name)
        .join("recording.yaml");
    let ws = Ws::new(&[]);
    let run = ws.llmos(&["compile", &path.display().to_string(), "--emit", "llt"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("literal"), "{name}: {}", run.stderr);
    run.stdout
}

#[test]
fn rules_the_corpus_needed_show_in_the_programs() {
    // Calls over every value of an earlier loop are a loop.
    let src = emit_family("glob_word_total");
    assert!(src.contains("for text in texts {"), "{src}");
    // The list of one field of every element is `json.pluck` of the list.
    let src = emit_family("json_array_sum");
    assert!(
        src.contains("json.pluck(items: value, path: \"amount\")"),
        "{src}"
    );
    // "the last line": `list.last`, whatever the length.
    let src = emit_family("last_line");
    assert!(src.contains("list.last(items: lines)"), "{src}");
    // "line 2": any file with two lines or more.
    let src = emit_family("nth_line");
    assert!(src.contains("expect list.len(items: lines) >= 2"), "{src}");
    // A read repeated with the same result is not a result nobody used.
    emit_family("messy_duplicate_read");
    // A command's output that is one number is the answer's number.
    let src = emit_family("negation_lines");
    assert!(src.contains("text.trim_end(text: run.stdout)"), "{src}");
}
