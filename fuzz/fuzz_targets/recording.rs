//! Recordings on arbitrary text: parsing gives a recording or an error, never a panic; a
//! recording that parses is written back to YAML that reads back to an equal recording,
//! and compiles to a program (or a refusal) without a panic; a program it compiles to
//! encodes to bytecode that decodes to the same program, and its source parses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llmos::learn::recording::{parse_recording, to_yaml};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(rec) = parse_recording(text, "fuzz.yaml") else {
        return;
    };
    if let Ok(yaml) = to_yaml(&rec) {
        match parse_recording(&yaml, "again.yaml") {
            Ok(again) => assert_eq!(
                again, rec,
                "the YAML written does not read back equal:\n{yaml}"
            ),
            Err(e) => panic!("the YAML written does not read back: {e}\n{yaml}"),
        }
    }
    if let Ok(compiled) = llmos::learn::compile::compile(&rec) {
        let bytes = llmos::bytecode::encode(&compiled.program);
        let decoded = llmos::bytecode::decode(&bytes).expect("a compiled program decodes");
        assert_eq!(
            llmos::bytecode::encode(&decoded),
            bytes,
            "bytecode is not canonical"
        );
        let (_, diags) = llmos::syntax::parse(&compiled.source);
        assert!(
            !llmos::diag::has_errors(&diags),
            "the compiled source does not parse:\n{}",
            compiled.source
        );
    }
});
