//! [`Verified`]: a program that passed [`verify`](super::verify). Its type is the proof:
//! the only way to get one is through the verifier (directly, or by [`decode`](super::decode)
//! or [`assemble`](super::assemble)), and it cannot be changed afterwards, so the VM, which
//! requires one, never checks the program's shape again.

use std::ops::Deref;

use crate::ir::Program;

/// A program whose references are in range, whose types, effect edges and blocks are
/// sound, and whose tools linked against a tool table (see [`verify`](super::verify)).
/// Read it as a [`Program`] through `Deref`; there is no way to change it.
#[derive(Clone, Debug, PartialEq)]
pub struct Verified(Program);

impl Verified {
    /// Only the verifier makes one.
    pub(super) fn new(p: Program) -> Verified {
        Verified(p)
    }

    pub fn program(&self) -> &Program {
        &self.0
    }

    /// The program, giving up the proof (to change it, and verify it again).
    pub fn into_program(self) -> Program {
        self.0
    }
}

impl Deref for Verified {
    type Target = Program;

    fn deref(&self) -> &Program {
        &self.0
    }
}

impl PartialEq<Program> for Verified {
    fn eq(&self, other: &Program) -> bool {
        self.0 == *other
    }
}

impl PartialEq<Verified> for Program {
    fn eq(&self, other: &Verified) -> bool {
        *self == other.0
    }
}
