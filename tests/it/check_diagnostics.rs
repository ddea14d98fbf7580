//! One case file per error and warning kind under `tests/cases/check/`, named after the
//! diagnostic code it triggers (`CODE.llt`, or `CODE--SCENARIO.llt` for more cases of one
//! code). Each case is checked for its code and snapshotted as rendered for people
//! (file:line:col, source line, labels, help).

use std::path::Path;

use llmos::check::{Checked, check_file, sort};
use llmos::cli::render::render;

fn check(path: &Path) -> (String, Vec<llmos::diag::Diagnostic>) {
    let src = std::fs::read_to_string(path).unwrap();
    let (file, mut diags) = llmos::syntax::parse(&src);
    let _: Checked = check_file(&file, llmos::stdlib::table(), &mut diags);
    sort(&mut diags);
    (src, diags)
}

#[test]
fn every_case_triggers_its_code_and_renders_stably() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/check");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    assert!(paths.len() >= 25, "expected a case per diagnostic kind");
    for path in paths {
        let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let code = stem.split("--").next().unwrap().to_owned();
        let (src, diags) = check(&path);
        assert!(
            diags.iter().any(|d| d.code == code),
            "{code}.llt does not produce `{code}`: {diags:#?}"
        );
        let warning_only = src.contains("warning only");
        assert_eq!(
            llmos::diag::has_errors(&diags),
            !warning_only,
            "{code}.llt: errors {:?}",
            diags.iter().map(|d| d.code).collect::<Vec<_>>()
        );
        let name = format!("{stem}.llt");
        let rendered: String = diags
            .iter()
            .map(|d| render(d, &name, &src, false))
            .collect();
        insta::assert_snapshot!(stem, rendered);
    }
}

#[test]
fn all_diagnostics_of_a_file_are_reported() {
    let src = "trace many\nlet a = fs.reed(path: \"x\")\nlet b = text.len(text: [1])\nlet c = nope\nlet d =\nreturn [a, b, c]\n";
    let (file, mut diags) = llmos::syntax::parse(src);
    check_file(&file, llmos::stdlib::table(), &mut diags);
    sort(&mut diags);
    let codes: Vec<_> = diags
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.code)
        .collect();
    assert_eq!(
        codes,
        ["unknown-tool", "type-mismatch", "undefined-name", "syntax"]
    );
}
