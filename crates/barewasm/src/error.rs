//! Errors: one small `Copy` value for everything that can go wrong.
//!
//! The categories mirror the spec test assertions (`assert_malformed`, `assert_invalid`,
//! `assert_unlinkable`, `assert_trap`, `assert_exhaustion`) plus the one an embedded host
//! cares about most: a buffer it handed over is too small. Every decode and validation
//! error carries the byte offset in the module where it applies.

use core::fmt;

/// Which rule of the specification, or of the host contract, was broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Category {
    /// The bytes are not a WebAssembly binary (spec: "malformed", binary format chapter).
    Malformed,
    /// The module decodes but breaks a validation rule (spec: "invalid").
    Invalid,
    /// Imports cannot be resolved against the provided externals (spec: "unlinkable").
    Unlinkable,
    /// Execution trapped (spec: "trap").
    Trap,
    /// A resource limit was reached: call depth, value stack, nesting (spec: "exhaustion").
    Exhausted,
    /// A buffer the host provided is too small or misaligned.
    Buffer,
    /// Execution paused and can be resumed: out of fuel, or a host call is pending.
    Suspended,
    /// The host used the API out of order (e.g. resumed a stack that is not paused).
    Usage,
    /// A check of the runtime's own bookkeeping failed: a bug in barewasm, never the
    /// module's or the host's doing. Where other code would panic, the call ends with this.
    Internal,
}

impl Category {
    /// The category's name, as the spec test assertions use it.
    pub const fn name(self) -> &'static str {
        match self {
            Category::Malformed => "malformed",
            Category::Invalid => "invalid",
            Category::Unlinkable => "unlinkable",
            Category::Trap => "trap",
            Category::Exhausted => "exhausted",
            Category::Buffer => "buffer",
            Category::Suspended => "suspended",
            Category::Usage => "usage",
            Category::Internal => "internal",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One of the buffers the host provides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BufferKind {
    /// Runtime state: function index, side table, globals, tables.
    State,
    /// Scratch used while validating (operand and control stacks).
    Scratch,
    /// The value and call stack.
    Stack,
    /// Linear memory.
    Memory,
}

/// What went wrong, precisely.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    // --- malformed: binary format ---
    /// The input ended in the middle of something.
    UnexpectedEnd,
    /// The first four bytes are not `\0asm`.
    BadMagic,
    /// The version field is not 1.
    UnknownVersion,
    /// A LEB128 number uses more bytes than its type allows.
    IntegerTooLong,
    /// A LEB128 number does not fit its type (unused high bits are not a sign/zero extension).
    IntegerTooLarge,
    /// A section id that does not exist.
    UnknownSection,
    /// A non-custom section appears twice or out of order.
    SectionOutOfOrder,
    /// A section's contents do not end exactly where its size says.
    SectionSizeMismatch,
    /// The function and code sections disagree on the number of functions.
    FunctionCodeMismatch,
    /// The data count section disagrees with the data section.
    DataCountMismatch,
    /// `memory.init`/`data.drop` used without a data count section.
    DataCountMissing,
    /// A byte that must be a value type is not one.
    BadValType,
    /// A byte that must be a reference type is not one.
    BadRefType,
    /// A function type does not start with 0x60.
    BadFuncType,
    /// An import or export kind byte that does not exist.
    BadExternKind,
    /// A limits flag byte that does not exist.
    BadLimitsFlag,
    /// A mutability byte other than 0 or 1.
    BadMutability,
    /// An opcode that does not exist (or a SIMD/unsupported prefix).
    UnknownOpcode,
    /// A reserved byte (e.g. memory index of `memory.size`) is not zero.
    ZeroByteExpected,
    /// A name is not valid UTF-8.
    BadUtf8,
    /// A function body declares too many locals.
    TooManyLocals,
    /// An element segment flag or element kind that does not exist.
    BadSegmentFlags,
    /// The function body does not end with `end`, or bytes follow it.
    BadFunctionEnd,
    /// A constant expression lacks its final `end`.
    ConstExprEnd,
    /// A memory argument whose alignment exponent is 32 or more.
    BadMemArgFlags,
    /// A custom page size exponent of 64 or more.
    BadPageSizeEncoding,
    /// A prepared module's side table (its `barewasm.side` custom section) is badly
    /// formed or does not match the code; the offset is the branch, `else` or `end` where
    /// it differs, or the section for a bad header or count.
    BadSideTable,
    /// A fused opcode (see [`crate::binary::fused`]) is not followed by the instructions
    /// it stands for, or the `barewasm.fused` section is badly formed; the offset is the
    /// fused opcode, or the section.
    BadFusedInstruction,
    // --- invalid: validation ---
    /// An operand has the wrong type.
    TypeMismatch,
    /// A type index is out of range.
    UnknownType,
    /// A function index is out of range.
    UnknownFunction,
    /// A table index is out of range.
    UnknownTable,
    /// A memory index is out of range (or no memory is defined).
    UnknownMemory,
    /// A global index is out of range.
    UnknownGlobal,
    /// A local index is out of range.
    UnknownLocal,
    /// A label index is out of range.
    UnknownLabel,
    /// An element segment index is out of range.
    UnknownElem,
    /// A data segment index is out of range.
    UnknownData,
    /// An assignment to an immutable global.
    ImmutableGlobal,
    /// An alignment larger than the access's natural alignment.
    BadAlignment,
    /// A limits minimum above its maximum.
    BadLimits,
    /// A custom page size other than 1 or 65536.
    BadPageSize,
    /// A memory size above the maximum for its page size.
    MemoryTooLarge,
    /// More than one memory (multi-memory is not supported yet).
    MultipleMemories,
    /// Two exports with the same name.
    DuplicateExport,
    /// The start function has parameters or results.
    BadStartFunction,
    /// A constant expression uses an instruction that is not constant, or a mutable/local global.
    ConstExprRequired,
    /// `ref.func` names a function that is not declared in an element segment, export or global.
    UndeclaredFunctionRef,
    /// `select` without a type annotation on reference operands.
    BadSelectType,
    /// A function's locals plus operands exceed [`crate::Limits::max_function_slots`].
    OperandStackOverflow,
    /// Blocks nest deeper than [`crate::Limits::max_nesting`].
    NestingTooDeep,
    /// A function is too large for the side table's packed fields.
    FunctionTooLarge,
    /// The module exceeds an implementation limit (counts, sizes).
    ImplementationLimit,
    /// A float comparison, arithmetic or conversion instruction, and the runtime was built
    /// without its `float` feature (see [`crate::binary::opcodes::computes_float`]).
    FloatUnsupported,
    // --- unlinkable ---
    /// An import was not provided.
    UnknownImport,
    /// An import was provided with the wrong type.
    IncompatibleImport,
    // --- traps ---
    /// `unreachable` was executed.
    Unreachable,
    /// Integer division or remainder by zero.
    IntegerDivideByZero,
    /// Signed division overflow.
    IntegerOverflow,
    /// A float-to-int truncation of NaN or out of range.
    InvalidConversion,
    /// A memory access out of bounds.
    MemoryOutOfBounds,
    /// A table access out of bounds.
    TableOutOfBounds,
    /// A call through a null table element.
    UninitializedElement,
    /// `call_indirect` with an index past the table's end.
    UndefinedElement,
    /// `call_indirect` type check failed.
    IndirectCallTypeMismatch,
    /// A host function reported a trap.
    HostTrap,
    // --- exhaustion ---
    /// The call stack or value stack ran out.
    CallStackExhausted,
    // --- suspended: resumable ---
    /// The fuel budget ran out; the call is paused and resumes when given more.
    OutOfFuel,
    /// A host function is not ready to answer; the call resumes when it is.
    HostCallPending,
    // --- usage ---
    /// Resumed a stack that is not paused, is paused on something else, or was paused by
    /// another store.
    NotResumable,
    // --- internal ---
    /// A table or stack entry the runtime itself put there is missing: checked where other
    /// code would panic, never seen unless barewasm has a bug (please report it).
    Internal,
    // --- buffers ---
    /// A buffer the host provided is too small.
    BufferTooSmall {
        /// Which buffer.
        which: BufferKind,
        /// Bytes required.
        needed: u32,
        /// Bytes provided (the buffer's length, alignment padding included).
        got: u32,
    },
}

impl ErrorKind {
    /// The category of this error.
    pub const fn category(self) -> Category {
        use ErrorKind::*;
        match self {
            UnexpectedEnd | BadMagic | UnknownVersion | IntegerTooLong | IntegerTooLarge
            | UnknownSection | SectionOutOfOrder | SectionSizeMismatch | FunctionCodeMismatch
            | DataCountMismatch | DataCountMissing | BadValType | BadRefType | BadFuncType
            | BadExternKind | BadLimitsFlag | BadMutability | UnknownOpcode | ZeroByteExpected
            | BadUtf8 | TooManyLocals | BadSegmentFlags | BadFunctionEnd | ConstExprEnd
            | BadMemArgFlags | BadPageSizeEncoding | BadSideTable | BadFusedInstruction => {
                Category::Malformed
            }
            TypeMismatch
            | UnknownType
            | UnknownFunction
            | UnknownTable
            | UnknownMemory
            | UnknownGlobal
            | UnknownLocal
            | UnknownLabel
            | UnknownElem
            | UnknownData
            | ImmutableGlobal
            | BadAlignment
            | BadLimits
            | BadPageSize
            | MemoryTooLarge
            | MultipleMemories
            | DuplicateExport
            | BadStartFunction
            | ConstExprRequired
            | UndeclaredFunctionRef
            | BadSelectType => Category::Invalid,
            // These are limits of this implementation, which the spec allows a validator to
            // impose; they are reported as invalid because the module cannot be accepted.
            OperandStackOverflow | NestingTooDeep | FunctionTooLarge | ImplementationLimit
            | FloatUnsupported => Category::Invalid,
            UnknownImport | IncompatibleImport => Category::Unlinkable,
            Unreachable
            | IntegerDivideByZero
            | IntegerOverflow
            | InvalidConversion
            | MemoryOutOfBounds
            | TableOutOfBounds
            | UninitializedElement
            | UndefinedElement
            | IndirectCallTypeMismatch
            | HostTrap => Category::Trap,
            CallStackExhausted => Category::Exhausted,
            OutOfFuel | HostCallPending => Category::Suspended,
            NotResumable => Category::Usage,
            Internal => Category::Internal,
            BufferTooSmall { .. } => Category::Buffer,
        }
    }

    /// A short human-readable description (the spec test suite's wording where there is one).
    pub const fn message(self) -> &'static str {
        use ErrorKind::*;
        match self {
            UnexpectedEnd => "unexpected end",
            BadMagic => "magic header not detected",
            UnknownVersion => "unknown binary version",
            IntegerTooLong => "integer representation too long",
            IntegerTooLarge => "integer too large",
            UnknownSection => "malformed section id",
            SectionOutOfOrder => "unexpected content after last section (section out of order)",
            SectionSizeMismatch => "section size mismatch",
            FunctionCodeMismatch => "function and code section have inconsistent lengths",
            DataCountMismatch => "data count and data section have inconsistent lengths",
            DataCountMissing => "data count section required",
            BadValType => "malformed value type",
            BadRefType => "malformed reference type",
            BadFuncType => "malformed function type (expected 0x60)",
            BadExternKind => "malformed import or export kind",
            BadLimitsFlag => "malformed limits flags",
            BadMutability => "malformed mutability",
            UnknownOpcode => "illegal opcode",
            ZeroByteExpected => "zero byte expected",
            BadUtf8 => "malformed UTF-8 encoding",
            TooManyLocals => "too many locals",
            BadSegmentFlags => "malformed elements segment kind",
            BadFunctionEnd => "function body does not end with `end`",
            ConstExprEnd => "constant expression required to end with `end`",
            BadMemArgFlags => "malformed memop flags",
            BadPageSizeEncoding => "invalid custom page size (exponent does not fit)",
            BadSideTable => "precomputed side table does not match the code",
            BadFusedInstruction => "fused instruction does not match the code",
            TypeMismatch => "type mismatch",
            UnknownType => "unknown type",
            UnknownFunction => "unknown function",
            UnknownTable => "unknown table",
            UnknownMemory => "unknown memory",
            UnknownGlobal => "unknown global",
            UnknownLocal => "unknown local",
            UnknownLabel => "unknown label",
            UnknownElem => "unknown elem segment",
            UnknownData => "unknown data segment",
            ImmutableGlobal => "global is immutable",
            BadAlignment => "alignment must not be larger than natural",
            BadLimits => "size minimum must not be greater than maximum",
            BadPageSize => "invalid custom page size",
            MemoryTooLarge => "memory size must be at most 65536 pages (4GiB)",
            MultipleMemories => "multiple memories",
            DuplicateExport => "duplicate export name",
            BadStartFunction => "start function must have type [] -> []",
            ConstExprRequired => "constant expression required",
            UndeclaredFunctionRef => "undeclared function reference",
            BadSelectType => "invalid result arity or type for select",
            OperandStackOverflow => {
                "function needs more value slots (locals + operands) than the limit"
            }
            NestingTooDeep => "blocks nest deeper than the nesting limit",
            FunctionTooLarge => "function too large for the side table's packed fields",
            ImplementationLimit => "module exceeds an implementation limit",
            FloatUnsupported => {
                "float instruction, and barewasm was built without its `float` feature"
            }
            UnknownImport => "unknown import",
            IncompatibleImport => "incompatible import type",
            Unreachable => "unreachable executed",
            IntegerDivideByZero => "integer divide by zero",
            IntegerOverflow => "integer overflow",
            InvalidConversion => "invalid conversion to integer",
            MemoryOutOfBounds => "out of bounds memory access",
            TableOutOfBounds => "out of bounds table access",
            UninitializedElement => "uninitialized element",
            UndefinedElement => "undefined element",
            IndirectCallTypeMismatch => "indirect call type mismatch",
            HostTrap => "host function trapped",
            CallStackExhausted => "call stack exhausted",
            OutOfFuel => "out of fuel (paused: add fuel and resume)",
            HostCallPending => "host call pending (paused: resume when the host is ready)",
            NotResumable => {
                "nothing to resume: the stack is not paused on this, or another store paused it"
            }
            Internal => "internal error: a runtime invariant failed (a barewasm bug)",
            BufferTooSmall { .. } => "buffer too small",
        }
    }
}

/// Numbers the kinds in the order they are declared: [`ErrorKind::code`] and
/// [`ErrorKind::ALL`]. The match in `code` is exhaustive, so a kind missing from this list
/// does not compile; a unit test checks that the list keeps the declaration order.
macro_rules! numbered_kinds {
    ($($kind:ident $({ $($field:ident: $value:expr),* })?),* $(,)?) => {
        /// The kinds' codes: each variant's discriminant is its place in the list.
        #[repr(u8)]
        #[allow(dead_code)] // only ever cast to its number
        enum Code { $($kind),* }

        impl ErrorKind {
            /// Every kind, in the order of their codes ([`ErrorKind::BufferTooSmall`]
            /// with zero figures): `ALL[k.code() as usize]` is a kind like `k`.
            pub const ALL: &'static [ErrorKind] = &[$(ErrorKind::$kind $({ $($field: $value),* })?),*];

            /// The kind's number: its place in [`ErrorKind::ALL`]. Without the `messages`
            /// feature an [`Error`] displays this number in place of the message, and
            /// `barewasm explain CODE` (the host tool of the same version) gives the
            /// message back. Codes follow the declaration order, so they can change
            /// between versions when kinds are added.
            pub const fn code(self) -> u8 {
                match self { $(ErrorKind::$kind { .. } => Code::$kind as u8),* }
            }
        }
    };
}

numbered_kinds! {
    UnexpectedEnd, BadMagic, UnknownVersion, IntegerTooLong, IntegerTooLarge, UnknownSection,
    SectionOutOfOrder, SectionSizeMismatch, FunctionCodeMismatch, DataCountMismatch,
    DataCountMissing, BadValType, BadRefType, BadFuncType, BadExternKind, BadLimitsFlag,
    BadMutability, UnknownOpcode, ZeroByteExpected, BadUtf8, TooManyLocals, BadSegmentFlags,
    BadFunctionEnd, ConstExprEnd, BadMemArgFlags, BadPageSizeEncoding, BadSideTable,
    BadFusedInstruction, TypeMismatch, UnknownType, UnknownFunction, UnknownTable,
    UnknownMemory, UnknownGlobal, UnknownLocal, UnknownLabel, UnknownElem, UnknownData,
    ImmutableGlobal, BadAlignment, BadLimits, BadPageSize, MemoryTooLarge, MultipleMemories,
    DuplicateExport, BadStartFunction, ConstExprRequired, UndeclaredFunctionRef, BadSelectType,
    OperandStackOverflow, NestingTooDeep, FunctionTooLarge, ImplementationLimit,
    FloatUnsupported, UnknownImport, IncompatibleImport, Unreachable, IntegerDivideByZero,
    IntegerOverflow, InvalidConversion, MemoryOutOfBounds, TableOutOfBounds,
    UninitializedElement, UndefinedElement, IndirectCallTypeMismatch, HostTrap,
    CallStackExhausted, OutOfFuel, HostCallPending, NotResumable, Internal,
    BufferTooSmall { which: BufferKind::State, needed: 0, got: 0 }
}

/// An error with the byte offset in the module where it applies.
///
/// `offset` is the position in the module's bytes for decode and validation errors, and
/// the position of the faulting instruction for traps where it is known (else 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Error {
    kind: ErrorKind,
    offset: u32,
}

impl Error {
    /// An error of `kind` at byte `offset`.
    #[inline]
    pub const fn new(kind: ErrorKind, offset: usize) -> Self {
        Error {
            kind,
            offset: offset as u32,
        }
    }

    /// An [`ErrorKind::Internal`] error at `offset`: a check of the runtime's own
    /// bookkeeping that only a bug in barewasm can fail.
    #[inline]
    pub(crate) const fn internal(offset: usize) -> Self {
        Error::new(ErrorKind::Internal, offset)
    }

    /// A "buffer too small" error. Figures above 4 GiB saturate at `u32::MAX`.
    pub const fn buffer(which: BufferKind, needed: usize, got: usize) -> Self {
        const fn sat(n: usize) -> u32 {
            if n > u32::MAX as usize {
                u32::MAX
            } else {
                n as u32
            }
        }
        Error::new(
            ErrorKind::BufferTooSmall {
                which,
                needed: sat(needed),
                got: sat(got),
            },
            0,
        )
    }

    /// What went wrong.
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The category (malformed, invalid, ...).
    pub const fn category(&self) -> Category {
        self.kind.category()
    }

    /// The byte offset in the module where the error applies.
    pub const fn offset(&self) -> usize {
        self.offset as usize
    }
}

impl fmt::Display for BufferKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BufferKind::State => "state",
            BufferKind::Scratch => "scratch",
            BufferKind::Stack => "stack",
            BufferKind::Memory => "memory",
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ErrorKind::BufferTooSmall { which, needed, got } => {
                write!(
                    f,
                    "{which} buffer too small: needs {needed} bytes, got {got}"
                )
            }
            #[cfg(feature = "messages")]
            kind => write!(f, "{} (at byte offset {:#x})", kind.message(), self.offset),
            // The messages are about 2.7 KB of flash; the code names one of them.
            #[cfg(not(feature = "messages"))]
            kind => write!(
                f,
                "{} error {} (at byte offset {:#x})",
                kind.category(),
                // As a u32: firmware links u32's formatting anyway, u8's would be 100 B.
                u32::from(kind.code()),
                self.offset
            ),
        }
    }
}

impl core::error::Error for Error {}

/// Shorthand used throughout the crate.
pub type Result<T, E = Error> = core::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_stays_small() {
        // Errors travel through every hot return path: keep them register-sized.
        assert!(core::mem::size_of::<Error>() <= 16);
    }

    #[test]
    fn buffer_error_says_needs_and_got() {
        extern crate std;
        use std::string::ToString;
        let e = Error::buffer(BufferKind::State, 100, 10);
        assert_eq!(e.category(), Category::Buffer);
        assert_eq!(
            e.to_string(),
            "state buffer too small: needs 100 bytes, got 10"
        );
    }

    #[test]
    fn internal_error_is_its_own_category_and_says_it_is_a_bug() {
        extern crate std;
        use std::string::ToString;
        let e = Error::internal(42);
        assert_eq!(e.category(), Category::Internal);
        assert_eq!(e.category().name(), "internal");
        assert_eq!(e.offset(), 42);
        assert!(e.kind().message().contains("barewasm bug"));
        let text = e.to_string();
        #[cfg(feature = "messages")]
        assert!(text.contains("barewasm bug"), "{text}");
        assert!(text.ends_with("(at byte offset 0x2a)"), "{text}");
        // Not a limit the spec lets a validator impose: a fuzzer that meets it has found
        // a bug, not a disagreement to excuse.
        assert_ne!(
            e.kind().category(),
            ErrorKind::ImplementationLimit.category()
        );
    }

    #[test]
    fn codes_number_the_kinds_in_declaration_order() {
        extern crate std;
        use std::borrow::ToOwned;
        use std::format;
        use std::vec::Vec;
        // The variants as this file declares them, against ALL (the macro's list).
        let src = include_str!("error.rs");
        let start = src.find("pub enum ErrorKind {").unwrap();
        let end = start + src[start..].find("\n}\n").unwrap();
        let declared: Vec<&str> = src[start..end]
            .lines()
            .filter_map(|l| l.strip_prefix("    "))
            .filter(|l| l.starts_with(|c: char| c.is_ascii_uppercase()))
            .map(|l| l.trim_end_matches([',', ' ', '{']))
            .collect();
        let listed: Vec<_> = ErrorKind::ALL
            .iter()
            .map(|k| {
                format!("{k:?}")
                    .split([' ', '{'])
                    .next()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(declared, listed);
        for (i, kind) in ErrorKind::ALL.iter().enumerate() {
            assert_eq!(kind.code() as usize, i, "{kind:?}");
        }
        let full = ErrorKind::BufferTooSmall {
            which: BufferKind::Memory,
            needed: 9,
            got: 1,
        };
        assert_eq!(
            ErrorKind::ALL[full.code() as usize].message(),
            full.message()
        );
    }

    #[test]
    fn display_gives_the_message_or_the_code() {
        extern crate std;
        use std::string::ToString;
        let e = Error::new(ErrorKind::TypeMismatch, 0x1c);
        let text = e.to_string();
        #[cfg(feature = "messages")]
        assert_eq!(text, "type mismatch (at byte offset 0x1c)");
        #[cfg(not(feature = "messages"))]
        assert_eq!(
            text,
            std::format!(
                "invalid error {} (at byte offset 0x1c)",
                ErrorKind::TypeMismatch.code()
            )
        );
        // The buffer error keeps its figures either way: they are what the host needs.
        let b = Error::buffer(BufferKind::Stack, 64, 8).to_string();
        assert_eq!(b, "stack buffer too small: needs 64 bytes, got 8");
    }
}
