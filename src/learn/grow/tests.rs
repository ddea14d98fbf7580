use super::*;

const EXISTS_YES: &str = r#"trace does_exist
goal "does {file} exist?"
param file: path

let exists = fs.exists(path: file)
expect exists == true
return "yes"
"#;

fn compiled(source: &str) -> Compiled {
    let (program, _, spans) = crate::ir::build::compile_with_spans(source, ToolTable::builtins())
        .unwrap_or_else(|d| panic!("{d:?}\n{source}"));
    let program = crate::bytecode::verify(program, ToolTable::builtins()).unwrap();
    Compiled::from_source(source.to_owned(), program, spans)
}

fn parent(source: &str, step: u32) -> Parent<'_> {
    Parent {
        source,
        failed_step: step,
        shapes: &[],
    }
}

fn merge_of(old: &str, step: u32, new: &str) -> Result<Compiled, GrowError> {
    merge(&parent(old, step), &compiled(new), ToolTable::builtins())
}

#[test]
fn the_new_program_becomes_the_other_branch_of_the_guard() {
    let new = r#"trace does_exist
goal "does {path} exist?"
param path: path

let exists = fs.exists(path: path)
expect exists == false
return "no"
"#;
    let merged = merge_of(EXISTS_YES, 1, new).unwrap();
    let body: String = merged.source.lines().skip(1).collect::<Vec<_>>().join("\n");
    assert_eq!(
        body,
        "trace does_exist\ngoal \"does {file} exist?\"\nparam file: path\n\
         let exists = fs.exists(path: file)\n\
         let result = if exists == true {\n    \"yes\"\n} else {\n    \
         expect exists == false\n    \"no\"\n}\nreturn result",
        "{}",
        merged.source
    );
    assert!(
        merged.notes[0].contains("expect exists == true"),
        "{:?}",
        merged.notes
    );
    assert_eq!(merged.program.params.len(), 1);
    assert_eq!(merged.program.params[0].name, "file");
}

#[test]
fn the_new_branch_s_names_never_collide_with_the_old_program_s() {
    let old = r#"trace t
goal "count the lines of {file}"
param file: path

let text = fs.read(path: file)
let lines = text.lines(text: text)
expect list.len(items: lines) == 3
return lines[2]
"#;
    let new = r#"trace t
goal "count the lines of {file}"
param file: path

let text = fs.read(path: file)
let result = text.trim_end(text: text)
let lines = text.lines(text: result)
expect list.len(items: lines) == 4
return lines[3]
"#;
    let merged = merge_of(old, 2, new).unwrap();
    let src = &merged.source;
    // The read the old program made before the guard is reused, not repeated.
    assert_eq!(src.matches("fs.read").count(), 1, "{src}");
    assert!(
        src.contains("let result = text.trim_end(text: text)"),
        "{src}"
    );
    assert!(
        src.contains("let lines_2 = text.lines(text: result)"),
        "{src}"
    );
    assert!(
        src.contains("expect list.len(items: lines_2) == 4"),
        "{src}"
    );
    // The merged value's name is clear of both programs' names.
    assert!(
        src.contains("let result_2 = if list.len(items: lines) == 3"),
        "{src}"
    );
    assert!(src.contains("return result_2"), "{src}");
}

#[test]
fn a_different_template_type_or_shape_keeps_the_programs_apart() {
    let other_text = EXISTS_YES
        .replace("does {file} exist?", "is {file} there?")
        .replace("\"yes\"", "\"no\"");
    let why = merge_of(EXISTS_YES, 1, &other_text).unwrap_err();
    assert!(matches!(why, GrowError::OtherGoal { .. }), "{why}");
    assert!(why.to_string().contains("is not the stored one"), "{why}");

    let other_type = EXISTS_YES.replace("param file: path", "param file: int");
    let other_type = other_type.replace("fs.exists(path: file)", "fs.exists(path: \"{file}\")");
    let why = merge_of(EXISTS_YES, 1, &other_type).unwrap_err();
    assert!(why.to_string().contains("another type"), "{why}");

    let token = crate::dispatch::Shape::from_recorded("notes.txt", false);
    let shapes = [("file".to_owned(), Some(token))];
    let p = Parent {
        source: EXISTS_YES,
        failed_step: 1,
        shapes: &shapes,
    };
    let mut child = compiled(&EXISTS_YES.replace("\"yes\"", "\"no\""));
    child.shapes = vec![(
        "file".to_owned(),
        crate::dispatch::Shape::from_recorded("my notes.txt", true),
    )];
    let why = merge(&p, &child, ToolTable::builtins()).unwrap_err();
    assert!(why.to_string().contains("another shape"), "{why}");
}

#[test]
fn only_a_top_level_guard_after_reads_grows_a_branch() {
    let write_first = r#"trace t
goal "stamp {file}"
param file: path

fs.write(path: "log.txt", content: "x")
let exists = fs.exists(path: file)
expect exists == true
return "yes"
"#;
    let why = merge_of(write_first, 2, write_first).unwrap_err();
    assert!(why.to_string().contains("acts on the world"), "{why}");

    let in_block = r#"trace t
goal "read the files of {dir}"
param dir: path

let files = fs.glob(pattern: "{dir}/*")
let texts = for f in files {
    let t = fs.read(path: f)
    expect t != "", "empty"
    t
}
return texts
"#;
    let why = merge_of(in_block, 1, in_block).unwrap_err();
    assert!(why.to_string().contains("inside a block"), "{why}");
}

#[test]
fn branches_of_different_types_do_not_merge() {
    let new = r#"trace does_exist
goal "does {file} exist?"
param file: path

let exists = fs.exists(path: file)
expect exists == false
return list.len(items: [1, 2])
"#;
    let why = merge_of(EXISTS_YES, 1, new).unwrap_err();
    assert!(why.to_string().contains("does not check"), "{why}");
}
