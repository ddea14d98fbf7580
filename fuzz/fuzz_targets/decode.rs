//! Fuzzes the bytecode decoder: any bytes give a program or an error, never a panic; a
//! program that decodes is canonical (re-encodes to the same bytes) and can be listed and
//! drawn.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(program) = llmos::bytecode::decode(data) {
        assert_eq!(llmos::bytecode::encode(&program), data);
        let id = llmos::store::ObjectId::of(data);
        let _ = llmos::bytecode::disasm(&program, &id);
        let _ = llmos::ir::render::dot(&program);
        let _ = llmos::ir::render::mermaid(&program);
    }
});
