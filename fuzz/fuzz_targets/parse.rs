//! The front end on arbitrary bytes: parse, check, format and re-parse. Nothing may panic;
//! a program without errors must format to text that parses to the same program.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let (file, mut diags) = llmos::syntax::parse(src);
    let _ = llmos::check::check_file(&file, llmos::stdlib::table(), &mut diags);
    if !llmos::diag::has_errors(&diags) {
        let printed = llmos::syntax::printer::format(src, &file);
        let (again, d2) = llmos::syntax::parse(&printed);
        assert!(d2.is_empty(), "formatted text does not parse");
        assert_eq!(
            llmos::syntax::printer::format(&printed, &again),
            printed,
            "fmt is not idempotent"
        );
    }
    for d in &diags {
        let _ = llmos::cli::render::render(d, "fuzz.llt", src, false);
    }
});
