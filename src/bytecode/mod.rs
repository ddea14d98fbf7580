//! Bytecode: the `.llb` form of an IR program, whose blake3 hash is the program's id.
//!
//! [`encode`] writes canonical bytes (equal programs, equal bytes; no source positions,
//! no hash-map order); [`decode`] turns any bytes at all into a verified program or a
//! [`DecodeError`] naming the byte offset and the fault, never a panic; [`disasm`] prints
//! the listing that golden tests check. The layout is documented in `docs/BYTECODE.md`.
//!
//! ```
//! let src = "trace hi\nparam name: str\nreturn \"hi {name}\"\n";
//! let (program, _warnings) = llmos::ir::build::compile_source(src).unwrap();
//! let bytes = llmos::bytecode::assemble(&program).unwrap();
//! assert_eq!(llmos::bytecode::decode(&bytes).unwrap(), program);
//! ```

mod decode;
pub mod disasm;
mod encode;
mod error;
pub(crate) mod format;
mod reader;
mod verified;
pub mod verify;

pub use disasm::{disasm, disasm_with};
pub use encode::encode;
pub use error::{DecodeError, DecodeErrorKind, Site, VerifyError};
pub use verified::Verified;
pub use verify::verify;

use crate::check::ToolTable;
use crate::ir::Program;

/// Decodes and verifies `.llb` bytes against the built-in tools.
pub fn decode(bytes: &[u8]) -> Result<Verified, DecodeError> {
    decode_with(bytes, crate::stdlib::table())
}

/// Decodes and verifies `.llb` bytes, linking against `tools`. Checks, in order: the
/// byte structure (magic, version, tags, bounds, varints, UTF-8, nesting), the program
/// (see [`verify`]), and that the bytes are the canonical encoding of the program (so
/// one program has one id).
pub fn decode_with(bytes: &[u8], tools: &ToolTable) -> Result<Verified, DecodeError> {
    let (program, at) = decode::read(bytes)?;
    if let Err(e) = verify::check(&program, tools) {
        let offset = match e.site {
            Site::Header => Some(at.header),
            Site::Effects => Some(at.effects),
            Site::Tool(i) => at.tools.get(i as usize).copied(),
            Site::Const(i) => at.consts.get(i as usize).copied(),
            Site::Param(i) => at.params.get(i as usize).copied(),
            Site::Slot(i) => at.slots.get(i as usize).copied(),
            Site::Op(i) => at.ops.get(i as usize).copied(),
            Site::Step(i) => at.steps.get(i as usize).copied(),
            Site::Output => Some(at.output),
            Site::Block(b) => at.blocks.get(b as usize).map(|b| b.start),
            Site::BlockOp(b, i) => at
                .blocks
                .get(b as usize)
                .and_then(|b| b.ops.get(i as usize).copied()),
            Site::BlockStep(b, i) => at
                .blocks
                .get(b as usize)
                .and_then(|b| b.steps.get(i as usize).copied()),
        };
        let kind = if e.link {
            DecodeErrorKind::Link
        } else {
            DecodeErrorKind::Invalid
        };
        return Err(DecodeError::new(
            offset.unwrap_or(at.header),
            kind,
            e.to_string(),
        ));
    }
    let canonical = encode(&program);
    if canonical != bytes {
        let offset = canonical
            .iter()
            .zip(bytes)
            .position(|(a, b)| a != b)
            .unwrap_or(canonical.len().min(bytes.len()));
        return Err(DecodeError::new(
            offset,
            DecodeErrorKind::Invalid,
            "the bytes are not the canonical encoding of the program they spell",
        ));
    }
    Ok(Verified::new(program))
}

/// Verifies a program against the built-in tools and encodes it: the bytes to store for
/// a freshly compiled program. Whatever this returns, [`decode`] accepts.
pub fn assemble(p: &Program) -> Result<Vec<u8>, VerifyError> {
    assemble_with(p, crate::stdlib::table())
}

/// [`assemble`] against `tools`; [`decode_with`] on the same table accepts the bytes.
pub fn assemble_with(p: &Program, tools: &ToolTable) -> Result<Vec<u8>, VerifyError> {
    verify::check(p, tools)?;
    Ok(encode(p))
}
